from builders import alert, delivery, timeline

from harness.expectations import judged_from


def test_alerts_that_came_and_went_during_the_warmup_are_not_judged() -> None:
    events = timeline(alert(5, "RequestRateSpike", "pending"), alert(7, "RequestRateSpike", "inactive"),
                      alert(20, "HighErrorRate", "pending"))

    judged = judged_from(events, start=10)

    assert list(zip(judged["name"], judged["state"])) == [("HighErrorRate", "pending")]


def test_an_alert_still_active_when_judging_starts_is_carried_over_to_that_moment() -> None:
    events = timeline(alert(5, "RequestRateSpike", "pending"), alert(20, "RequestRateSpike", "inactive"))

    judged = judged_from(events, start=10)

    assert list(zip(judged["t"], judged["state"])) == [(10, "pending"), (20, "inactive")]


def test_deliveries_before_judging_starts_are_left_out() -> None:
    events = timeline(delivery(5, "TargetDown", "slack-critical"), delivery(15, "TargetDown", "slack-critical"))

    assert list(judged_from(events, start=10)["t"]) == [15]


def test_a_metric_already_present_when_judging_starts_counts_as_present_at_that_moment() -> None:
    events = timeline({"t": 5.0, "source": "metric", "name": "up", "state": "present"})

    judged = judged_from(events, start=10)

    assert list(zip(judged["t"], judged["name"])) == [(10, "up")]
