from builders import alert, delivery, gap, timeline

from harness.timeline import MetricSeen


def test_alerts_that_came_and_went_during_the_warmup_are_not_judged() -> None:
    events = timeline(alert(5, "RequestRateSpike", "pending"), alert(7, "RequestRateSpike", "inactive"),
                      alert(20, "HighErrorRate", "pending"))

    judged = events.judged_from(10)

    assert [(s.name, s.state) for s in judged.alert_states()] == [("HighErrorRate", "pending")]


def test_an_alert_still_active_when_judging_starts_is_carried_over_to_that_moment() -> None:
    events = timeline(alert(5, "RequestRateSpike", "pending"), alert(20, "RequestRateSpike", "inactive"))

    judged = events.judged_from(10)

    assert [(s.t, s.state) for s in judged.alert_states()] == [(10, "pending"), (20, "inactive")]


def test_deliveries_before_judging_starts_are_left_out() -> None:
    events = timeline(delivery(5, "TargetDown", "slack-critical"), delivery(15, "TargetDown", "slack-critical"))

    assert [d.t for d in events.judged_from(10).deliveries()] == [15]


def test_a_metric_already_present_when_judging_starts_counts_as_present_at_that_moment() -> None:
    events = timeline(MetricSeen(5.0, "up", 1))

    judged = events.judged_from(10)

    assert [(m.t, m.name) for m in judged.of_type(MetricSeen)] == [(10, "up")]


def test_a_gap_still_open_when_judging_starts_is_kept() -> None:
    events = timeline(gap(5.0, 12.0), gap(1.0, 3.0))

    assert [(g.start, g.end) for g in events.judged_from(10).gaps()] == [(5.0, 12.0)]
