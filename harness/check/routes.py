"""The routing matrix: every alerting rule x every receiver, from the labels the rule's alerts will carry.

Each rule is routed through the Alertmanager tree (harness.routing: `continue`, old and new matcher
syntax, inherited receivers) twice: with the labels that are certain (static labels, `alertname`,
external labels, equality matchers the expression keeps), which is what amtool's
`config routes test` is asked too and must agree with, and with three-valued matching, where a
matcher on a label whose value comes from the series *may* match, to find every receiver the rule
could reach. A route no rule can reach, a rule that reaches only the default receiver, and a
routing key written under `annotations` are findings.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from harness import routing, tools
from harness.check.alert_labels import AlertLabels, alert_labels
from harness.check.findings import Finding
from harness.check.documents import Rule, YamlFile, route_location
from harness.check.sources import Monitoring
from harness.errors import ConfigError


@dataclass(frozen=True)
class MatrixRow:
    """Where one alerting rule's alerts go."""

    alert: str
    file: str
    line: int
    labels: dict[str, str]
    series_labels: str
    #: Receivers for the certain labels, in Alertmanager's order.
    receivers: tuple[str, ...]
    #: Every receiver some series of the rule could reach.
    possible: tuple[str, ...]
    #: Labels from the series that decide between routes.
    depends_on: tuple[str, ...]
    #: What amtool says for the certain labels (None when amtool did not run).
    amtool: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"alert": self.alert, "file": self.file, "line": self.line, "labels": self.labels,
                "series_labels": self.series_labels, "receivers": list(self.receivers),
                "possible_receivers": list(self.possible), "depends_on": list(self.depends_on),
                "amtool": None if self.amtool is None else list(self.amtool)}


@dataclass(frozen=True)
class RoutingMatrix:
    receivers: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    amtool_checked: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"receivers": list(self.receivers), "amtool_checked": self.amtool_checked,
                "rules": [row.as_json() for row in self.rows]}


@dataclass(frozen=True)
class _Reach:
    routes: tuple[routing.Route, ...]
    depends_on: frozenset[str]


def findings(monitoring: Monitoring) -> list[Finding]:
    return analyse(monitoring)[1]


def matrix(monitoring: Monitoring) -> RoutingMatrix | None:
    return analyse(monitoring)[0]


def analyse(monitoring: Monitoring, use_amtool: bool = True) -> tuple[RoutingMatrix | None, list[Finding]]:
    """The matrix (None without an alertmanager.yml or rules) and the routing findings."""
    alertmanager = monitoring.alertmanager
    tree = _tree(alertmanager)
    if alertmanager is None or tree is None:
        return None, []
    labelled = labelled_alerts(monitoring)
    found = _annotation_keys(labelled, tree)
    rows, reached = [], set()
    for rule, labels in labelled:
        certain = [match.receiver for match in routing.routes_for(tree, labels.known)]
        reach = _possible(tree, labels)
        reached |= {id(route) for route in reach.routes}
        rows.append(MatrixRow(rule.name, str(rule.file), rule.line, labels.known, labels.series.describe(),
                              tuple(certain), tuple(dict.fromkeys(route.receiver for route in reach.routes)),
                              tuple(sorted(reach.depends_on))))
        misplaced = any(finding.subject == rule.subject and finding.file == str(rule.file) for finding in found)
        if tree.routes and all(route is tree for route in reach.routes) and not misplaced:
            found.append(Finding(
                "routing.default-receiver-only", "warning", str(rule.file), rule.line, rule.subject,
                f"its alerts ({_shown(labels.known)}) match no route of the tree and go only to the default receiver "
                f"{tree.receiver!r}", "add the label the routes match on (e.g. `severity`) to the rule's `labels:`"))
    checked = False
    if use_amtool and rows:
        answers = _amtool_receivers(alertmanager, [row.labels for row in rows])
        if answers is not None and all(answer is not None for answer in answers):
            checked = True
            rows = [MatrixRow(**{**row.__dict__, "amtool": answer}) for row, answer in zip(rows, answers)]
            found += [_disagreement(row) for row in rows if row.amtool is not None and row.amtool != row.receivers]
    if labelled:
        found += _unreachable_routes(tree, reached, alertmanager, labelled)
    receivers = tuple(str(receiver.get("name")) for receiver in alertmanager.data.get("receivers") or []
                      if isinstance(receiver, dict))
    return RoutingMatrix(receivers, tuple(rows), checked), found


def _tree(alertmanager: YamlFile | None) -> routing.Route | None:
    if alertmanager is None or not isinstance(alertmanager.data.get("route"), dict):
        return None
    try:
        return routing.parse_tree(alertmanager.data["route"], f"{alertmanager.path}: route")
    except ConfigError:
        return None  # amtool check-config says what is wrong with it


