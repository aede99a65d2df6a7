from pathlib import Path

import pytest
from builders import alert, alertmanager_settings, delivery, endpoint, evidence, prometheus_settings, scenario, timeline

from harness.bounds import Window
from harness.errors import InvalidInput
from harness.expectations import Moments, Verdict, evaluate
from harness.timescale import TimeScale

# Real-time config: scrape 15 s (timeout 10 s), evaluation 15 s, HighErrorRate `for: 5m`, group_wait 30 s.
# At a scale of 20 that is 0.75 s + 0.5 s + 0.75 s + 15 s (+ 1.5 s); deadlines of 8m / 9m / 2m become 24 s / 27 s / 6 s.
TWENTY = TimeScale(20)
MOMENTS = Moments(baseline_start=0.0, fault_start=100.0, fault_end=130.0, end=200.0)
PROMETHEUS = prometheus_settings()
ALERTMANAGER = alertmanager_settings(
    endpoint("pagerduty-critical", "pagerduty", send_resolved=True),
    endpoint("slack-critical", "slack", send_resolved=False),
    endpoint("default-webhook", "webhook", send_resolved=True),
)

FIRES = {"type": "alert_fires", "alert": "HighErrorRate", "within": "8m"}
DELIVERED = {"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical", "slack-critical"],
             "within": "9m"}
RESOLVES = {"type": "alert_resolves", "alert": "HighErrorRate", "within": "2m"}
NO_ALERTS = {"type": "no_alerts"}

#: HighErrorRate goes pending 1 s into the fault and fires 16 s later (after its scaled `for:` of 15 s).
FIRED = [alert(101.0, "HighErrorRate", "pending"), alert(117.0, "HighErrorRate", "firing")]


def verdict(expectation: dict, *events: object) -> Verdict:
    """The verdict on `expectation` in a scenario with a 30 s fault (unannounced deliveries are judged apart)."""
    faulted = scenario(expectation, faults=[{"duration": "10m", "fault": {"kind": "app_errors", "ratio": 0.5}}])
    return evaluate(evidence(faulted, timeline(*events), MOMENTS, PROMETHEUS, ALERTMANAGER, TWENTY))[0]


# --- alert_fires -------------------------------------------------------------------------------------


def test_alert_firing_within_the_deadline_passes_with_the_measured_time() -> None:
    result = verdict(FIRES, *FIRED)

    assert result.passed
    assert result.detail == "pending after 1.0 s; firing after 17.0 s"
    assert (result.deadline_s, result.measured_s, result.window) == (24.0, 17.0, Window(15.0, 17.0))
    assert result.slack_s() == 2.0


def test_alert_firing_after_the_deadline_fails() -> None:
    result = verdict(FIRES, alert(101.0, "HighErrorRate", "pending"), alert(130.0, "HighErrorRate", "firing"))

    assert not result.passed
    assert result.detail == "pending after 1.0 s; firing after 30.0 s"


def test_alert_already_firing_before_the_fault_fails() -> None:
    result = verdict(FIRES, alert(60.0, "HighErrorRate", "firing"), *FIRED)

    assert not result.passed
    assert result.detail == "it was already firing before the fault started"


def test_alert_still_pending_when_the_fault_starts_fails() -> None:
    result = verdict(FIRES, alert(60.0, "HighErrorRate", "pending"), alert(117.0, "HighErrorRate", "firing"))

    assert not result.passed
    assert result.detail == "it was already pending when the fault started"


def test_alert_briefly_pending_in_the_baseline_is_noted_and_still_measured_from_the_fault() -> None:
    result = verdict(FIRES, alert(60.0, "HighErrorRate", "pending"), alert(62.0, "HighErrorRate", "inactive"), *FIRED)

    assert result.passed
    assert result.detail == "pending after 1.0 s; firing after 17.0 s; briefly pending during the baseline, never firing"


# --- alert_delivered ---------------------------------------------------------------------------------


def test_delivery_to_exactly_the_expected_receivers_passes() -> None:
    result = verdict(
        DELIVERED, *FIRED, delivery(118.0, "HighErrorRate", "pagerduty-critical"),
        delivery(119.0, "HighErrorRate", "slack-critical"),
    )

    assert result.passed
    assert result.detail == "pagerduty-critical: 18.0 s; slack-critical: 19.0 s"
    assert result.measured_s == 19.0


