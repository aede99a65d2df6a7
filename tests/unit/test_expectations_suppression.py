"""alert_not_delivered, alert_silent, metric_crosses, delivery labels and exactly-once."""

from datetime import timedelta

from builders import (
    alert, alertmanager_settings, delivery, endpoint, evidence, prometheus_settings, routing, rule, sample, scenario,
    timeline,
)

from harness.expectations import Moments, Verdict, evaluate
from harness.judges import lhs_name
from harness.timescale import TimeScale

MOMENTS = Moments(baseline_start=0.0, fault_start=100.0, fault_end=160.0, end=200.0)
ERROR_RATIO = "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0.01"
PROMETHEUS = prometheus_settings(rule("HighErrorRate", expr=ERROR_RATIO, labels={"severity": "critical"}))
ALERTMANAGER = alertmanager_settings(endpoint("slack-warnings", "slack"), endpoint("pagerduty-critical", "pagerduty"))
FIRING = alert(117.0, "HighErrorRate", "firing")
#: HighErrorRate's left-hand side during the fault, just under its 0.01 threshold.
NEAR = sample(110.0, lhs_name("HighErrorRate"), 0.0094, 0.002)
FAULT = [{"duration": "10m", "fault": {"kind": "app_errors", "ratio": 0.009}}]


def verdict(expectation: dict, *events: object) -> Verdict:
    faulted = scenario(expectation, faults=FAULT)
    return evaluate(evidence(faulted, timeline(*events), MOMENTS, PROMETHEUS, ALERTMANAGER, TimeScale(20)))[0]


# --- alert_not_delivered -------------------------------------------------------------------------------


def test_a_fired_but_undelivered_alert_passes_not_delivered() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"}, FIRING)

    assert result.status == "verified"
    assert result.detail == "fired for 83.0 s, nothing was delivered"


def test_not_delivered_because_inhibited_passes_when_alertmanager_showed_it_inhibited() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "reason": "inhibited"}, FIRING,
                     routing(118.0, "HighErrorRate", "suppressed", inhibited_by=("fp-1",)))

    assert result.status == "verified"
    assert result.expectation == "HighErrorRate is not delivered to any receiver (inhibited)"
    assert result.detail.endswith("and Alertmanager showed it inhibited")


def test_not_delivered_because_inhibited_fails_when_alertmanager_never_showed_it_inhibited() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "reason": "inhibited"}, FIRING,
                     routing(118.0, "HighErrorRate", "active", receivers=("slack-warnings",)))

    assert result.status == "failed"
    assert result.detail == "Alertmanager never showed it inhibited (it showed: active -> slack-warnings)"


def test_not_routed_fails_when_alertmanager_routed_it_to_the_receiver() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "reason": "not_routed",
                      "receivers": ["pagerduty-critical"]}, FIRING,
                     routing(118.0, "HighErrorRate", "active", receivers=("pagerduty-critical",)))

    assert result.status == "failed"
    assert result.detail == "Alertmanager routed it to pagerduty-critical"


def test_a_delivery_fails_not_delivered_naming_the_receiver() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"},
                     FIRING, delivery(118.0, "HighErrorRate", "slack-warnings"))

    assert result.status == "failed"
    assert result.detail == "delivered to slack-warnings (first 118.0 s into the run)"


def test_a_refused_delivery_attempt_still_fails_not_delivered() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"},
                     FIRING, delivery(118.0, "HighErrorRate", "slack-warnings", accepted=False, refusal="no_service"))

    assert result.status == "failed"


def test_not_delivered_to_named_receivers_ignores_the_others() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "receivers": ["slack-warnings"]},
                     FIRING, delivery(118.0, "HighErrorRate", "pagerduty-critical"))

    assert result.passed


def test_an_alert_that_never_fired_proves_no_suppression_and_is_inconclusive() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"})

    assert result.status == "inconclusive"
    assert "never fired, so its suppression proves nothing" in result.detail


def test_an_alert_that_fired_for_less_than_group_wait_is_inconclusive_not_delivered() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate"}, FIRING,
                     alert(118.0, "HighErrorRate", "inactive"))

    assert result.status == "inconclusive"
    assert "it fired for only 1.0 s" in result.detail


def test_an_unknown_receiver_in_not_delivered_fails_naming_the_known_ones() -> None:
    result = verdict({"type": "alert_not_delivered", "alert": "HighErrorRate", "receivers": ["pager"]}, FIRING)

    assert result.status == "failed"
    assert result.detail == "no receiver named pager (known: pagerduty-critical, slack-warnings)"


# --- alert_silent --------------------------------------------------------------------------------------


def test_silent_alert_passes_when_it_never_went_pending_and_its_left_hand_side_came_near() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, NEAR)

    assert result.status == "verified"
    assert result.detail == "never pending or firing; peak 0.0094 against > 0.01: 94%"


def test_silent_alert_whose_left_hand_side_stayed_far_from_the_threshold_is_inconclusive() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"},
                     sample(110.0, lhs_name("HighErrorRate"), 0.001))

    assert result.status == "inconclusive"
    assert "peak 0.001 against > 0.01: 10%; the fault never brought it within 50% of the threshold" in result.detail


def test_silent_alert_whose_left_hand_side_was_never_read_is_inconclusive() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"})

    assert result.status == "inconclusive"
    assert "left-hand side returned no value during the fault" in result.detail


