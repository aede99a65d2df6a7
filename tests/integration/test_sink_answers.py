"""The sink answers real Alertmanager deliveries as the real services would, and says which alerts
each one is about.

Negative control: the default stack with its PagerDuty routing key replaced by the literal text
`${PAGERDUTY_KEY}` (as in a config whose variable was never expanded: Alertmanager does not expand
environment variables). Alertmanager's real delivery reaches the sink, is refused as PagerDuty
refuses it, and is recorded with the reason; a scenario run over that config is not verified.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from commands import harness, our_containers

from harness import polling
from harness.gate import new_run_id
from harness.sinks import Delivery
from harness.stack import RunningStack, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_ROUTING_KEY = "routing_key: 0123456789abcdef0123456789abcdef"
PLACEHOLDER_ROUTING_KEY = "routing_key: ${PAGERDUTY_KEY}"


def stack_with_placeholder_key(where: Path) -> Path:
    """A copy of the default stack whose pagerduty-critical routing key is `${PAGERDUTY_KEY}`."""
    shutil.copytree(ROOT / "compose", where / "compose")
    for package in ("sink_service", "sample_app"):
        shutil.copytree(ROOT / "harness" / package, where / "harness" / package)
    routing = where / "compose/alertmanager/alertmanager.yml"
    text = routing.read_text()
    assert SHIPPED_ROUTING_KEY in text, "the shipped config changed; update this negative control"
    routing.write_text(text.replace(SHIPPED_ROUTING_KEY, PLACEHOLDER_ROUTING_KEY))
    return where / "compose/docker-compose.yml"


@pytest.fixture(scope="module")
def placeholder_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    where = tmp_path_factory.mktemp("placeholder-stack")
    stack = load_stack(stack_with_placeholder_key(where))
    scale = TimeScale(20.0)
    rendered = render_configs(stack, where / "run", scale)
    with running_stack(stack, rendered, scale, new_run_id(), where / "run") as live:
        yield live


def wait_for_deliveries(stack: RunningStack, describe: str, wanted: object) -> list[Delivery]:
    def found() -> list[Delivery] | None:
        deliveries = [d for d in stack.sink.deliveries() if wanted(d)]  # type: ignore[operator]
        return deliveries or None

    return polling.wait_for(found, timeout=40, describe=describe)


def test_alertmanagers_delivery_with_a_placeholder_routing_key_is_refused_and_recorded(
    placeholder_stack: RunningStack,
) -> None:
    labels = {"alertname": "TestPlaceholderKey", "severity": "critical", "service": "api"}
    placeholder_stack.alertmanager.post_alert(labels, {"summary": "placeholder key"})

    [refused, *_] = wait_for_deliveries(
        placeholder_stack, "a delivery of TestPlaceholderKey to pagerduty-critical",
        lambda d: d.receiver == "pagerduty-critical" and "TestPlaceholderKey" in d.alertnames,
    )

    assert (refused.kind, refused.accepted, refused.parsed, refused.attributed) == ("pagerduty", False, True, True)
    assert refused.refusal is not None
    assert "Length of 'routing_key' is incorrect (should be 32 characters)" in refused.refusal
    assert "'${PAGERDUTY_KEY}' looks like an unfilled placeholder" in refused.refusal
    slack = wait_for_deliveries(
        placeholder_stack, "the same alert at slack-critical",
        lambda d: d.receiver == "slack-critical" and "TestPlaceholderKey" in d.alertnames,
    )
    assert all(d.accepted for d in slack)


def test_group_with_two_firing_and_one_resolved_alert_is_attributed_per_alert(
    placeholder_stack: RunningStack,
) -> None:
    def post(instance: str, resolved: bool = False) -> None:
        labels = {"alertname": "TestMixed", "severity": "warning", "service": "mixed", "instance": instance}
        # Firing alerts end far ahead: posted once, they would otherwise time out (resolve_timeout).
        ends_in = timedelta(seconds=-1) if resolved else timedelta(minutes=10)
        placeholder_stack.alertmanager.post_alert(labels, {"summary": f"mixed {instance}"}, ends_in=ends_in)

    for instance in ("a", "b", "c"):
        post(instance)
    wait_for_deliveries(
        placeholder_stack, "three firing TestMixed alerts at slack-warnings",
        lambda d: d.receiver == "slack-warnings" and len(d.alerts_named("TestMixed")) == 3,
    )
    post("c", resolved=True)

    [mixed, *_] = wait_for_deliveries(
        placeholder_stack, "a TestMixed notification at slack-warnings with one alert resolved",
        lambda d: d.receiver == "slack-warnings"
        and any(a.status == "resolved" for a in d.alerts_named("TestMixed")),
    )

    statuses = sorted((dict(a.labels)["instance"], a.status) for a in mixed.alerts_named("TestMixed"))
    assert statuses == [("a", "firing"), ("b", "firing"), ("c", "resolved")]
    assert mixed.status == "firing"  # the group's status; each alert keeps its own above
    assert mixed.attributed and mixed.accepted


def test_scenario_paging_through_a_placeholder_routing_key_is_not_verified(tmp_path: Path) -> None:
    stack = stack_with_placeholder_key(tmp_path)
    scenario = tmp_path / "placeholder-key.yml"
    scenario.write_text(
        "name: placeholder-key\n"
        "load: {users: 2, rate_per_user: 5}\n"
        "baseline: 1m\n"
        "faults:\n"
        "  - {at: 0s, duration: 8m, fault: {kind: app_errors, ratio: 0.5, status: 500}}\n"
        "recovery: 1m\n"
        "expectations:\n"
        "  - {type: alert_delivered, alert: HighErrorRate, receivers: [pagerduty-critical, slack-critical], within: 8m}\n"
    )

    result = harness("run", "--stack", str(stack), str(scenario), reports=tmp_path / "reports")

    assert result.returncode == 1, result.stderr[-3000:]
    said = " ".join(result.stderr.split())
    assert "HighErrorRate reaches exactly pagerduty-critical, slack-critical" in said
    assert "pagerduty-critical: nothing arrived" in said
    assert "refused as the real service would" in said and "looks like an unfilled placeholder" in said
    assert our_containers(tmp_path / "reports") == []
