"""Scenarios through the real runner on a live stack: faults scheduled, verdicts from what happened."""

from __future__ import annotations

from pathlib import Path

from harness import engine, runner
from harness.progress import Transient
from harness.scenario import Scenario, load_scenario
from harness.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]


def run(stack: RunningStack, scenario: Scenario, tmp_path: Path, progress: runner.Progress = lambda _: None,
        ) -> runner.ScenarioResult:
    runner.reset(stack)
    return runner.run_scenario(stack, scenario, tmp_path, progress)


def test_stopped_exporter_pages_the_critical_receivers_and_resolves(harness_stack: RunningStack, tmp_path: Path) -> None:
    said: list[str] = []
    result = run(harness_stack, load_scenario(ROOT / "scenarios/target-down.yml"), tmp_path, said.append)

    assert result.error is None
    assert [(v.expectation, v.passed) for v in result.verdicts] == [
        ("TargetDown goes pending, then firing", True),
        ("TargetDown reaches exactly pagerduty-critical, slack-critical", True),
        ("TargetDown resolves, with resolved notifications where asked for", True),
    ], [v.detail for v in result.verdicts]
    waits = [line for line in said if isinstance(line, Transient)]
    assert any(line.startswith("target-down: waiting for TargetDown to fire: ") for line in waits), said
    assert any("waiting for TargetDown to resolve" in line or "waiting for its notification" in line
               for line in waits), said


def test_fault_that_fails_at_run_time_is_an_error_and_earlier_faults_are_undone(
    harness_stack: RunningStack, tmp_path: Path
) -> None:
    scenario = Scenario.model_validate({
        "name": "stress-a-stopped-container",
        "load": {"users": 1, "rate_per_user": 1},
        "baseline": "20s",
        "faults": [
            {"at": "0s", "duration": "2m", "fault": {"kind": "container_stop", "service": "node-exporter"}},
            {"at": "20s", "duration": "1m", "fault": {"kind": "cpu_stress", "service": "node-exporter"}},
        ],
        "expectations": [{"type": "no_alerts"}],
    })

    result = run(harness_stack, scenario, tmp_path)

    assert result.error is not None and "stress in the cgroup of 'node-exporter'" in result.error
    assert not result.passed
    assert harness_stack.container("node-exporter").status == "running"
    sidecars = engine.client().containers.list(all=True, filters={"label": "dev.monitoring-harness.sidecar"})
    assert sidecars == []


def test_load_spike_raises_the_request_rate_the_app_reports(
    harness_stack: RunningStack, tmp_path: Path
) -> None:
    scenario = Scenario.model_validate({
        "name": "spike",
        "load": {"users": 1, "rate_per_user": 2, "shape": {"kind": "spike", "users": 10, "at": "0s", "duration": "2m"}},
        "baseline": "1m",
        "recovery": "2m",
        "expectations": [
            {"type": "metric_crosses", "query": 'sum(rate(http_requests_total{job="app"}[1m]))', "above": 12,
             "within": "2m"},
        ],
    })

    result = run(harness_stack, scenario, tmp_path)

    assert result.error is None
    assert [(v.expectation, v.passed) for v in result.verdicts] == [
        ('`sum(rate(http_requests_total{job="app"}[1m]))` goes above 12', True)
    ], [v.detail for v in result.verdicts]


def test_more_load_than_the_generator_can_give_is_a_shortfall_and_silence_is_not_verified(
    harness_stack: RunningStack, tmp_path: Path
) -> None:
    scenario = Scenario.model_validate({
        "name": "more-load-than-one-process-gives",
        "load": {"users": 50, "rate_per_user": 100},
        "baseline": f"{int(12 * harness_stack.scale.factor)}s",  # 12 s of wall time at any scale
        "expectations": [{"type": "no_alerts"}],
    })

    result = run(harness_stack, scenario, tmp_path)

    assert result.load_shortfall.startswith("load asked 5000 req/s and got "), result.load_shortfall
    (verdict,) = result.verdicts
    assert verdict.status != "verified"
    assert not result.passed
