"""Every receiver of the default Alertmanager config, proven by a real delivery into the sink.

Test alerts go straight into the real Alertmanager (as Prometheus would send them); its real
routing tree decides who is notified; the sink records what actually arrived.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness import polling
from harness.sinks import Delivery
from harness.stack import RunningStack


def deliveries_for(stack: RunningStack, alertname: str, count: int, status: str = "firing") -> list[Delivery]:
    """Wait until `count` receivers got `alertname` with `status`; then a moment more for strays."""

    def arrived() -> list[Delivery] | None:
        found = [d for d in stack.sink.deliveries() if about(d, alertname, status)]
        return found if len({d.receiver for d in found}) >= count else None

    found = polling.wait_for(arrived, timeout=30, describe=f"{count} {status} deliveries of {alertname}")
    polling.sleep(2 * stack.scale.compress(stack.alertmanager_settings.group_wait).total_seconds())
    return [d for d in stack.sink.deliveries() if about(d, alertname, status)] or found


def about(delivery: Delivery, alertname: str, status: str) -> bool:
    return any(alert.status == status for alert in delivery.alerts_named(alertname))


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param({"severity": "critical", "service": "api"},
                     {"pagerduty-critical": "pagerduty", "slack-critical": "slack"}, id="critical"),
        pytest.param({"severity": "critical", "team": "database", "service": "db"},
                     {"pagerduty-database": "pagerduty_v1", "pagerduty-critical": "pagerduty", "slack-critical": "slack"},
                     id="critical-database-events-v1"),
        pytest.param({"severity": "warning", "service": "api"},
                     {"slack-warnings": "slack", "email-oncall": "email"}, id="warning"),
        pytest.param({"severity": "info", "service": "api"}, {"default-webhook": "webhook"}, id="default"),
    ],
)
def test_alert_reaches_exactly_the_receivers_its_route_names(
    harness_stack: RunningStack, labels: dict[str, str], expected: dict[str, str], request: pytest.FixtureRequest
) -> None:
    alertname = f"Test{request.node.callspec.id.title().replace('-', '')}"
    harness_stack.alertmanager.post_alert({"alertname": alertname, **labels}, {"summary": "routing test"})

    delivered = deliveries_for(harness_stack, alertname, len(expected))

    assert {d.receiver: d.kind for d in delivered} == expected
    assert all(d.accepted for d in delivered)


def test_resolved_notification_goes_only_where_send_resolved_is_on(harness_stack: RunningStack) -> None:
    labels = {"alertname": "TestResolution", "severity": "warning", "service": "resolution"}
    harness_stack.alertmanager.post_alert(labels, {"summary": "resolution test"})
    deliveries_for(harness_stack, "TestResolution", 2)

    harness_stack.alertmanager.post_alert(labels, {"summary": "resolution test"}, ends_in=timedelta(seconds=-1))
    resolved = deliveries_for(harness_stack, "TestResolution", 1, status="resolved")

    # slack-warnings says send_resolved: true; email-oncall leaves it at Alertmanager's default, false.
    assert {d.receiver for d in resolved} == {"slack-warnings"}


def test_every_harness_container_is_labelled_with_the_run(harness_stack: RunningStack) -> None:
    from harness import engine, publisher

    labelled = engine.client().containers.list(filters={"label": f"{engine.RUN_LABEL}={harness_stack.run_id}"})

    services = sorted(c.labels["dev.monitoring-harness.service"] for c in labelled if "dev.monitoring-harness.service" in c.labels)
    assert services == sorted(harness_stack.containers)
    assert [c.labels.get(publisher.PUBLISHER_LABEL) for c in labelled if c.labels.keys() & {publisher.PUBLISHER_LABEL}] == [
        harness_stack.network_name
    ]


def test_healthy_stack_scrapes_every_target_and_knows_its_alertmanager(harness_stack: RunningStack) -> None:
    assert harness_stack.prometheus.unhealthy_targets() == []
    assert harness_stack.prometheus.alertmanagers() == ["http://alertmanager:9093/api/v2/alerts"]
