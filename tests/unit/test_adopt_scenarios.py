"""Scenario files written from a search: deadlines from the rule and its route, receivers from the routing tree, batches."""

from __future__ import annotations

from datetime import timedelta

from harness import routing
from harness.adopt import scenarios
from harness.adopt.drives import Drive, drives_for
from harness.adopt.search import Found, Observation, Probe
from harness.bounds import check_deadlines
from harness.configs import AlertmanagerSettings, AlertRule, PrometheusSettings
from harness.receivers import RedirectedEndpoint
from harness.scenario import Scenario

ROUTE = {
    "receiver": "slack-warnings", "group_wait": "30s", "group_interval": "2m",
    "routes": [{"matchers": ['severity="critical"'], "receiver": "pagerduty-critical", "continue": True},
               {"matchers": ['severity="critical"'], "receiver": "slack-critical"},
               {"matchers": ['severity="none"'], "receiver": "blackhole"}],
}
INHIBIT = [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"']}]


def alertmanager() -> AlertmanagerSettings:
    endpoints = tuple(RedirectedEndpoint(name, "slack", True, False, "hooks.slack.com/services/T/B/x")
                      for name in ("slack-warnings", "pagerduty-critical", "slack-critical"))
    return AlertmanagerSettings(timedelta(seconds=30), timedelta(minutes=2), timedelta(hours=4), endpoints,
                                route=routing.parse_tree(ROUTE, "alertmanager.yml: route"))


def prometheus(*rules: AlertRule) -> PrometheusSettings:
    return PrometheusSettings(timedelta(seconds=15), timedelta(seconds=15), rules)


def rule(name: str, expr: str, severity: str, window: int = 5, for_: int = 2) -> AlertRule:
    return AlertRule(name, expr, expr, timedelta(minutes=for_), {"severity": severity}, f"rules.yml: {name}",
                     longest_range=timedelta(minutes=window))


def found(r: AlertRule) -> Found:
    drives = drives_for(r.name, r.expr)
    assert isinstance(drives, list)
    drive: Drive = drives[0]
    return Found(r.name, drive, Observation(Probe(10.0), True, 10.0, {"instance": "a"}),
                 Observation(Probe(3.0), False, 3.0), 8, 60.0)


def test_deadlines_pass_the_harness_own_bound_check_with_room_to_spare() -> None:
    r = rule("Busy", "rate(jobs_total[5m]) > 5", "critical")

    plan = scenarios.plan(found(r), r, prometheus(r), alertmanager(), [])

    scenario = Scenario.model_validate(plan.fires)
    check_deadlines(scenario, prometheus(r), alertmanager())
    fires, delivered, _ = plan.fires["expectations"]
    pipeline = 5 * 60 + 2 * 60 + 15 + 15  # window to fill, for:, evaluation, scrape
    assert int(fires["within"][:-1]) >= pipeline * 1.25 + 60
    assert int(delivered["within"][:-1]) >= (pipeline + 30) * 1.25 + 60  # + group_wait


def test_a_critical_alert_must_reach_exactly_the_receivers_its_routes_name() -> None:
    r = rule("Busy", "rate(jobs_total[5m]) > 5", "critical")

    plan = scenarios.plan(found(r), r, prometheus(r), alertmanager(), ["Other"])

    (delivered,) = [e for e in plan.fires["expectations"] if e["type"] == "alert_delivered"]
    assert delivered["receivers"] == ["pagerduty-critical", "slack-critical"]
    assert plan.fires["allow_unannounced"] == ["Other"]


def test_a_route_to_a_receiver_that_notifies_nobody_expects_no_delivery() -> None:
    r = rule("Quiet", "rate(jobs_total[5m]) > 5", "none")

    plan = scenarios.plan(found(r), r, prometheus(r), alertmanager(), [])

    assert [e["type"] for e in plan.fires["expectations"]] == ["alert_fires", "alert_resolves"]
    assert plan.routed.silent_receivers == ("blackhole",)


def test_the_silent_scenario_asks_for_the_nearness_the_search_showed() -> None:
    r = rule("Busy", "rate(jobs_total[5m]) > 5", "warning")

    plan = scenarios.plan(found(r), r, prometheus(r), alertmanager(), [])

    assert plan.silent["expectations"] == [{"type": "alert_silent", "alert": "Busy", "near": 0.5}]


def test_rules_on_different_metrics_share_a_batch_unless_an_inhibit_rule_links_them() -> None:
    critical = rule("Page", "rate(a_total[5m]) > 5", "critical")
    other_critical = rule("Page2", "rate(b_total[5m]) > 5", "critical")
    warning = rule("Warn", "rate(c_total[5m]) > 5", "warning")
    plans = [scenarios.plan(found(r), r, prometheus(r), alertmanager(), []) for r in (critical, other_critical, warning)]

    placed = scenarios.batches(plans, INHIBIT, size=8)

    assert [[p.alert for p in batch] for batch in placed] == [["Page", "Page2"], ["Warn"]]


def test_rules_on_one_metric_never_share_a_batch() -> None:
    warn, page = rule("Warn", "queue_depth > 10", "warning"), rule("Page", "queue_depth > 100", "warning")
    plans = [scenarios.plan(found(r), r, prometheus(r), alertmanager(), []) for r in (warn, page)]

    assert len(scenarios.batches(plans, [], size=8)) == 2