def test_silent_alert_that_does_not_ask_for_nearness_passes_without_samples() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate", "near": 0})

    assert result.status == "verified"
    assert result.detail.endswith("nearness to the threshold not asked for (near: 0), so this is no proof of the threshold")


def test_silent_alert_under_a_fault_shorter_than_its_pipeline_is_inconclusive() -> None:
    short = Moments(baseline_start=0.0, fault_start=100.0, fault_end=105.0, end=200.0)
    faulted = scenario({"type": "alert_silent", "alert": "HighErrorRate"}, faults=FAULT)

    (result,) = evaluate(evidence(faulted, timeline(NEAR), short, PROMETHEUS, ALERTMANAGER, TimeScale(20)))

    assert result.status == "inconclusive"
    assert "the fault held for 5.0 s, less than the rule's whole pipeline (HighErrorRate needs 33.5 s: window 15 s" in result.detail


def test_silent_alert_fails_saying_when_it_fired() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, alert(105.0, "HighErrorRate", "pending"),
                     alert(120.0, "HighErrorRate", "firing"))

    assert result.status == "failed"
    assert result.detail == "went firing 120.0 s into the run"


def test_silent_alert_fails_on_a_delivery_of_it() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, NEAR,
                     delivery(150.0, "HighErrorRate", "pagerduty-critical"))

    assert result.status == "failed"
    assert result.detail == "never seen firing, yet delivered to pagerduty-critical"


def test_silent_alert_that_only_went_pending_passes_with_a_note() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate"}, alert(105.0, "HighErrorRate", "pending"),
                     alert(110.0, "HighErrorRate", "inactive"), NEAR)

    assert result.passed
    assert result.detail.startswith("never firing (pending 1x, first 105.0 s into the run)")


def test_silent_alert_that_allows_no_pending_fails_saying_when_it_went_pending() -> None:
    result = verdict({"type": "alert_silent", "alert": "HighErrorRate", "allow_pending": False},
                     alert(105.0, "HighErrorRate", "pending"))

    assert not result.passed
    assert result.detail == "went pending 105.0 s into the run"


# --- metric_crosses ------------------------------------------------------------------------------------


def test_metric_crossing_above_its_threshold_in_time_passes_with_the_value() -> None:
    query = "job_queue_depth"
    result = verdict({"type": "metric_crosses", "query": query, "above": 100, "within": "1m"},
                     sample(101.0, query, 20.0), sample(102.0, query, 150.0))

    assert result.passed
    assert result.detail == "150 after 2.0 s"


def test_metric_crossing_reads_the_highest_series_not_their_sum() -> None:
    query = "job:error_ratio"
    result = verdict({"type": "metric_crosses", "query": query, "above": 0.01, "within": "1m"},
                     sample(101.0, query, 0.006, 0.006))

    assert not result.passed
    assert result.detail == "never did (highest value: 0.006)"


def test_metric_that_never_crosses_fails_with_its_closest_value() -> None:
    query = "job_queue_depth"
    result = verdict({"type": "metric_crosses", "query": query, "above": 100, "within": "1m"},
                     sample(101.0, query, 20.0), sample(102.0, query, 40.0), sample(103.0, query, 30.0))

    assert not result.passed
    assert result.detail == "never did (highest value: 40)"


# --- deliveries ------------------------------------------------------------------------------------------


def test_delivery_of_an_alert_missing_an_expected_label_fails_naming_it() -> None:
    firing = alert(117.0, "HighErrorRate", "firing", alertname="HighErrorRate", severity="warning")
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
                     FIRING, delivery(118.0, "HighErrorRate", "pagerduty-critical", accepted=False, refusal="503"),
                     delivery(121.0, "HighErrorRate", "pagerduty-critical"))

    assert result.passed
    assert result.detail == "pagerduty-critical: 21.0 s (after 1 refused attempts)"


def test_a_delivery_the_sink_refused_as_the_real_service_would_is_not_a_delivery() -> None:
    result = verdict({"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                      "within": "9m"}, FIRING,
                     delivery(118.0, "HighErrorRate", "pagerduty-critical", accepted=False,
                              refusal="routing_key '${PAGERDUTY_KEY}' is not a PagerDuty integration key"))

    assert result.status == "failed"
    assert result.detail == (
        "pagerduty-critical: nothing arrived; 1 attempts refused as the real service would "
        "(routing_key '${PAGERDUTY_KEY}' is not a PagerDuty integration key)"
    )


def test_a_group_notification_counts_only_for_the_alerts_it_names_as_firing() -> None:
    result = verdict({"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                      "within": "9m"}, FIRING,
                     delivery(118.0, "HighErrorRate", "pagerduty-critical", state="resolved", delivery_id=7))

    assert result.detail == "pagerduty-critical: nothing arrived"


def test_a_for_of_zero_needs_no_pending() -> None:
    instant = prometheus_settings(rule("HighErrorRate", for_=timedelta(0)))
    faulted = scenario({"type": "alert_fires", "alert": "HighErrorRate", "within": "8m"}, faults=FAULT)

    (result,) = evaluate(evidence(faulted, timeline(FIRING), MOMENTS, instant, ALERTMANAGER, TimeScale(20)))

    assert result.passed
