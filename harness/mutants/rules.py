"""Mutants of alerting rules: thresholds, `for:`, severity, and rule files left out of prometheus.yml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import promql_parser

from harness.mutants import Applied, StackFiles, Symptom, rule_at
from harness.timescale import format_duration, parse_duration

if TYPE_CHECKING:
    from harness.scenario import Scenario

COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
SET_OPERATORS = {"and", "or", "unless"}
#: Expectation types through which a rule that stopped firing shows.
SHOWS_NOT_FIRING = frozenset({"alert_fires", "alert_delivered", "alert_resolves", "alert_not_delivered"})
#: ... and a rule that fires when it should not.
SHOWS_FIRING = frozenset({"alert_silent", "no_alerts", "alert_fires", "alert_not_delivered", "alert_delivered"})
#: ... and a rule that now reaches other receivers (or none).
SHOWS_ROUTING = frozenset({"alert_delivered", "alert_not_delivered", "no_alerts", "alert_resolves"})


def not_firing(alert: str, why: str) -> Symptom:
    return Symptom(
        f"a verdict on {alert} says it never fired or nothing arrived ({why})", SHOWS_NOT_FIRING, (alert,),
        ("never fired", "nothing arrived", "never active"), late=True, refusals=(alert,),
    )


def firing_too_soon(alert: str, why: str) -> Symptom:
    return Symptom(
        f"a verdict on {alert} says it went pending or firing where it should have stayed quiet ({why})",
        SHOWS_FIRING, (alert,), ("went pending", "went firing", "already firing", "already pending", "active:",
                                 "delivered to", "also delivered to"),
    )


def misrouted(alert: str, why: str) -> Symptom:
    return Symptom(
        f"a delivery verdict on {alert} says a receiver got nothing, or the wrong one got it ({why})",
        SHOWS_ROUTING, (alert,), ("nothing arrived", "also delivered to", "delivered to", "lacks", "delivered:"),
        refusals=(alert,),
    )


def thresholds(expression: str) -> list[Any]:
    """The comparisons with a number that decide whether the alert fires: the root's, and those
    joined to it by and / or / unless (guards such as `(x > 0)` inside a division are not thresholds)."""
    found: list[Any] = []

    def visit(node: Any) -> None:
        while isinstance(node, promql_parser.ParenExpr):
            node = node.expr
        if not isinstance(node, promql_parser.BinaryExpr):
            return
        operator = str(node.op)
        if operator in SET_OPERATORS:
            visit(node.lhs)
            visit(node.rhs)
        elif operator in COMPARISONS and (
            isinstance(node.rhs, promql_parser.NumberLiteral) or isinstance(node.lhs, promql_parser.NumberLiteral)
        ):
            found.append(node)

    visit(promql_parser.parse(expression))
    return found


def scaled_threshold(expression: str, comparison: Any, factor: float) -> tuple[str, float, float]:
    """The expression with one comparison's number multiplied by `factor`: (new text, old, new)."""
    number_on_right = isinstance(comparison.rhs, promql_parser.NumberLiteral)
    old = float((comparison.rhs if number_on_right else comparison.lhs).val)
    new = float(f"{old * factor:.12g}")
    modifier = " bool" if comparison.modifier is not None and comparison.modifier.return_bool else ""
    operator = f"{comparison.op}{modifier}"
    number = f"{new:.12g}"
    replacement_text = (f"{_operand(comparison.lhs)} {operator} {number}" if number_on_right
                        else f"{number} {operator} {_operand(comparison.rhs)}")
    replacement = promql_parser.parse(replacement_text)
    target = str(comparison)

    def swap(node: Any) -> Any:
        return replacement if isinstance(node, promql_parser.BinaryExpr) and str(node) == target else node

    return str(promql_parser.transform(promql_parser.parse(expression), post_visit=swap)), old, new


def _operand(node: Any) -> str:
    text = str(node)
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) in SET_OPERATORS:
        return f"({text})"
    return text


def _less_sensitive(operator: str, factor: float) -> bool | None:
    """Whether scaling the threshold by `factor` makes the alert fire less often (None: either way)."""
    if operator in {">", ">="}:
        return factor > 1
    if operator in {"<", "<="}:
        return factor < 1
    return None


@dataclass(frozen=True)
class _ThresholdScaled:
    factor: float
    kind: str
    needs: str = "alerting rule comparing with a non-zero number"

    def describe(self) -> str:
        return f"an alerting rule's threshold {'x' if self.factor > 1 else '/'}{max(self.factor, 1 / self.factor):g}"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        mutants = []
        for path, where, rule in files.alert_rules():
            for comparison in thresholds(str(rule["expr"])):
                new_expr, old, new = scaled_threshold(str(rule["expr"]), comparison, self.factor)
                if old == 0:
                    continue
                document = files.document(path)
                rule_at(document, where)["expr"] = new_expr
                alert = str(rule["alert"])
                less = _less_sensitive(str(comparison.op), self.factor)
                symptom = (not_firing(alert, "threshold made harder to reach") if less
                           else firing_too_soon(alert, "threshold made easier to reach") if less is False
                           else _either(alert))
                mutants.append(Applied(
                    self.kind, files.relative(path), f"{where}.expr ({alert})",
                    f"threshold {comparison.op} {old:g} -> {comparison.op} {new:g}", symptom, (alert,), document,
                ))
        return mutants


