"""Load spread over Locust's distributed mode: the command lines, the budget across workers, the limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write
from typer.testing import CliRunner

from harness import load_processes
from harness.cli import app
from harness.errors import InvalidInput
from harness.load import LoadProfile
from harness.load_processes import Commands, LocustRun, check_workers, commands, split_budget
from harness.scenario import load_scenario

EXPECT = "expectations: [{type: no_alerts}]"
TARGET = "http://127.0.0.1:8123"


def option(command: tuple[str, ...], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def planned(workers: int, max_requests: int = 10_000, user_change: str = "") -> Commands:
    return commands(LocustRun(TARGET, 100, 20.0, 40, max_requests, workers, user_change),
                    Path("/tmp/run/locust"), Path("/tmp/run/flowing"), master_port=None if workers == 1 else 40123)


def test_one_worker_is_one_locust_process_holding_the_whole_budget_and_the_statistics() -> None:
    plan = planned(1)

    assert plan.workers == ()
    assert "--master" not in plan.main and "--worker" not in plan.main
    assert option(plan.main, "--max-requests") == "10000"
    assert option(plan.main, "--csv") == "/tmp/run/locust"
    assert option(plan.main, "-u") == "100" and option(plan.main, "-t") == "40s"


def test_more_workers_are_a_master_on_loopback_and_as_many_workers_that_meet_it_there() -> None:
    plan = planned(4)

    assert "--master" in plan.main and option(plan.main, "--expect-workers") == "4"
    assert option(plan.main, "--master-bind-host") == "127.0.0.1"
    assert option(plan.main, "--master-bind-port") == "40123"
    assert len(plan.workers) == 4
    for worker in plan.workers:
        assert "--worker" in worker
        assert (option(worker, "--master-host"), option(worker, "--master-port")) == ("127.0.0.1", "40123")
        assert option(worker, "--rate-per-user") == "20" and option(worker, "--flowing-file") == "/tmp/run/flowing"


def test_the_request_budget_is_a_total_shared_by_the_workers() -> None:
    plan = planned(3, max_requests=10_000)

    shares = [int(option(worker, "--max-requests") or 0) for worker in plan.workers]
    assert sum(shares) == 10_000 and max(shares) - min(shares) <= 1


@pytest.mark.parametrize(("total", "workers"), [(10, 3), (0, 2), (7, 7), (5, 8), (1_000_001, 4)])
def test_a_budget_splits_as_evenly_as_it_can_and_adds_up_to_the_total(total: int, workers: int) -> None:
    shares = split_budget(total, workers)

    assert len(shares) == workers and sum(shares) == total and max(shares) - min(shares) <= 1


def test_the_shape_run_time_and_statistics_are_the_masters_alone() -> None:
    plan = planned(2, user_change="spike:40:5:10")

    assert option(plan.main, "--user-change") == "spike:40:5:10" and option(plan.main, "-t") == "40s"
    for worker in plan.workers:
        assert not {"--user-change", "--csv", "-t", "--headless"} & set(worker)


def test_a_worker_has_its_own_time_bound_past_the_masters_in_case_its_master_is_gone() -> None:
    for worker in planned(2).workers:
        assert 40 < float(option(worker, "--end-after") or 0) <= 40 + 60


def test_a_worker_counts_the_load_as_flowing_after_its_own_share_of_the_users() -> None:
    assert {option(worker, "--flowing-after") for worker in planned(4).workers} == {"25"}


def test_a_worker_count_the_machine_cannot_take_is_refused_naming_the_option_and_the_range() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_workers(9, "--load-workers", cores=2)

    message = str(raised.value)
    assert message.startswith("--load-workers: 9 Locust workers is not possible here; give 1..8")
    assert "this machine has 2" in message


@pytest.mark.parametrize("workers", [0, -1])
def test_no_workers_at_all_is_refused(workers: int) -> None:
    with pytest.raises(InvalidInput, match=r"give 1\.\."):
        check_workers(workers, "--load-workers", cores=2)


def test_a_profile_asking_more_workers_than_the_machine_takes_is_refused() -> None:
    with pytest.raises(InvalidInput, match="load: workers"):
        LoadProfile(workers=load_processes.most_workers() + 1)


def test_a_scenario_asking_more_workers_than_the_machine_takes_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", f"""
        name: s
        load:
          users: 100
          workers: 999
        {EXPECT}
    """)

    with pytest.raises(InvalidInput) as raised:
        load_scenario(path)

    assert f"{path}:4: load.workers: at most {load_processes.most_workers()} on this machine" in str(raised.value)


def test_a_scenario_may_spread_its_load_and_says_so_in_its_description(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", f"""
        name: s
        load: {{users: 100, rate_per_user: 20, workers: 2}}
        {EXPECT}
    """))

    assert scenario.load.workers == 2
    assert scenario.load.describe() == "100 users at 20 req/s each, from 2 Locust workers"


def test_the_command_line_refuses_a_worker_count_before_anything_starts(tmp_path: Path) -> None:
    scenario = write(tmp_path / "s.yml", f"name: s\n{EXPECT}\n")

    result = CliRunner().invoke(app, ["run", str(scenario), "--load-workers", "999", "--reports", str(tmp_path / "r")])

    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert f"InvalidInput: --load-workers: 999 Locust workers is not possible here; give 1..{load_processes.most_workers()}" \
        in output
    assert not (tmp_path / "r").exists()
