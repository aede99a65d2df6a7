"""The observer records what it could not read as gaps, never as quiet."""

import httpx
from fake_stack import ok, quiet_stack

from harness.observer import Observer


def firing(name: str) -> dict:
    return {"labels": {"alertname": name}, "state": "firing", "activeAt": "2026-12-02T00:00:00Z"}


def test_an_unreachable_prometheus_opens_a_gap_that_the_next_good_poll_closes() -> None:
    stack = quiet_stack()
    observer = Observer(stack)  # type: ignore[arg-type]
    observer.poll()
    alerts = stack.answers.pop("/api/v1/alerts")
    observer.poll()
    stack.answers["/api/v1/alerts"] = alerts
    observer.poll()

    (gap,) = observer.timeline().gaps()

    assert gap.source == "prometheus" and gap.end is not None and gap.end >= gap.start
    assert "Prometheus at http://127.0.0.1:9090/api/v1/alerts" in gap.reason


def test_a_source_still_unreadable_at_the_end_leaves_its_gap_open() -> None:
    stack = quiet_stack()
    del stack.answers["/deliveries"]
    observer = Observer(stack)  # type: ignore[arg-type]
    observer.poll()

    (gap,) = observer.timeline().gaps()

    assert (gap.source, gap.end) == ("sink", None)


def test_an_exception_in_the_polling_thread_is_a_gap_to_the_end_not_silence() -> None:
    stack = quiet_stack()
    stack.answers["/api/v1/alerts"] = lambda _: ok({"alerts": [{"state": "firing"}]})  # no labels: a KeyError
    with Observer(stack, interval=0.05) as observer:  # type: ignore[arg-type]
        pass

    gaps = observer.timeline().gaps()

    assert [(g.source, g.end) for g in gaps] == [("observer", None)]
    assert gaps[0].reason.startswith("the observer stopped: KeyError")


def test_alertmanager_routing_records_inhibition_and_receivers() -> None:
    stack = quiet_stack()
    stack.answers["/api/v2/alerts"] = lambda _: httpx.Response(200, json=[{
        "labels": {"alertname": "ElevatedErrorRate", "severity": "warning"},
        "status": {"state": "suppressed", "inhibitedBy": ["abc"], "silencedBy": []},
        "receivers": [{"name": "slack-warnings"}],
    }])
    observer = Observer(stack)  # type: ignore[arg-type]
    observer.poll()

    (state,) = observer.timeline().routing("ElevatedErrorRate")

    assert (state.state, state.inhibited_by, state.receivers) == ("suppressed", ("abc",), ("slack-warnings",))


def test_a_group_notification_is_recorded_per_alert_with_its_own_status() -> None:
    stack = quiet_stack()
    stack.answers["/deliveries"] = lambda _: httpx.Response(200, json=[{
        "id": 1, "received_at": 10.0, "kind": "webhook", "receiver": "ops", "status": "firing", "accepted": True,
        "alertnames": ["A", "B"], "text": "",
        "alerts": [{"name": "A", "status": "firing", "labels": {"alertname": "A"}},
                   {"name": "B", "status": "resolved", "labels": {"alertname": "B"}}],
        "attributed": True,
    }])
    observer = Observer(stack)  # type: ignore[arg-type]
    observer.poll()

    assert [(d.name, d.status) for d in observer.timeline().deliveries()] == [("A", "firing"), ("B", "resolved")]
