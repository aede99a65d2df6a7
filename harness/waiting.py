"""What a running scenario waits for, in one line: "waiting for HighErrorRate to fire: 4.1 s of 12.0 s".

Read from the timeline the observer has so far, so it names what has not happened yet, in the
order the scenario's expectations give: the alert to fire, then each receiver to be notified,
then, after the faults, each alert to resolve.
"""

from __future__ import annotations

from harness.scenario import AlertDelivered, AlertFires, AlertResolves, Scenario
from harness.timeline import Timeline
from harness.timescale import TimeScale


def during_faults(scenario: Scenario, timeline: Timeline, fault_start: float, now: float, scale: TimeScale) -> str:
    """The first firing or delivery the scenario expects that has not happened yet, with its deadline."""
    elapsed = now - fault_start
    for expectation in scenario.expectations:
        if isinstance(expectation, AlertFires | AlertDelivered):
            deadline = scale.compress_seconds(expectation.within.total_seconds())
            if not _fired(timeline, expectation.alert, fault_start):
                return f"waiting for {expectation.alert} to fire: {_of(elapsed, deadline)}"
            if isinstance(expectation, AlertDelivered):
                reached = {d.receiver for d in timeline.deliveries(expectation.alert, since=fault_start)
                           if d.status == "firing"}
                missing = [receiver for receiver in expectation.receivers if receiver not in reached]
                if missing:
                    return (f"{expectation.alert} firing; waiting for its notification to {', '.join(missing)}: "
                            f"{_of(elapsed, deadline)}")
    return ""


def during_recovery(scenario: Scenario, timeline: Timeline, fault_end: float, now: float, scale: TimeScale) -> str:
    """The first resolution the scenario expects that has not been seen yet, with its deadline."""
    for expectation in scenario.expectations:
        if isinstance(expectation, AlertResolves):
            states = timeline.alert_states(expectation.alert)
            if states and states[-1].state != "inactive":
                deadline = scale.compress_seconds(expectation.within.total_seconds())
                return f"waiting for {expectation.alert} to resolve: {_of(now - fault_end, deadline)}"
    return ""


def _fired(timeline: Timeline, alert: str, since: float) -> bool:
    return any(state.state == "firing" for state in timeline.alert_states(alert, since=since))


def _of(elapsed: float, deadline: float) -> str:
    over = " (past its deadline)" if elapsed > deadline else ""
    return f"{max(elapsed, 0.0):.1f} s of {deadline:.1f} s{over}"
