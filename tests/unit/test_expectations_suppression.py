"""alert_not_delivered, alert_silent, metric_crosses, delivery labels and exactly-once."""

from builders import alert, alertmanager_settings, delivery, endpoint, prometheus_settings, scenario, timeline

from harness.expectations import Moments, Verdict, evaluate
from harness.timescale import TimeScale

MOMENTS = Moments(baseline_start=0.0, fault_start=100.0, fault_end=130.0, end=200.0)
PROMETHEUS = prometheus_settings()
ALERTMANAGER = alertmanager_settings(endpoint("slack-warnings", "slack"), endpoint("pagerduty-critical", "pagerduty"))
FIRING = alert(117.0, "HighErrorRate", "firing")


def verdict(expectation: dict, *events: dict) -> Verdict:
    (only,) = evaluate(scenario(expectation), timeline(*events), MOMENTS, PROMETHEUS, ALERTMANAGER, TimeScale(20))
    return only


def sample(t: float, query: str, value: float) -> dict:
    return {"t": t, "source": "sample", "name": query, "state": repr(value)}


def test_a_fired_but_undelivered_alert_passes_not_delivered() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "reason": "inhibited"}, FIRING)

    assert result.passed
    assert result.expectation == "HighErrorRate is not delivered to any receiver (inhibited)"


def test_a_delivery_fails_not_delivered_naming_the_receiver() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"},
                     FIRING, delivery(118.0, "HighErrorRate", "slack-warnings"))

    assert not result.passed
    assert result.detail == "delivered to slack-warnings"


def test_not_delivered_to_named_receivers_ignores_the_others() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "receivers": ["slack-warnings"]},
                     FIRING, delivery(118.0, "HighErrorRate", "pagerduty-critical"))

    assert result.passed


def test_an_alert_that_never_fired_proves_no_suppression() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"})

    assert not result.passed
    assert "never fired" in result.detail


def test_silent_alert_passes_when_it_never_went_pending() -> None:
    assert verdict({"type": "alert_silent", "alert": "HighErrorRate"}).passed


def test_silent_alert_fails_saying_when_it_fired() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, alert(105.0, "HighErrorRate", "pending"),
                     alert(120.0, "HighErrorRate", "firing"))

    assert not result.passed
    assert result.detail == "went firing 120.0 s into the run"


def test_silent_alert_that_only_went_pending_passes_with_a_note() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, alert(105.0, "HighErrorRate", "pending"),
                     alert(110.0, "HighErrorRate", "inactive"))

    assert result.passed
    assert result.detail == "never firing (pending 1x, first 105.0 s into the run)"


def test_silent_alert_that_allows_no_pending_fails_saying_when_it_went_pending() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate", "allow_pending": False},
                     alert(105.0, "HighErrorRate", "pending"))

    assert not result.passed
    assert result.detail == "went pending 105.0 s into the run"


def test_metric_crossing_above_its_threshold_in_time_passes_with_the_value() -> None:
    query = "job_queue_depth"
    result = verdict({"type": "metric_crosses", "query": query, "above": 100, "within": "1m"},
                     sample(101.0, query, 20.0), sample(102.0, query, 150.0))

    assert result.passed
    assert result.detail == "150 after 2.0 s"


def test_metric_that_never_crosses_fails_with_its_last_value() -> None:
    query = "job_queue_depth"
    result = verdict({"type": "metric_crosses", "query": query, "above": 100, "within": "1m"}, sample(101.0, query, 20.0))

    assert not result.passed
    assert result.detail == "never did (last value: 20)"


def test_delivery_of_an_alert_missing_an_expected_label_fails_naming_it() -> None:
    firing = {**FIRING, "labels": "alertname=HighErrorRate,severity=warning"}
    result = verdict({"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                      "labels": {"severity": "critical"}, "within": "9m"},
                     firing, delivery(118.0, "HighErrorRate", "pagerduty-critical"))

    assert not result.passed
    assert "the firing alert lacks severity=critical" in result.detail


def test_exactly_once_fails_when_a_receiver_is_notified_twice() -> None:
    result = verdict({"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                      "exactly_once": True, "within": "9m"},
                     FIRING, delivery(118.0, "HighErrorRate", "pagerduty-critical"),
                     delivery(125.0, "HighErrorRate", "pagerduty-critical"))

    assert not result.passed
    assert "pagerduty-critical got it 2 times" in result.detail


def test_refused_attempts_before_the_delivery_are_reported() -> None:
    result = verdict({"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                      "exactly_once": True, "within": "9m"},
                     FIRING, delivery(118.0, "HighErrorRate", "pagerduty-critical", detail="refused by sink"),
                     delivery(121.0, "HighErrorRate", "pagerduty-critical"))

    assert result.passed
    assert result.detail == "pagerduty-critical: 21.0 s (after 1 refused attempts)"
