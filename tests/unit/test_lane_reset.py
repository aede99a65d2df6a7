"""A lane whose stack cannot be reset between two scenarios goes on, on a fresh stack."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import gate, runner
from harness.errors import StackError
from harness.scenario import NoAlerts, Scenario
from harness.timescale import TimeScale


def scenario(name: str) -> Scenario:
    return Scenario(name=name, baseline=timedelta(minutes=1), expectations=[NoAlerts(type="no_alerts")])


def test_a_failed_reset_boots_a_fresh_stack_for_the_rest_of_the_lane(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    booted: list[str] = []
    ran: list[tuple[str, str]] = []
    said: list[str] = []
    failures = [StackError("could not reset the stack between scenarios: ...; still: alert HostHighCpu firing")]

    @contextlib.contextmanager
    def fake_stack(_stack: Any, _rendered: Any, _scale: Any, run_id: str, *_: Any) -> Iterator[Any]:
        booted.append(run_id)
        yield SimpleNamespace(run_id=run_id, boot=None, omitted=[])

    def fake_reset(_live: Any, _progress: Any) -> None:
        if failures:
            raise failures.pop()

    def fake_run(live: Any, scenario: Scenario, *_: Any) -> runner.ScenarioResult:
        ran.append((scenario.name, live.run_id))
        return runner.ScenarioResult(scenario)

    monkeypatch.setattr(gate, "running_stack", fake_stack)
    monkeypatch.setattr(runner, "reset", fake_reset)
    monkeypatch.setattr(runner, "run_scenario", fake_run)
    monkeypatch.setattr(gate, "_check_live", lambda *_: None)
    scenarios = [scenario("a"), scenario("b"), scenario("c"), scenario("d")]
    results: dict[int, runner.ScenarioResult] = {}
    lane = gate._Lane(None, {20.0: None}, [TimeScale(20.0)] * 4, "run", tmp_path, said.append,  # type: ignore[arg-type]
                      SimpleNamespace(boot=None), results)  # type: ignore[arg-type]

    gate._run_lane([0, 1, 2, 3], scenarios, lane)

    assert booted == ["run", "run-1"]
    assert ran == [("a", "run"), ("b", "run-1"), ("c", "run-1"), ("d", "run-1")]
    assert sorted(results) == [0, 1, 2, 3]
    assert any("still: alert HostHighCpu firing; b and the rest of the lane get a fresh stack" in line for line in said)
