"""Scenario files from a search's findings: per rule, one that fires and routes, one that stays silent just below.

The files are ordinary scenario YAML with a `signal` fault. Deadlines are the harness's own
theoretical bounds (harness.bounds, real time: windows to fill, scrape, recording rules, evaluation,
`for:`, the route's `group_wait`, look-back and `group_interval` for resolution), a quarter more
plus a minute. Batches put rules that cannot interfere (no shared metric or job, no inhibit rule between
them, not grouped into one notification) into one scenario window; each keeps its own expectations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from harness import routing
from harness.adopt.search import Found, Observation, interferes
from harness.configs import AlertmanagerSettings, AlertRule, PrometheusSettings
from harness.bounds import bounds
from harness.thresholds import threshold_of
from harness.timescale import TimeScale

MARGIN = timedelta(minutes=1)
BASELINE = "1m"
LOAD = {"users": 1, "rate_per_user": 1}


@dataclass(frozen=True)
class Routed:
    """Where a firing alert must arrive, by the routing tree, and with which timers."""

    labels: dict[str, str]
    receivers: tuple[str, ...]
    silent_receivers: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta


@dataclass(frozen=True)
class Plan:
    """One rule's two scenarios (as data) and what went into them."""

    alert: str
    fires: dict[str, Any]
    silent: dict[str, Any]
    routed: Routed
    found: Found


def route(found: Found, rule: AlertRule, alertmanager: AlertmanagerSettings) -> Routed:
    labels = {**found.fire.labels, **rule.labels, "alertname": rule.name}
    matched = routing.routes_for(alertmanager.route, labels) if alertmanager.route is not None else []
    notifying = {endpoint.receiver for endpoint in alertmanager.endpoints}
    receivers = tuple(dict.fromkeys(m.receiver for m in matched if m.receiver in notifying))
    silent = tuple(dict.fromkeys(m.receiver for m in matched if m.receiver not in notifying))
    group_wait = max((m.group_wait for m in matched), default=alertmanager.group_wait)
    group_interval = max((m.group_interval for m in matched), default=alertmanager.group_interval)
    return Routed(labels, receivers, silent, group_wait, group_interval)


def plan(found: Found, rule: AlertRule, prometheus: PrometheusSettings, alertmanager: AlertmanagerSettings,
         others: list[str]) -> Plan:
    routed = route(found, rule, alertmanager)
    bound = bounds(rule.name, prometheus, alertmanager, TimeScale(1), routed.labels)
    fill = sum(term.seconds for term in bound.fill)
    pipeline = timedelta(seconds=fill + bound.fires.latest)
    fires_within = _generous(pipeline)
    delivered_within = _generous(timedelta(seconds=fill + max(
        (bound.delivered_to(receiver).latest for receiver in routed.receivers), default=bound.fires.latest)))
    resolves_within = _generous(timedelta(seconds=max(
        [bound.resolves.latest, *(bound.resolved_to(receiver).latest for receiver in routed.receivers)])))
    quiet = _program(found, found.silent)
    expectations: list[dict[str, Any]] = [{"type": "alert_fires", "alert": rule.name, "within": _text(fires_within)}]
    if routed.receivers:
        expectations.append({"type": "alert_delivered", "alert": rule.name, "receivers": list(routed.receivers),
                             "within": _text(delivered_within)})
    expectations.append({"type": "alert_resolves", "alert": rule.name, "within": _text(resolves_within)})
    slug = _slug(rule.name)
    fires = {
        "name": f"{slug}-fires",
        "description": f"{rule.name} fires at {found.fire.probe.describe()} ({found.drive.describe()}) and reaches "
                       + (", ".join(routed.receivers) or "no receiver that notifies anyone"),
        "tags": ["adopted", "fires", *_severity(rule)],
        "load": LOAD,
        "baseline": BASELINE,
        "faults": [{"at": "0s", "duration": _text(delivered_within + MARGIN),
                    "fault": {"kind": "signal", "during": _program(found, found.fire), "outside": quiet}}],
        "recovery": _text(resolves_within + MARGIN),
        "allow_unannounced": others,
        "expectations": expectations,
    }
    silent = {
        "name": f"{slug}-silent",
        "description": f"{rule.name} stays silent just below its threshold, at {found.silent.probe.describe()}",
        "tags": ["adopted", "below", *_severity(rule)],
        "load": LOAD,
        "baseline": BASELINE,
        "faults": [{"at": "0s", "duration": _text(_generous(pipeline) + MARGIN),
                    "fault": {"kind": "signal", "during": quiet, "outside": quiet}}],
        "recovery": _text(MARGIN),
        "allow_unannounced": others,
        "expectations": [{"type": "alert_silent", "alert": rule.name, "near": _near(found, rule)}],
    }
    return Plan(rule.name, fires, silent, routed, found)