def labelled_alerts(monitoring: Monitoring) -> list[tuple[Rule, AlertLabels]]:
    """Every alerting rule with the labels its alerts will carry (Prometheus adds its external labels)."""
    section = (monitoring.prometheus.data.get("global") if monitoring.prometheus is not None else None) or {}
    labels = section.get("external_labels") if isinstance(section, dict) else None
    external = {str(key): str(value) for key, value in (labels or {}).items()}
    routing_keys = frozenset(name for rule in monitoring.alerts for name in rule.labels)
    return [(rule, alert_labels(rule.expr, rule.labels, rule.name, external, routing_keys)) for rule in monitoring.alerts]


def _possible(tree: routing.Route, labels: AlertLabels) -> _Reach:
    """Every route some alert of the rule could end on, as Alertmanager's dispatcher walks the tree."""
    depends: set[str] = set()

    def walk(route: routing.Route) -> list[routing.Route]:
        reached: list[routing.Route] = []
        some_child_certain = False
        for child in route.routes:
            outcomes = [labels.outcome(matcher) for matcher in child.matchers]
            if "no" in outcomes:
                continue
            reached += walk(child)
            if "maybe" in outcomes:
                depends.update(matcher.name for matcher, outcome in zip(child.matchers, outcomes) if outcome == "maybe")
                continue
            some_child_certain = True
            if not child.continue_:
                break
        if not some_child_certain:
            reached.append(route)
        return reached

    routes = walk(tree)
    return _Reach(tuple(routes), frozenset(depends))


def _annotation_keys(labelled: list[tuple[Rule, AlertLabels]], tree: routing.Route) -> list[Finding]:
    """A key the routes match on, written under a rule's `annotations` instead of its `labels`."""
    routed = {matcher.name for route in tree.walk() for matcher in route.matchers}
    found = []
    for rule, labels in labelled:
        for key in sorted(routed & rule.annotations.keys()):
            if key in labels.known or key in rule.labels:
                continue
            found.append(Finding(
                "routing.label-in-annotations", "error", str(rule.file), rule.line, rule.subject,
                f"`{key}: {rule.annotations[key]}` is under `annotations`, but the routes match on the *label* "
                f"{key}, which this rule's alerts do not have", f"move `{key}` from `annotations:` to `labels:`"))
    return found


def _unreachable_routes(tree: routing.Route, reached: set[int], alertmanager: YamlFile,
                        labelled: list[tuple[Rule, AlertLabels]]) -> list[Finding]:
    found = []
    for route in tree.walk()[1:]:
        below = route.walk()
        if any(id(node) in reached for node in below):
            continue
        location = route_location(route.path)
        values = _values_rules_set(labelled, {matcher.name for matcher in route.matchers})
        found.append(Finding(
            "routing.route-never-matches", "warning", str(alertmanager.path), alertmanager.line(*location), route.path,
            f"no alerting rule can reach this route ({' '.join(map(str, route.matchers)) or 'no matchers'} -> "
            f"{route.receiver}): {values}",
            "make the matchers match the labels the rules set, or remove the route"))
    return found


def _values_rules_set(labelled: list[tuple[Rule, AlertLabels]], names: set[str]) -> str:
    parts = []
    for name in sorted(names):
        values = sorted({labels.known[name] for _, labels in labelled if name in labels.known})
        parts.append(f"the rules set {name} to {', '.join(repr(value) for value in values)}" if values
                     else f"no rule sets {name}")
    return "; ".join(parts) or "an earlier route without `continue: true` takes every alert"


def _amtool_receivers(alertmanager: YamlFile, label_sets: list[dict[str, str]]) -> list[tuple[str, ...] | None] | None:
    """amtool's receivers per label set; None for a set amtool could not route (a config it refuses)."""
    try:
        amtool = str(tools.amtool())
    except tools.ToolMissing:
        return None

    def ask(labels: dict[str, str]) -> tuple[str, ...] | None:
        arguments = [f'{name}="{_escaped(value)}"' for name, value in sorted(labels.items())]
        result = subprocess.run([amtool, "config", "routes", "test", f"--config.file={alertmanager.path}", *arguments],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            return None  # amtool check-config says why
        return tuple(name for name in result.stdout.strip().split(",") if name)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(ask, label_sets))


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _disagreement(row: MatrixRow) -> Finding:
    return Finding(
        "routing.amtool-disagrees", "warning", row.file, row.line, f"alert {row.alert}",
        f"for labels {_shown(row.labels)} amtool routes to {', '.join(row.amtool or ()) or 'nothing'} but the "
        f"harness computed {', '.join(row.receivers) or 'nothing'}",
        "trust amtool; please report this to the harness's maintainers with the alertmanager.yml")


def _shown(labels: dict[str, str]) -> str:
    return ", ".join(f'{name}="{value}"' for name, value in sorted(labels.items()))
