"""What a running scenario says it waits for, and how the command line shows it."""

from __future__ import annotations

import pytest
from builders import alert, delivery, scenario, timeline

from harness import cli
from harness.progress import Transient, prefixed
from harness.timescale import TimeScale
from harness.waiting import during_faults, during_recovery

FIRES_AND_PAGES = scenario(
    {"type": "alert_fires", "alert": "HighErrorRate", "within": "4m"},
    {"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty", "slack"], "within": "6m"},
    {"type": "alert_resolves", "alert": "HighErrorRate", "within": "5m"},
)
X20 = TimeScale(20.0)


def test_before_the_alert_fires_it_names_the_alert_and_its_deadline() -> None:
    line = during_faults(FIRES_AND_PAGES, timeline(alert(101.0, "HighErrorRate", "pending")), 100.0, 104.1, X20)

    assert line == "waiting for HighErrorRate to fire: 4.1 s of 12.0 s"


def test_once_firing_it_names_the_receivers_not_yet_notified() -> None:
    events = timeline(alert(105.0, "HighErrorRate", "firing"), delivery(107.0, "HighErrorRate", "pagerduty"))

    line = during_faults(FIRES_AND_PAGES, events, 100.0, 108.0, X20)

    assert line == "HighErrorRate firing; waiting for its notification to slack: 8.0 s of 18.0 s"


def test_a_wait_past_its_deadline_says_so() -> None:
    assert during_faults(FIRES_AND_PAGES, timeline(), 100.0, 113.0, X20).endswith("13.0 s of 12.0 s (past its deadline)")


def test_nothing_is_said_once_everything_expected_has_happened() -> None:
    events = timeline(alert(105.0, "HighErrorRate", "firing"), delivery(107.0, "HighErrorRate", "pagerduty"),
                      delivery(107.5, "HighErrorRate", "slack"))

    assert during_faults(FIRES_AND_PAGES, events, 100.0, 108.0, X20) == ""


def test_a_firing_before_the_faults_does_not_count() -> None:
    events = timeline(alert(90.0, "HighErrorRate", "firing"), alert(95.0, "HighErrorRate", "inactive"))

    assert during_faults(FIRES_AND_PAGES, events, 100.0, 101.0, X20).startswith("waiting for HighErrorRate to fire")


def test_after_the_faults_it_waits_for_the_alert_to_resolve() -> None:
    events = timeline(alert(105.0, "HighErrorRate", "firing"))

    assert during_recovery(FIRES_AND_PAGES, events, 200.0, 203.5, X20) == "waiting for HighErrorRate to resolve: 3.5 s of 15.0 s"
    assert during_recovery(FIRES_AND_PAGES, timeline(alert(205.0, "HighErrorRate", "inactive")), 200.0, 206.0, X20) == ""


def test_a_lane_prefix_keeps_a_waiting_line_transient() -> None:
    seen: list[str] = []

    prefixed(seen.append, "lane 2")(Transient("high-error-rate: waiting for HighErrorRate to fire: 1.0 s of 12.0 s"))

    assert isinstance(seen[0], Transient)
    assert seen[0].startswith("lane 2: high-error-rate: waiting")


class FakeStatus:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, message: str) -> None:
        self.shown.append(message)


def test_the_command_line_shows_a_waiting_line_without_logging_it(monkeypatch: pytest.MonkeyPatch) -> None:
    status = FakeStatus()
    logged: list[str] = []
    monkeypatch.setattr(cli, "_progress", logged.append)

    show = cli._shown_in(status)  # type: ignore[arg-type]
    show("high-error-rate: fault on: errors 30 %")
    show(Transient("high-error-rate: waiting for HighErrorRate to fire: 1.0 s of 12.0 s"))

    assert status.shown == ["high-error-rate: fault on: errors 30 %",
                            "high-error-rate: waiting for HighErrorRate to fire: 1.0 s of 12.0 s"]
    assert logged == ["high-error-rate: fault on: errors 30 %"]
