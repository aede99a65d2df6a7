"""A verdict is earned: gaps, disagreeing witnesses and stopped load make it INCONCLUSIVE, never passed."""

from builders import (
    alert, alertmanager_settings, delivery, endpoint, evidence, gap, prometheus_settings, rule, sample, scenario,
    timeline,
)

from harness.expectations import Moments, Verdict, evaluate
from harness.judges import JUDGES, lhs_name
from harness.load import LoadRecord
from harness.scenario import Expectation
from harness.timeline import Gap
from harness.timescale import TimeScale
from harness.witnesses import Disagreement, WitnessAccount

from typing import get_args

MOMENTS = Moments(baseline_start=0.0, fault_start=100.0, fault_end=160.0, end=200.0)
PROMETHEUS = prometheus_settings(
    rule("HighErrorRate", expr="sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0.05",
         labels={"severity": "critical"}),
    rule("ElevatedErrorRate", expr="sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0.01",
         labels={"severity": "warning"}),
    rule("DiskFull", labels={"severity": "critical"}),
)
ALERTMANAGER = alertmanager_settings(endpoint("slack-warnings", "slack"), endpoint("pagerduty-critical", "pagerduty"))
FAULT = [{"duration": "10m", "fault": {"kind": "app_errors", "ratio": 0.04}}]
SILENT = {"type": "alert_silent", "alert": "HighErrorRate"}
NEAR = sample(110.0, lhs_name("HighErrorRate"), 0.04)
FIRES = {"type": "alert_fires", "alert": "ElevatedErrorRate", "within": "8m"}
FIRED = [alert(101.0, "ElevatedErrorRate", "pending"), alert(117.0, "ElevatedErrorRate", "firing")]


def verdicts(*expectations: dict, events: tuple = (), witnessed: WitnessAccount | None = None,
             load: LoadRecord | None = None, **fields: object) -> list[Verdict]:
    faulted = scenario(*expectations, faults=FAULT, **fields)
    return evaluate(evidence(faulted, timeline(*events), MOMENTS, PROMETHEUS, ALERTMANAGER, TimeScale(20), witnessed,
                             load))


def test_every_expectation_type_has_its_own_judge() -> None:
    assert set(get_args(get_args(Expectation)[0])) == set(JUDGES)


def test_silence_over_a_prometheus_gap_is_inconclusive_naming_the_gap() -> None:
    (result,) = verdicts(SILENT, events=(NEAR, gap(110.0, 125.0, reason="connection refused")))

    assert result.status == "inconclusive"
    assert "prometheus unreadable from 110.0 s to 125.0 s (connection refused)" in result.detail


def test_a_gap_shorter_than_one_poll_and_evaluation_hides_nothing() -> None:
    (result,) = verdicts(SILENT, events=(NEAR, gap(110.0, 110.5)))

    assert result.status == "verified"


def test_a_dead_observer_makes_silence_inconclusive() -> None:
    (result,) = verdicts(SILENT, events=(NEAR, gap(50.0, None, "observer", "the observer stopped: KeyError: 'x'")))

    assert result.status == "inconclusive"
    assert "observer unreadable from 50.0 s to the end (the observer stopped: KeyError: 'x')" in result.detail


def test_a_sink_gap_that_closed_hides_nothing_because_the_sink_keeps_its_record() -> None:
    (result,) = verdicts(SILENT, events=(NEAR, gap(110.0, 150.0, "sink")))

    assert result.status == "verified"


def test_a_sink_unreadable_at_the_end_makes_silence_inconclusive() -> None:
    (result,) = verdicts(SILENT, events=(NEAR, gap(150.0, None, "sink")))

    assert result.status == "inconclusive"


def test_silence_under_less_load_than_asked_is_inconclusive_naming_both_figures() -> None:
    (result,) = verdicts(SILENT, events=(NEAR,), load=LoadRecord(asked_rps=2000.0, delivered_rps=1056.0))
    assert result.status == "inconclusive"
    assert "load asked 2000 req/s and got 1056 req/s (53 %)" in result.detail


def test_silence_with_the_load_stopped_early_is_inconclusive() -> None:
    (result,) = verdicts(SILENT, events=(NEAR,), load=LoadRecord(ran_to_end=False))

    assert result.status == "inconclusive"
    assert result.detail == "INCONCLUSIVE: the load generator stopped before the scenario ended"


