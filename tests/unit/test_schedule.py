from datetime import timedelta
from pathlib import Path

import pytest
from builders import write

from harness.errors import InvalidInput
from harness.faults.app import AppErrors, AppLatency
from harness.faults.container import ContainerStop
from harness.scenario import ScheduledFault, load_scenario
from harness.schedule import FaultEvent, overlapping, plan
from harness.timescale import TimeScale

ERRORS = AppErrors(ratio=0.5)
STOP_APP = ContainerStop(service="app")


def scheduled(fault: object, at: str, duration: str) -> ScheduledFault:
    return ScheduledFault.model_validate({"at": at, "duration": duration, "fault": fault.model_dump()})  # type: ignore[attr-defined]


def test_faults_switch_at_their_scaled_times_from_the_origin() -> None:
    errors = scheduled(ERRORS, "1m", "10m")

    events = plan([errors], origin=1000.0, scale=TimeScale(20))

    assert events == [FaultEvent(1003.0, "start", errors), FaultEvent(1033.0, "stop", errors)]


def test_combined_faults_interleave_in_time_order() -> None:
    errors, stop = scheduled(ERRORS, "0s", "10m"), scheduled(STOP_APP, "2m", "2m")

    actions = [(event.t, event.action, event.scheduled.fault.kind) for event in plan([errors, stop], 0.0, TimeScale(60))]

    assert actions == [
        (0.0, "start", "app_errors"), (2.0, "start", "container_stop"),
        (4.0, "stop", "container_stop"), (10.0, "stop", "app_errors"),
    ]


def test_a_fault_ending_when_another_begins_goes_off_first() -> None:
    first, second = scheduled(AppLatency(delay_seconds=1), "0s", "1m"), scheduled(ERRORS, "1m", "1m")

    assert [event.action for event in plan([second, first], 0.0, TimeScale(1))] == ["start", "stop", "start", "stop"]
    assert plan([second, first], 0.0, TimeScale(1))[1].scheduled is first


def test_same_fault_on_the_same_target_overlapping_is_a_clash() -> None:
    assert overlapping([scheduled(ERRORS, "0s", "5m"), scheduled(AppErrors(ratio=1), "4m", "5m")]) == [(0, 1)]


def test_same_fault_back_to_back_is_not_a_clash() -> None:
    assert overlapping([scheduled(ERRORS, "0s", "5m"), scheduled(ERRORS, "5m", "5m")]) == []


def test_same_fault_kind_on_different_services_is_not_a_clash() -> None:
    assert overlapping([scheduled(STOP_APP, "0s", "5m"), scheduled(ContainerStop(service="postgres"), "0s", "5m")]) == []


def test_scenario_with_overlapping_twin_faults_is_refused_naming_them(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: twins
        faults:
          - {at: 0s, duration: 5m, fault: {kind: container_stop, service: app}}
          - {at: 1m, duration: 5m, fault: {kind: container_stop, service: app}}
        expectations:
          - type: no_alerts
    """)

    with pytest.raises(InvalidInput, match="faults 0 and 1 are both container_stop on app and overlap in time"):
        load_scenario(path)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "app_latency", "delay_seconds": 0.5, "jitter_seconds": 0.1},
        {"kind": "pool_hold", "connections": 10, "seconds": 30},
        {"kind": "container_kill", "service": "postgres", "signal": "SIGKILL"},
        {"kind": "cpu_stress", "service": "app", "workers": 2},
        {"kind": "network_loss", "service": "app", "loss_percent": 30},
        {"kind": "sink_outage", "receiver_kind": "slack", "status_code": 500},
        {"kind": "business_gauge", "gauge": "active_users", "value": 190},
    ],
    ids=lambda fault: fault["kind"],
)
def test_every_fault_kind_is_read_from_yaml_by_its_kind_key(fault: dict) -> None:
    parsed = ScheduledFault.model_validate({"duration": "1m", "fault": fault})

    assert parsed.fault.kind == fault["kind"]
    assert parsed.fault.describe()


def test_unknown_fault_kind_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: typo
        faults:
          - {duration: 1m, fault: {kind: container_explode, service: app}}
        expectations:
          - type: no_alerts
    """)

    with pytest.raises(InvalidInput, match=r"s.yml:3: faults.0.fault.*'container_stop'"):
        load_scenario(path)


def test_a_fault_window_starts_at_the_first_fault_and_ends_with_the_last(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: window
        faults:
          - {at: 1m, duration: 2m, fault: {kind: app_errors, ratio: 0.5}}
          - {at: 2m, duration: 5m, fault: {kind: container_stop, service: postgres}}
        expectations:
          - type: no_alerts
    """)

    assert load_scenario(path).fault_window == (timedelta(minutes=1), timedelta(minutes=7))
