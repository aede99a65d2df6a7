"""Inhibit rules that can never match a pair of alerts, and mute timings no route uses.

An inhibit rule mutes *target* alerts while a *source* alert fires, when the two agree on every
`equal` label. It does nothing when no rule's alerts match its source matchers, none match its
target matchers, or no source/target pair can agree on the `equal` labels: a label one side sets
for certain and the other can never have (Alertmanager compares a missing label as "").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness import routing
from harness.check.alert_labels import AlertLabels
from harness.check.findings import Finding
from harness.check.routes import labelled_alerts
from harness.check.documents import Rule, YamlFile
from harness.check.sources import Monitoring
from harness.errors import ConfigError


def findings(monitoring: Monitoring) -> list[Finding]:
    alertmanager = monitoring.alertmanager
    if alertmanager is None:
        return []
    found = _unused_time_intervals(alertmanager)
    if not monitoring.alerts:
        return found
    labelled = labelled_alerts(monitoring)
    for index, inhibit in enumerate(alertmanager.data.get("inhibit_rules") or []):
        if isinstance(inhibit, dict):
            found += _inhibit(alertmanager, index, inhibit, labelled)
    return found


def _inhibit(alertmanager: YamlFile, index: int, inhibit: dict[str, Any],
             labelled: list[tuple[Rule, AlertLabels]]) -> list[Finding]:
    where = f"{alertmanager.path}: inhibit_rules[{index}]"
    try:
        source = _matchers(inhibit, "source", where)
        target = _matchers(inhibit, "target", where)
    except ConfigError:
        return []  # amtool check-config reports the matcher
    subject = f"inhibit_rules[{index}]"
    sources = [(rule, labels) for rule, labels in labelled if _may_match(labels, source)]
    targets = [(rule, labels) for rule, labels in labelled if _may_match(labels, target)]
    for side, matchers, matched in (("source", source, sources), ("target", target, targets)):
        if not matched:
            return [Finding(
                "inhibit.never-matches", "warning", str(alertmanager.path), _side_line(alertmanager, index, side), subject,
                f"no alerting rule's alerts match its {side} matchers ({_shown(matchers)}), so it never inhibits anything",
                f"make the {side} matchers match the labels a rule sets, or remove the inhibit rule")]
    equal = [str(name) for name in inhibit.get("equal") or []]
    if equal and not any(_can_agree(s, t, equal) for s_rule, s in sources for t_rule, t in targets if s_rule != t_rule):
        return [Finding(
            "inhibit.equal-never-holds", "warning", str(alertmanager.path), alertmanager.line("inhibit_rules", index,
                                                                                             "equal"), subject,
            f"no source alert ({_few(rule.name for rule, _ in sources)}) can agree with a target alert "
            f"({_few(rule.name for rule, _ in targets)}) on {', '.join(equal)}: "
            f"{_why_not(sources, targets, equal)}",
            "list in `equal` only labels both the source and the target alerts carry (check their `by` clauses)")]
    return []


def _side_line(alertmanager: YamlFile, index: int, side: str) -> int:
    for key in (f"{side}_matchers", f"{side}_match", f"{side}_match_re"):
        if ("inhibit_rules", index, key) in alertmanager.lines:
            return alertmanager.line("inhibit_rules", index, key)
    return alertmanager.line("inhibit_rules", index)


def _matchers(inhibit: dict[str, Any], side: str, where: str) -> list[routing.Matcher]:
    matchers = [routing.Matcher(str(name), "=", str(value)) for name, value in (inhibit.get(f"{side}_match") or {}).items()]
    matchers += [routing.Matcher(str(name), "=~", str(value))
                 for name, value in (inhibit.get(f"{side}_match_re") or {}).items()]
    for position, item in enumerate(inhibit.get(f"{side}_matchers") or []):
        matchers += routing.parse_matchers(str(item), f"{where}.{side}_matchers[{position}]")
    return matchers


def _may_match(labels: AlertLabels, matchers: list[routing.Matcher]) -> bool:
    return all(labels.outcome(matcher) != "no" for matcher in matchers)


def _can_agree(source: AlertLabels, target: AlertLabels, equal: list[str]) -> bool:
    return all(_agrees(source, target, name) for name in equal)


def _agrees(source: AlertLabels, target: AlertLabels, name: str) -> bool:
    source_known, target_known = source.known, target.known
    if name in source_known and name in target_known:
        return source_known[name] == target_known[name]
    source_has, target_has = _certainly_has(source, name), _certainly_has(target, name)
    source_lacks = not source.may_have(name) and name not in source_known
    target_lacks = not target.may_have(name) and name not in target_known
    return not ((source_lacks and target_has) or (target_lacks and source_has))


#: Labels every scraped series has: an unaggregated selector's alerts carry them.
TARGET_LABELS = frozenset({"job", "instance"})


def _certainly_has(labels: AlertLabels, name: str) -> bool:
    """Known, named by the expression's aggregation (`by (instance)`), or a target label kept by no aggregation."""
    names = labels.series.names
    return name in labels.known or (names is not None and name in names) or (names is None and name in TARGET_LABELS)