def test_silence_over_a_load_gap_is_inconclusive_naming_it() -> None:
    load = LoadRecord(gaps=(Gap(105.0, "load", "no request issued for 12.0 s", 117.0),))

    (result,) = verdicts(SILENT, events=(NEAR,), load=load)

    assert result.status == "inconclusive"
    assert "no load from 105.0 s to 117.0 s (no request issued for 12.0 s)" in result.detail


def test_an_alert_the_alerts_witness_saw_firing_but_the_observer_did_not_is_inconclusive() -> None:
    witnessed = WitnessAccount(disagreements=(Disagreement(120.0, "HighErrorRate", "ALERTS shows it firing"),))

    (result,) = verdicts(SILENT, events=(NEAR,), witnessed=witnessed)

    assert result.status == "inconclusive"
    assert "witnesses disagree: ALERTS shows it firing" in result.detail


def test_a_notification_alertmanager_sent_that_the_sink_never_saw_makes_no_alerts_inconclusive() -> None:
    witnessed = WitnessAccount(disagreements=(Disagreement(0.0, "integration slack", "2 went elsewhere"),))

    (result,) = verdicts({"type": "no_alerts"}, events=(NEAR,), witnessed=witnessed)

    assert result.status == "inconclusive"


def test_a_firing_verdict_with_the_prometheus_witness_unreadable_is_inconclusive() -> None:
    witnessed = WitnessAccount(gaps=(Gap(0.0, "witness", "Prometheus holds no scraped sample", 200.0),))

    (result,) = verdicts(FIRES, events=tuple(FIRED), witnessed=witnessed)

    assert result.status == "inconclusive"


def test_a_firing_verdict_untouched_by_gaps_stands() -> None:
    (result,) = verdicts(FIRES, events=(*FIRED, gap(150.0, 160.0)))

    assert result.status == "verified"


# --- alert_resolves ------------------------------------------------------------------------------------


def test_an_alert_that_was_only_pending_does_not_resolve() -> None:
    (result,) = verdicts({"type": "alert_resolves", "alert": "ElevatedErrorRate", "within": "10m"},
                         events=(FIRED[0], alert(140.0, "ElevatedErrorRate", "inactive")))

    assert result.status == "failed"
    assert result.detail == "it never fired, so it cannot resolve (it was only pending)"


def test_an_alert_that_went_inactive_before_the_fault_ended_fails_resolution() -> None:
    (result,) = verdicts({"type": "alert_resolves", "alert": "ElevatedErrorRate", "within": "10m"},
                         events=(*FIRED, alert(120.0, "ElevatedErrorRate", "inactive")))

    assert result.status == "failed"
    assert result.detail.startswith("it went inactive 40.0 s before the fault ended")


# --- nothing pages unannounced ------------------------------------------------------------------------


def test_a_page_no_expectation_mentions_fails_the_scenario_naming_it() -> None:
    results = verdicts(FIRES, events=(*FIRED, delivery(120.0, "DiskFull", "pagerduty-critical")))

    assert [v.status for v in results] == ["verified", "failed"]
    assert results[1].detail.startswith("unannounced, failing the scenario: DiskFull -> pagerduty-critical (critical)")


def test_an_unannounced_delivery_below_the_expected_severity_is_listed_not_failed() -> None:
    expected = {"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical"],
                "within": "9m"}
    results = verdicts(expected, events=(alert(117.0, "HighErrorRate", "firing"),
                                         delivery(118.0, "HighErrorRate", "pagerduty-critical"),
                                         delivery(119.0, "ElevatedErrorRate", "slack-warnings")))

    assert [v.status for v in results] == ["verified", "verified"]
    assert results[1].detail == "unannounced, below the expected severity: ElevatedErrorRate -> slack-warnings"


def test_an_allowed_alert_may_be_delivered_unannounced() -> None:
    results = verdicts(FIRES, events=(*FIRED, delivery(120.0, "DiskFull", "pagerduty-critical")),
                       allow_unannounced=["DiskFull"])

    assert [v.status for v in results] == ["verified"]


def test_a_delivery_the_sink_could_not_attribute_fails_the_scenario() -> None:
    results = verdicts(FIRES, events=(*FIRED, delivery(120.0, "", "slack-warnings")))

    assert results[1].status == "failed"
    assert "(unattributed) -> slack-warnings (the sink could not tell which alerts it carried)" in results[1].detail