def batches(plans: list[Plan], inhibit_rules: list[dict[str, Any]],
            size: int) -> list[list[Plan]]:
    """Plans that can share one scenario window, in first-fit order."""
    placed: list[list[Plan]] = []
    for candidate in plans:
        for batch in placed:
            if len(batch) < size and all(_independent(candidate, other, inhibit_rules) for other in batch):
                batch.append(candidate)
                break
        else:
            placed.append([candidate])
    return placed


def merged(batch: list[Plan], kind: str, index: int, others: list[str]) -> dict[str, Any]:
    """One scenario holding every plan of `batch` of `kind` ("fires" or "silent") side by side."""
    scenarios = [getattr(plan, kind) for plan in batch]
    names = {plan.alert for plan in batch}
    during: dict[str, Any] = {"series": [], "down_jobs": []}
    outside: dict[str, Any] = {"series": [], "down_jobs": []}
    for scenario in scenarios:
        fault = scenario["faults"][0]["fault"]
        for key in ("series", "down_jobs"):
            during[key].extend(fault["during"][key])
            outside[key].extend(fault["outside"][key])
    duration = max(_seconds(s["faults"][0]["duration"]) for s in scenarios)
    recovery = max(_seconds(s["recovery"]) for s in scenarios)
    return {
        "name": f"batch-{index:02d}-{kind}",
        "description": f"{len(batch)} rules {'fire and route' if kind == 'fires' else 'stay silent just below'} "
                       f"side by side: {', '.join(sorted(names))}",
        "tags": ["adopted", "batch", "fires" if kind == "fires" else "below"],
        "load": LOAD,
        "baseline": BASELINE,
        "faults": [{"at": "0s", "duration": f"{duration}s",
                    "fault": {"kind": "signal", "during": during, "outside": outside}}],
        "recovery": f"{recovery}s",
        "allow_unannounced": [name for name in others if name not in names],
        "expectations": [e for s in scenarios for e in s["expectations"]],
    }


def seconds_of(plan: Plan) -> float:
    """Real seconds the plan's longer scenario takes: baseline, fault and recovery."""
    fires = plan.fires
    return 60 + _seconds(fires["faults"][0]["duration"]) + _seconds(fires["recovery"])


def _independent(a: Plan, b: Plan, inhibit_rules: list[dict[str, Any]]) -> bool:
    if interferes(a.found.drive, b.found.drive):
        return False
    for rule in inhibit_rules:
        source, target = _matchers(rule, "source"), _matchers(rule, "target")
        for x, y in ((a, b), (b, a)):
            if all(m.matches(x.routed.labels) for m in source) and all(m.matches(y.routed.labels) for m in target):
                return False
    return True


def _matchers(rule: dict[str, Any], side: str) -> list[routing.Matcher]:
    found: list[routing.Matcher] = []
    for text in rule.get(f"{side}_matchers") or []:
        found.extend(routing.parse_matchers(str(text), f"inhibit_rules: {side}_matchers"))
    for name, value in (rule.get(f"{side}_match") or {}).items():
        found.extend(routing.parse_matchers(f'{name}="{value}"', f"inhibit_rules: {side}_match"))
    for name, value in (rule.get(f"{side}_match_re") or {}).items():
        found.extend(routing.parse_matchers(f'{name}=~"{value}"', f"inhibit_rules: {side}_match_re"))
    return found


def _program(found: Found, observation: Observation) -> dict[str, Any]:
    probe = observation.probe
    return found.drive.program(probe.intensity, present=probe.present, up=probe.up)


def _near(found: Found, rule: AlertRule) -> float:
    """The nearness the expectation asks for: the default 0.5, lowered to what the search showed the silent
    input reaching when that was less (0 where the rule has no ordering threshold to approach)."""
    threshold = threshold_of(rule.scaled_expr)
    if found.drive.mode != "level" or found.silent.lhs is None or threshold is None or not threshold.comparable:
        return 0.0
    approach = threshold.approach([found.silent.lhs])
    shown = approach[1] if approach is not None else 0.0
    return round(min(0.5, 0.9 * shown), 2)


def _generous(bound: timedelta) -> timedelta:
    """A deadline from the harness's theoretical bound (harness.bounds): a quarter more, plus a minute."""
    return bound * 1.25 + MARGIN


def _severity(rule: AlertRule) -> list[str]:
    severity = rule.labels.get("severity")
    return [f"severity-{_slug(severity)}"] if severity else []


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "rule"


def _text(duration: timedelta) -> str:
    return f"{max(1, int(duration.total_seconds() + 0.999))}s"


def _seconds(text: str) -> int:
    return int(text.removesuffix("s"))
