"""Library scenarios on a live stack: routing, inhibition, silences, sink outages, and alert families
on both sides of their thresholds as the pre-launch suite runs them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from commands import harness, our_containers, run_folder

from harness import runner
from harness.pytest_plugin import stack_running
from harness.scenario import load_scenario
from harness.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "scenarios" / "library"
DEFAULT_STACK = ROOT / "compose" / "docker-compose.yml"
PRE_LAUNCH_SCALE = 40  # the scale the pre-launch suite runs these scenarios at


@pytest.fixture(scope="module")
def stack_at_pre_launch_scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stack_running(DEFAULT_STACK, PRE_LAUNCH_SCALE, tmp_path_factory.mktemp("library-stack")) as live:
        yield live


@pytest.mark.parametrize(
    "name", ["latency-warning-routing", "error-rate-inhibition", "silenced-target-down", "pager-outage"]
)
def test_library_scenario_is_verified(stack_at_pre_launch_scale: RunningStack, tmp_path: Path, name: str) -> None:
    runner.reset(stack_at_pre_launch_scale)

    result = runner.run_scenario(stack_at_pre_launch_scale, load_scenario(LIBRARY / f"{name}.yml"), tmp_path)

    assert result.error is None and result.skipped is None, result.error or result.skipped
    assert [v for v in result.verdicts if not v.passed] == []


def test_pre_launch_families_fire_above_their_thresholds_and_stay_silent_below(tmp_path: Path) -> None:
    result, report = pre_launch(
        tmp_path, "pool-exhaustion", "pool-saturation", "cache-hit-rate", "redis-memory", "active-users"
    )

    assert failed_expectations(report) == {name: [] for name in [
        "pool-exhaustion", "pool-exhaustion-below", "pool-saturated", "pool-saturated-below", "cache-hit-rate",
        "cache-hit-rate-below", "redis-memory", "redis-memory-below", "active-users", "active-users-below",
    ]}
    assert report["scale"] == 40
    assert result.returncode == 0, result.stderr[-3000:]
    assert our_containers(tmp_path) == []


def pre_launch(reports: Path, *only: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The pre-launch suite in two lanes, narrowed to `only` (names or tags), and its JSON report."""
    narrowed = [argument for name in only for argument in ("--only", name)]
    result = harness("gate", "--suite", "scenarios/suites/pre-launch.yml", "--lanes", "3", *narrowed, reports=reports)
    run_dir = run_folder(reports)
    return result, json.loads((run_dir / "report.json").read_text())


def failed_expectations(report: dict[str, Any]) -> dict[str, list[str]]:
    """Each scenario's name with the expectations it did not meet."""
    return {s["name"]: [v["expectation"] for v in s["verdicts"] if not v["passed"]] for s in report["scenarios"]}