def _why_not(sources: list[tuple[Rule, AlertLabels]], targets: list[tuple[Rule, AlertLabels]], equal: list[str]) -> str:
    """The `equal` labels no source/target pair agrees on, and why."""
    reasons = []
    for name in equal:
        if any(_agrees(s, t, name) for s_rule, s in sources for t_rule, t in targets if s_rule != t_rule):
            continue
        lacking = sorted({rule.name for rule, labels in sources + targets
                          if not labels.may_have(name) and name not in labels.known})
        if lacking:
            reasons.append(f"{', '.join(lacking)} can never carry {name} (aggregated away or never set)")
        else:
            values = lambda side: _few(labels.known[name] for _, labels in side if name in labels.known)
            reasons.append(f"{name} is {values(sources)} on the sources and {values(targets)} on the targets")
    return "; ".join(reasons) or "no single pair agrees on all of them at once"


def _unused_time_intervals(alertmanager: YamlFile) -> list[Finding]:
    used: set[str] = set()

    def visit(route: Any) -> None:
        if isinstance(route, dict):
            used.update(str(name) for key in ("mute_time_intervals", "active_time_intervals")
                        for name in route.get(key) or [])
            for child in route.get("routes") or []:
                visit(child)

    visit(alertmanager.data.get("route"))
    found = []
    for key in ("mute_time_intervals", "time_intervals"):
        for index, interval in enumerate(alertmanager.data.get(key) or []):
            name = str(interval.get("name")) if isinstance(interval, dict) else "?"
            if name not in used:
                found.append(Finding(
                    "routing.time-interval-unused", "warning", str(alertmanager.path),
                    alertmanager.line(key, index), f"{key}[{index}] ({name})",
                    f"no route names the time interval {name!r} in `mute_time_intervals` or `active_time_intervals`, "
                    "so it mutes nothing", f"add `mute_time_intervals: [{name}]` to the route it is meant for"))
    return found


def _few(names: Iterable[str], shown: int = 4) -> str:
    unique = sorted(set(names))
    more = f" and {len(unique) - shown} more" if len(unique) > shown else ""
    return ", ".join(unique[:shown]) + more


def _shown(matchers: list[routing.Matcher]) -> str:
    return ", ".join(map(str, matchers)) or "none"


def silence_findings(monitoring: Monitoring, silences: list[dict[str, Any]], where: str) -> list[Finding]:
    """Active silences (Alertmanager API v2 objects) whose matchers no alerting rule's alerts can match."""
    labelled = labelled_alerts(monitoring)
    if not labelled:
        return []
    found = []
    for silence in silences:
        if (silence.get("status") or {}).get("state") != "active":
            continue
        matchers = [routing.Matcher(str(item["name"]), _operator(item), str(item["value"]))
                    for item in silence.get("matchers") or []]
        if any(_may_match(labels, matchers) for _, labels in labelled):
            continue
        found.append(Finding(
            "inhibit.silence-matches-nothing", "warning", where, 1, f"silence {silence.get('id', '?')}",
            f"the active silence {_shown(matchers)} (by {silence.get('createdBy', '?')}: "
            f"{silence.get('comment', '')!r}) matches no alerting rule's alerts, so it silences nothing it was meant to",
            "fix its matchers to the labels the rules set (amtool silence query), or expire it"))
    return found


def _operator(item: dict[str, Any]) -> routing.Operator:
    equal = item.get("isEqual", True)
    if item.get("isRegex"):
        return "=~" if equal else "!~"
    return "=" if equal else "!="
