"""The stack's own records confirm the observer, or make the verdicts that need them inconclusive."""

import httpx
from builders import alert, delivery, timeline
from fake_stack import ok, quiet_stack

from harness.witnesses import Witnesses, successful_requests

AM_METRICS = """\
# TYPE alertmanager_notification_requests_total counter
alertmanager_notification_requests_total{integration="slack"} %s
alertmanager_notification_requests_total{integration="pagerduty"} 3
# TYPE alertmanager_notification_requests_failed_total counter
alertmanager_notification_requests_failed_total{integration="slack"} 0
alertmanager_notification_requests_failed_total{integration="pagerduty"} 2
"""


def matrix(*series: tuple[dict, list[float]]) -> httpx.Response:
    return ok({"resultType": "matrix", "result": [{"metric": m, "values": [[t, "1"] for t in ts]} for m, ts in series]})


def witnesses_over(steps: list[float], firing: dict[str, list[float]], slack_sent: int = 0) -> Witnesses:
    stack = quiet_stack()
    counts = iter([AM_METRICS % 0, AM_METRICS % slack_sent])
    stack.answers["/metrics"] = lambda _: httpx.Response(200, text=next(counts))

    def query_range(request: httpx.Request) -> httpx.Response:
        if "ALERTS" in request.url.params["query"]:
            return matrix(*[({"alertname": name}, ts) for name, ts in firing.items()])
        return matrix(({}, steps))

    stack.answers["/api/v1/query_range"] = query_range
    witnesses = Witnesses(stack, step=1.0, tolerance=1.5)  # type: ignore[arg-type]
    witnesses.open()
    return witnesses


def test_successful_requests_are_the_total_less_the_failed_per_integration() -> None:
    assert successful_requests(AM_METRICS % 4) == {"slack": 4.0, "pagerduty": 1.0}


def test_witnesses_agree_when_alerts_fired_when_the_observer_saw_them_fire() -> None:
    witnesses = witnesses_over(list(range(0, 21)), {"HighErrorRate": [10, 11, 12]})
    seen = timeline(alert(9.5, "HighErrorRate", "firing"), alert(12.5, "HighErrorRate", "inactive"))

    account = witnesses.testify(seen, 0.0, 20.0, scrape=1.0)

    assert account.disagreements == () and account.gaps == ()


def test_an_alert_firing_in_alerts_that_the_observer_never_saw_is_a_disagreement() -> None:
    witnesses = witnesses_over(list(range(0, 21)), {"HighErrorRate": [10, 11]})

    account = witnesses.testify(timeline(), 0.0, 20.0, scrape=1.0)

    (disagreement,) = account.disagreements
    assert disagreement.subject == "HighErrorRate"
    assert "Prometheus's ALERTS shows HighErrorRate firing at 2 evaluation steps the observer never saw" in (
        disagreement.detail)


def test_the_observer_seeing_an_alert_fire_that_alerts_never_recorded_is_a_disagreement() -> None:
    witnesses = witnesses_over(list(range(0, 21)), {})
    seen = timeline(alert(5.0, "HighErrorRate", "firing"), alert(15.0, "HighErrorRate", "inactive"))

    (disagreement,) = witnesses.testify(seen, 0.0, 20.0, scrape=1.0).disagreements

    assert "has no firing sample in that span" in disagreement.detail


def test_steps_without_any_scraped_sample_are_a_witness_gap() -> None:
    witnesses = witnesses_over([0, 1, 2, 3, 12, 13, 14, 15, 16, 17, 18, 19, 20], {})

    (gap,) = witnesses.testify(timeline(), 0.0, 20.0, scrape=1.0).gaps

    assert (gap.source, gap.start, gap.end) == ("witness", 3.0, 12.0)


def test_a_notification_alertmanager_sent_that_the_sink_never_recorded_is_a_disagreement() -> None:
    witnesses = witnesses_over(list(range(0, 21)), {}, slack_sent=2)
    seen = timeline(delivery(5.0, "HighErrorRate", "slack-critical", kind="slack", delivery_id=1))

    (disagreement,) = witnesses.testify(seen, 0.0, 20.0, scrape=1.0).disagreements

    assert disagreement.subject == "integration slack"
    assert disagreement.detail.startswith("Alertmanager counts 2 successful slack notifications, the sink recorded 1")
