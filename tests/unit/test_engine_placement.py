"""Lanes spread over Docker engines: which lane runs where, which engine URLs are accepted, and what a
run says when an engine cannot be used (before anything starts)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import docker.utils
import pytest
from builders import alertmanager_settings, prometheus_settings, scenario

from harness import engine, engines, report
from harness.engine import Engine
from harness.errors import EngineUnavailable, EngineUrlError, InvalidInput
from harness.expectations import Verdict
from harness.gate import run_gate
from harness.image_copy import Copy
from harness.runner import ScenarioResult
from harness.scenario import load_suite_file
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]
A, B, C = "unix:///var/run/docker.sock", "unix:///run/harness-engine-b.sock", "tcp://127.0.0.1:2375"


def test_lanes_go_round_the_engines_in_the_order_given() -> None:
    placed = engines.placement([A, B])

    assert [placed.for_lane(index).url for index in range(5)] == [A, B, A, B, A]


def test_the_first_engine_given_builds_the_images() -> None:
    assert engines.placement([B, A]).primary == Engine(B)


def test_fewer_lanes_than_engines_use_only_the_first_engines() -> None:
    assert engines.placement([A, B, C]).used_by(2) == (Engine(A), Engine(B))


def test_no_engine_given_means_the_one_docker_host_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", B)

    placed = engines.placement([])

    assert placed.engines == (Engine(B),) and placed.primary.is_default


def test_no_docker_host_means_dockers_own_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)

    assert engines.placement([]).primary.url == "unix:///var/run/docker.sock"


def test_a_loopback_tcp_engine_is_accepted() -> None:
    assert engines.parse_url("tcp://localhost:2375").url == "tcp://localhost:2375"


def test_a_unix_socket_url_needs_an_absolute_path() -> None:
    with pytest.raises(EngineUrlError, match=r"'unix://run/b.sock'.*absolute path.*three slashes"):
        engines.parse_url("unix://run/b.sock")


def test_a_tcp_engine_on_another_host_is_refused_saying_why() -> None:
    with pytest.raises(EngineUrlError, match=r"'tcp://10.0.0.5:2375': 10.0.0.5 is not this machine.*127.0.0.1"):
        engines.parse_url("tcp://10.0.0.5:2375")


def test_an_ssh_engine_is_refused_with_a_tunnel_hint() -> None:
    with pytest.raises(EngineUrlError, match=r"'ssh://me@far'.*another machine.*ssh -L"):
        engines.parse_url("ssh://me@far")


@pytest.mark.parametrize("url", ["/var/run/docker.sock", "http://127.0.0.1:2375", "npipe:////./pipe/docker", ""])
def test_a_url_that_is_not_unix_or_tcp_is_refused_naming_what_is_accepted(url: str) -> None:
    with pytest.raises(EngineUrlError, match=r"expected unix:///path/to/docker.sock or tcp://127.0.0.1:PORT"):
        engines.parse_url(url)


def test_an_engine_given_twice_is_refused() -> None:
    with pytest.raises(EngineUrlError, match=r"'unix:///run/harness-engine-b.sock' is given twice"):
        engines.placement([A, B, B])


def test_an_engine_that_does_not_answer_is_named_with_what_failed(tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/none.sock"

    with pytest.raises(EngineUnavailable, match=rf"engine at {missing} does not answer \(.*No such file"):
        engines.check(engines.placement([missing]))


def test_every_engine_that_does_not_answer_is_named(tmp_path: Path) -> None:
    first, second = f"unix://{tmp_path}/a.sock", f"unix://{tmp_path}/b.sock"

    with pytest.raises(EngineUnavailable) as raised:
        engines.check(engines.placement([first, second]))

    assert first in str(raised.value) and second in str(raised.value)


def test_a_gate_with_an_engine_that_does_not_answer_refuses_before_anything_starts(tmp_path: Path) -> None:
    _, scenarios = load_suite_file(ROOT / "scenarios" / "suites" / "default.yml")
    dead = f"unix://{tmp_path}/dead.sock"
    private = Path(tempfile.gettempdir()).glob
    before = set(private(f"harness-configs-{os.getpid()}-*"))

    with pytest.raises(EngineUnavailable, match=dead):
        run_gate(scenarios, "default", ROOT / "compose" / "docker-compose.yml", TimeScale(20), tmp_path / "reports",
                 placement=engines.placement([dead]))

    assert not any((tmp_path / "reports").iterdir())  # no run folder: nothing ran
    assert set(private(f"harness-configs-{os.getpid()}-*")) == before  # nor the stack's real secrets


def test_a_suites_engines_are_checked_naming_file_and_line(tmp_path: Path) -> None:
    suite = tmp_path / "spread.yml"
    suite.write_text("name: spread\nlanes: 2\nengines:\n  - unix:///var/run/docker.sock\n  - ssh://far\n"
                     "scenarios: [../quiet.yml]\n")

    with pytest.raises(InvalidInput, match=rf"{suite}:5.*engines.1.*ssh:// engines run on another machine"):
        load_suite_file(suite)


def test_a_stack_on_another_engine_gets_its_clients_told_the_engine_not_the_environment() -> None:
    before = dict(os.environ)

    options = Engine(B).testcontainers_kw()

    assert docker.utils.kwargs_from_env(**options)["base_url"] == B
    assert dict(os.environ) == before  # lanes run in threads: a process-wide DOCKER_HOST would move them all


def test_what_is_left_on_another_engine_is_named_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)

    assert engine.Engine(A).where("container app") == "container app"
    assert engine.Engine(B).where("container app") == f"container app on {B}"


def test_the_report_says_which_engine_each_lane_and_scenario_ran_on(tmp_path: Path) -> None:
    results = [ScenarioResult(scenario({"type": "no_alerts"}, name=name), [Verdict("quiet", "no_alerts", True, "ok")],
                              lane=lane, engine=url)
               for name, lane, url in (("quiet", 1, A), ("loud", 2, B))]
    run = report.RunReport(
        "run-1", "suite", "stack", "now", 20.0, tmp_path, results, lanes=2,
        prometheus=prometheus_settings(), alertmanager=alertmanager_settings(), engines=[A, B],
        placements=[report.LanePlacement(1, A, ("quiet",)), report.LanePlacement(2, B, ("loud",))],
        copies=[Copy(A, B, ("harness/app:1", "harness/sink:1"), 180_000_000, 4.2)],
    )

    markdown = report.write(run).read_text()

    data = json.loads((tmp_path / "report.json").read_text())
    assert data["engines"] == [A, B]
    assert data["lane_engines"] == [{"lane": 1, "engine": A, "scenarios": ["quiet"]},
                                    {"lane": 2, "engine": B, "scenarios": ["loud"]}]
    assert [(s["name"], s["lane"], s["engine"]) for s in data["scenarios"]] == [("quiet", 1, A), ("loud", 2, B)]
    assert data["image_copies"][0]["size_bytes"] == 180_000_000
    assert f"lane 1 on `{A}` (quiet); lane 2 on `{B}` (loud)" in markdown
    assert f"2 image(s) (180 MB) were copied from `{A}` to `{B}` in 4.2 s" in markdown


def test_an_image_copy_says_what_travelled_and_how_long_it_took() -> None:
    copied = Copy(A, B, ("harness/app:1",), 123_400_000, 3.25)

    assert copied.describe() == f"copied 1 image(s) (123 MB) from {A} to {B} in 3.2 s"
    assert Copy(A, B, ()).describe() == f"every image already on {B}"
