"""The `signal` fault: its YAML, what it programs when, and a stack without a signal source refused before it starts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from builders import write
from fake_stack import quiet_stack

from harness import runner
from harness.errors import ConfigError, FaultError, InvalidInput
from harness.faults.signal import SignalFault
from harness.references import check_fault_targets
from harness.scenario import load_scenario
from harness.signals import SignalProgram, SignalSourceClient
from harness.stackfile import load_stack
from harness.timescale import TimeScale

SCENARIO = """
    name: cpu-saturated
    baseline: 30s
    faults:
      - at: 0s
        duration: 2m
        fault:
          kind: signal
          during:
            series: [{name: node_cpu_seconds_total, kind: counter, rate: 3, labels: {mode: user}, job: node},
                     {name: queue_depth, kind: gauge, value: 400}]
            down_jobs: [db]
          outside:
            series: [{name: node_cpu_seconds_total, kind: counter, rate: 0.1, labels: {mode: user}, job: node}]
    expectations: [{type: no_alerts}]
"""
SERVICES = """
name: test
services:
  prometheus: {image: prom:1, x-harness: {role: prometheus}}
  app: {image: app:1, x-harness: {role: app}}
"""
SIGNAL_SOURCE = """  signal-source: {image: signal:1, ports: ["127.0.0.1::9300"], x-harness: {role: signal_source}}
"""


class RecordingSource:
    """A signal source client over a mock transport, keeping each program it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.client = SignalSourceClient("http://127.0.0.1:9300", transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, body))
        return httpx.Response(200, json={"series": len(body["series"]) if body else 0})

    def programs(self) -> list[list[str]]:
        return [[series["name"] for series in body["series"]] for method, body in self.sent if method == "PUT"]


def fault(tmp_path: Path) -> SignalFault:
    scheduled = load_scenario(write(tmp_path / "s.yml", SCENARIO)).faults[0]
    assert isinstance(scheduled.fault, SignalFault)
    return scheduled.fault


def test_a_signal_fault_reads_from_scenario_yaml_with_outside_optional(tmp_path: Path) -> None:
    without = SignalFault.model_validate({"kind": "signal", "during": {"down_jobs": ["node"]}})

    assert len(fault(tmp_path).during.series) == 2
    assert without.outside == SignalProgram()


def test_a_signal_fault_describes_what_it_exposes_while_it_holds(tmp_path: Path) -> None:
    assert fault(tmp_path).describe() == (
        'signal: 2 series (node_cpu_seconds_total{mode="user"} counter at 3/s, queue_depth gauge at 400), job db down'
    )


def test_prepare_and_stop_program_outside_and_start_programs_during(tmp_path: Path) -> None:
    source = RecordingSource()
    stack: Any = SimpleNamespace(signals=source.client)
    signal = fault(tmp_path)

    signal.prepare(stack)
    signal.start(stack)
    signal.stop(stack)

    assert source.programs() == [["node_cpu_seconds_total"], ["node_cpu_seconds_total", "queue_depth"],
                                 ["node_cpu_seconds_total"]]
    assert source.sent[1][1]["down_jobs"] == ["db"]


def test_a_signal_fault_on_a_stack_without_a_signal_source_fails_naming_the_role(tmp_path: Path) -> None:
    stack: Any = SimpleNamespace(signals=None)

    with pytest.raises(FaultError, match=r"no service of this stack has `x-harness: \{role: signal_source\}`"):
        fault(tmp_path).start(stack)


def test_a_refused_program_is_a_fault_error_saying_which_program(tmp_path: Path) -> None:
    refusing = SignalSourceClient("http://127.0.0.1:9300", transport=httpx.MockTransport(
        lambda _: httpx.Response(400, json={"error": "series[0].rate: ..."})))

    with pytest.raises(FaultError, match=r"the fault's `during` program: .* HTTP 400: series\[0\]\.rate"):
        fault(tmp_path).start(SimpleNamespace(signals=refusing))  # type: ignore[arg-type]


def test_a_scenario_with_a_signal_fault_is_refused_for_a_stack_without_a_signal_source(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", SCENARIO))
    stack = load_stack(write(tmp_path / "docker-compose.yml", SERVICES))

    with pytest.raises(InvalidInput) as refused:
        check_fault_targets(scenario, stack)

    assert str(refused.value).startswith(f"{tmp_path / 's.yml'}:7: faults.0.fault.kind: a signal fault programs")
    assert "docker-compose.yml has `x-harness: {role: signal_source}`" in str(refused.value)


def test_a_scenario_with_a_signal_fault_fits_a_stack_with_a_signal_source(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", SCENARIO))
    stack = load_stack(write(tmp_path / "docker-compose.yml", SERVICES + SIGNAL_SOURCE))

    check_fault_targets(scenario, stack)

    assert stack.with_role("signal_source") is stack.services["signal-source"]


def test_two_signal_faults_may_not_overlap(tmp_path: Path) -> None:
    twice = SCENARIO.replace("    expectations:", """      - at: 1m
        duration: 2m
        fault: {kind: signal, during: {down_jobs: [node]}}
    expectations:""")

    with pytest.raises(InvalidInput, match="faults 0 and 1 are both signal on the signal source and overlap"):
        load_scenario(write(tmp_path / "s.yml", twice))


def test_a_signal_source_is_optional_but_only_one_service_may_be_it(tmp_path: Path) -> None:
    second = SIGNAL_SOURCE.replace("signal-source:", "signal-source-2:")
    stack = load_stack(write(tmp_path / "docker-compose.yml", SERVICES + SIGNAL_SOURCE + second))

    with pytest.raises(ConfigError, match="signal-source and signal-source-2 both have role signal_source"):
        stack.check_roles(("prometheus", "app"))
    load_stack(write(tmp_path / "docker-compose.yml", SERVICES)).check_roles(("prometheus", "app"))


def test_the_runner_prepares_each_fault_that_has_a_prepare_step(tmp_path: Path) -> None:
    source = RecordingSource()
    scenario = load_scenario(write(tmp_path / "s.yml", SCENARIO.replace("    expectations:", """      - at: 3m
        duration: 1m
        fault: {kind: sink_outage}
    expectations:""")))

    runner.prepare_faults(SimpleNamespace(signals=source.client), scenario)  # type: ignore[arg-type]

    assert source.programs() == [["node_cpu_seconds_total"]]


def quiet_live(signals: SignalSourceClient | None) -> Any:
    fake = quiet_stack()
    fake.answers["/api/v1/targets"] = lambda _: httpx.Response(
        200, json={"status": "success", "data": {"activeTargets": [
            {"labels": {"job": "node", "instance": "signal-source:9300"}, "health": "up"}], "droppedTargets": []}})
    settings = SimpleNamespace(rules=[], group_interval=timedelta(seconds=10))
    return SimpleNamespace(scale=TimeScale(1), prometheus_settings=settings, alertmanager_settings=settings,
                           prometheus=fake.prometheus, sink=fake.sink, signals=signals,
                           restart_alerting=lambda: None)


def test_reset_clears_the_signal_program() -> None:
    source = RecordingSource()

    runner.reset(quiet_live(source.client))

    assert source.sent == [("DELETE", None)]


def test_reset_of_a_stack_without_a_signal_source_needs_none() -> None:
    runner.reset(quiet_live(None))
