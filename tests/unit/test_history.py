"""Run history: seeded runs, and what `harness history` flags in them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness import history
from harness.cli import app


def row(run: int, status: str = "verified", measured: float | None = 10.0, *, scenario: str = "high-error-rate",
        expectation: str = "HighErrorRate fires", scale: float = 40.0, scenario_sha: str = "s1",
        config_sha: str = "c1") -> history.Row:
    return history.Row(f"run-{run:02d}", f"2026-12-{run:02d}T02:00:00+00:00", scenario, expectation, "fires", status,
                       measured, scale, scenario_sha, config_sha)


def seed(db: Path, rows: list[history.Row]) -> None:
    for run_id in dict.fromkeys(r.run_id for r in rows):
        mine = [r for r in rows if r.run_id == run_id]
        history.record(db, mine, "nightly", all(r.status == "verified" for r in mine))


def test_recorded_runs_come_back_oldest_first(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    seed(db, [row(2, measured=11.0), row(1, measured=10.0)])

    assert [(r.run_id, r.measured_s) for r in history.load(db)] == [("run-01", 10.0), ("run-02", 11.0)]


def test_a_new_history_file_is_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    seed(db, [row(1)])

    assert db.stat().st_mode & 0o777 == 0o600


def test_a_run_recorded_twice_is_kept_once(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    seed(db, [row(1)])
    seed(db, [row(1, measured=99.0)])

    assert [r.measured_s for r in history.load(db)] == [10.0]


def test_a_time_within_the_run_to_run_noise_is_no_regression() -> None:
    rows = [row(1, measured=10.0), row(2, measured=12.0), row(3, measured=9.0), row(4, measured=13.0)]

    assert history.regression(rows) == ""


def test_a_time_beyond_the_run_to_run_noise_is_a_regression() -> None:
    rows = [row(1, measured=10.0), row(2, measured=10.4), row(3, measured=9.8), row(4, measured=16.0)]

    assert history.regression(rows).startswith("slower: 16.0 s against a median of 10.0 s over 3 run(s)")


def test_too_few_earlier_runs_measure_no_noise_and_flag_no_slowdown() -> None:
    assert history.regression([row(1, measured=10.0), row(2, measured=30.0)]) == ""


def test_an_expectation_that_started_failing_is_a_regression() -> None:
    rows = [row(1), row(2), row(3, "failed", None)]

    assert history.regression(rows) == "started failing (failed after 2 verified run(s))"


def test_passing_and_failing_on_the_same_scenario_and_configs_is_a_flake() -> None:
    rows = [row(1), row(2, "failed", None), row(3)]

    assert history.flake(rows) == "flaky: 2 of 3 run(s) verified on the same scenario and configs"


def test_a_failure_after_the_configs_changed_is_no_flake() -> None:
    rows = [row(1), row(2), row(3, "failed", None, config_sha="c2")]

    assert history.flake(rows) == ""


def test_runs_at_another_scale_are_another_series() -> None:
    trends = history.trends([row(1, scale=40.0), row(2, scale=20.0, measured=25.0)])

    assert [(t.scale, len(t.rows)) for t in trends] == [(40.0, 1), (20.0, 1)]


def test_a_sparkline_draws_each_time_between_the_fastest_and_the_slowest() -> None:
    assert history.sparkline([1.0, 5.0, None, 3.0]) == "▁█ ▅"


def seeded_nightlies(db: Path) -> None:
    """Five nights: one expectation slowed on the last night, another passed and failed on the same inputs."""
    rows = []
    for night, (fires, resolves) in enumerate([(10.0, "verified"), (10.3, "failed"), (9.9, "verified"),
                                               (10.1, "verified"), (17.5, "verified")], start=1):
        rows.append(row(night, measured=fires))
        rows.append(row(night, resolves, 20.0 if resolves == "verified" else None, expectation="HighErrorRate resolves"))
    seed(db, rows)


def test_history_command_flags_one_regression_and_one_flake(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    seeded_nightlies(db)

    result = CliRunner().invoke(app, ["history", "--history", str(db)], env={"COLUMNS": "250"})

    assert result.exit_code == 1, result.output
    assert "slower: 17.5 s against a median of 10.1 s over 4 run(s)" in result.output
    assert "flaky: 4 of 5 run(s) verified" in result.output
    assert "2 expectation(s); 1 regression(s), 1 flake(s)" in result.output


def test_history_command_on_steady_runs_exits_0(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    seed(db, [row(night, measured=10.0 + night / 10) for night in range(1, 6)])

    result = CliRunner().invoke(app, ["history", "--history", str(db)], env={"COLUMNS": "250"})

    assert result.exit_code == 0, result.output
    assert "✓✓✓✓✓" in result.output
    assert "0 regression(s), 0 flake(s)" in result.output


@pytest.mark.parametrize("content", [None, b"not a database, just text\n" * 100])
def test_history_command_refuses_a_missing_or_foreign_file_naming_it(tmp_path: Path, content: bytes | None) -> None:
    db = tmp_path / "history.sqlite"
    if content is not None:
        db.write_bytes(content)

    result = CliRunner().invoke(app, ["history", "--history", str(db)], env={"COLUMNS": "250"})

    assert result.exit_code == 2
    assert str(db) in result.output.replace("\n", "")
    assert "Traceback" not in result.output