def test_delivery_also_to_another_receiver_fails_naming_it() -> None:
    result = verdict(
        DELIVERED, *FIRED, delivery(118.0, "HighErrorRate", "pagerduty-critical"),
        delivery(119.0, "HighErrorRate", "slack-critical"), delivery(119.0, "HighErrorRate", "default-webhook"),
    )

    assert not result.passed
    assert result.detail.endswith("also delivered to default-webhook, which should not have been")


def test_delivery_missing_for_one_receiver_fails_naming_it() -> None:
    result = verdict(DELIVERED, *FIRED, delivery(118.0, "HighErrorRate", "pagerduty-critical"))

    assert not result.passed
    assert result.detail == "pagerduty-critical: 18.0 s; slack-critical: nothing arrived"


# --- alert_resolves ----------------------------------------------------------------------------------


def test_resolution_passes_with_resolved_notices_only_where_send_resolved_is_true() -> None:
    result = verdict(
        RESOLVES, *FIRED,
        delivery(118.0, "HighErrorRate", "pagerduty-critical"), delivery(119.0, "HighErrorRate", "slack-critical"),
        alert(133.0, "HighErrorRate", "inactive"), delivery(135.0, "HighErrorRate", "pagerduty-critical", "resolved"),
    )

    assert result.passed
    assert result.detail == (
        "inactive after 3.0 s; pagerduty-critical: resolved notification after 5.0 s; "
        "slack-critical: none expected (send_resolved: false)"
    )


def test_resolution_without_the_resolved_notification_fails_naming_the_receiver() -> None:
    result = verdict(
        RESOLVES, *FIRED, delivery(118.0, "HighErrorRate", "pagerduty-critical"), alert(133.0, "HighErrorRate", "inactive"),
    )

    assert not result.passed
    assert result.detail == "inactive after 3.0 s; pagerduty-critical: no resolved notification"


def test_alert_still_firing_at_the_end_does_not_resolve() -> None:
    result = verdict(RESOLVES, *FIRED)

    assert not result.passed
    assert result.detail == "still firing at the end of the run"


# --- no_alerts ---------------------------------------------------------------------------------------


def test_no_alerts_passes_on_a_quiet_timeline() -> None:
    result = verdict(NO_ALERTS, alert(5.0, "Watchdog", "inactive"))

    assert result.passed
    assert result.detail == "nothing firing or delivered in 200.0 s, nothing pending either"


def test_no_alerts_fails_naming_the_firing_alert_and_its_delivery() -> None:
    result = verdict(NO_ALERTS, alert(50.0, "TargetDown", "firing"), delivery(70.0, "TargetDown", "default-webhook"))

    assert not result.passed
    assert result.detail == "active: TargetDown; delivered: TargetDown -> default-webhook"


def test_no_alerts_notes_an_alert_that_went_pending_but_never_fired() -> None:
    result = verdict(NO_ALERTS, alert(50.0, "LowCacheHitRate", "pending"), alert(52.0, "LowCacheHitRate", "inactive"))

    assert result.passed
    assert result.detail == "nothing firing or delivered in 200.0 s (pending, never firing: LowCacheHitRate)"


def test_no_alerts_that_allows_no_pending_fails_on_a_pending_alert() -> None:
    result = verdict({"type": "no_alerts", "allow_pending": False}, alert(50.0, "LowCacheHitRate", "pending"))

    assert not result.passed
    assert result.detail == "active: LowCacheHitRate"


# Deadlines and bounds: tests/unit/test_bounds.py.


def test_resolution_naming_its_notified_receivers_fails_when_one_of_them_gets_no_resolved_notice() -> None:
    result = verdict(
        {**RESOLVES, "notified": ["pagerduty-critical", "slack-critical"]}, *FIRED,
        delivery(118.0, "HighErrorRate", "pagerduty-critical"), delivery(119.0, "HighErrorRate", "slack-critical"),
        alert(133.0, "HighErrorRate", "inactive"), delivery(135.0, "HighErrorRate", "pagerduty-critical", "resolved"),
    )

    assert not result.passed
    assert result.detail.endswith("slack-critical: no resolved notification")