def _either(alert: str) -> Symptom:
    first, second = not_firing(alert, "equality threshold moved"), firing_too_soon(alert, "equality threshold moved")
    return Symptom(f"a verdict on {alert} says it fired when it should not, or not when it should",
                   first.kinds | second.kinds, (alert,), first.phrases + second.phrases, late=True, refusals=(alert,))


@dataclass(frozen=True)
class ThresholdTimes10(_ThresholdScaled):
    factor: float = 10.0
    kind: str = "threshold_x10"


@dataclass(frozen=True)
class ThresholdDiv10(_ThresholdScaled):
    factor: float = 0.1
    kind: str = "threshold_div10"


@dataclass(frozen=True)
class ForTimes10:
    kind: str = "for_x10"
    needs: str = "alerting rule with a non-zero `for:`"

    def describe(self) -> str:
        return "an alerting rule's `for:` x10"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        mutants = []
        for path, where, rule in files.alert_rules():
            if "for" not in rule:
                continue
            old = parse_duration(rule["for"], f"{path}: {where}.for")
            if not old:
                continue
            new = format_duration(old * 10)
            document = files.document(path)
            rule_at(document, where)["for"] = new
            alert = str(rule["alert"])
            mutants.append(Applied(
                self.kind, files.relative(path), f"{where}.for ({alert})", f"for: {rule['for']} -> {new}",
                not_firing(alert, "it has to hold ten times as long"), (alert,), document,
            ))
        return mutants


@dataclass(frozen=True)
class SeverityChanged:
    kind: str = "severity_changed"
    needs: str = "alerting rule labelled severity critical or warning"
    swap: tuple[tuple[str, str], ...] = (("critical", "warning"), ("warning", "critical"))

    def describe(self) -> str:
        return "an alerting rule's severity label changed (critical <-> warning)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        mutants = []
        for path, where, rule in files.alert_rules():
            old = (rule.get("labels") or {}).get("severity")
            new = dict(self.swap).get(str(old))
            if new is None:
                continue
            document = files.document(path)
            rule_at(document, where)["labels"]["severity"] = new
            alert = str(rule["alert"])
            mutants.append(Applied(
                self.kind, files.relative(path), f"{where}.labels.severity ({alert})", f"severity: {old} -> {new}",
                misrouted(alert, f"now routed as {new}"), (alert,), document,
            ))
        return mutants


@dataclass(frozen=True)
class SeverityToAnnotations:
    kind: str = "severity_to_annotations"
    needs: str = "alerting rule with a severity label"

    def describe(self) -> str:
        return "an alerting rule's severity moved from labels to annotations (routing can no longer see it)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        mutants = []
        for path, where, rule in files.alert_rules():
            if "severity" not in (rule.get("labels") or {}):
                continue
            document = files.document(path)
            moved = rule_at(document, where)
            severity = moved["labels"].pop("severity")
            if not moved["labels"]:
                del moved["labels"]
            moved.setdefault("annotations", {})["severity"] = severity
            alert = str(rule["alert"])
            mutants.append(Applied(
                self.kind, files.relative(path), f"{where}.labels.severity ({alert})",
                f"labels.severity: {severity} -> annotations.severity: {severity}",
                misrouted(alert, "routing no longer sees its severity"), (alert,), document,
            ))
        return mutants


@dataclass(frozen=True)
class RuleFileDropped:
    kind: str = "rule_file_dropped"
    needs: str = "rule file named in rule_files"

    def describe(self) -> str:
        return "a rule file left out of prometheus.yml's rule_files (globs spelled out without it)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        rule_files = files.rule_files()
        mutants = []
        for dropped in rule_files:
            document = files.document(files.prometheus_yml)
            document["rule_files"] = [path.relative_to(files.prometheus_dir).as_posix()
                                      for path in rule_files if path != dropped]
            alerts = tuple(str(rule["alert"]) for path, _, rule in files.alert_rules() if path == dropped)
            name = dropped.relative_to(files.prometheus_dir).as_posix()
            symptom = Symptom(
                f"a verdict on one of {', '.join(alerts) or 'its rules'} says it never fired, or the run is refused "
                "because a scenario names a rule that is gone",
                SHOWS_NOT_FIRING, alerts, ("never fired", "nothing arrived", "never active"), refusals=alerts,
            )
            mutants.append(Applied(
                self.kind, files.relative(files.prometheus_yml), "rule_files", f"{name} left out", symptom, alerts,
                document,
            ))
        return mutants
