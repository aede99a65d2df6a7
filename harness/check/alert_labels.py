"""The labels an alert will carry: the rule's own, and those its expression's series bring.

Alertmanager routes on an alert's labels, which are the rule's static `labels:`, `alertname`,
Prometheus's `external_labels`, and the labels of each series the expression returns. The last
are only partly known before anything runs: `sum by (service)` keeps `service` (value unknown),
a selector `{job="api"}` that is not aggregated away fixes `job` to "api", and a selector that is
not aggregated at all may bring any label its series have. A route matcher is then *sure* to
match, sure *not* to match, or *depends on the series*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import promql_parser

from harness.routing import Matcher

#: Functions whose result has no labels of the input (a scalar or a fresh vector).
_LABELLESS = frozenset({"vector", "time", "scalar", "pi", "day_of_month", "day_of_week", "day_of_year",
                        "days_in_month", "hour", "minute", "month", "year"})


@dataclass(frozen=True)
class SeriesLabels:
    """Labels from the expression's series: fixed values, and which other names may appear.

    `names` is None when any label may appear (an unaggregated selector), else the only names
    that can (an aggregation's `by`, an `absent()`'s equality matchers).
    """

    fixed: tuple[tuple[str, str], ...] = ()
    names: frozenset[str] | None = frozenset()

    def may_have(self, name: str) -> bool:
        return self.names is None or name in self.names or name in dict(self.fixed)

    def describe(self) -> str:
        fixed = ", ".join(f'{name}="{value}"' for name, value in self.fixed)
        if self.names is None:
            return f"{fixed + ', ' if fixed else ''}any label of the series"
        rest = sorted(self.names - {name for name, _ in self.fixed})
        return ", ".join(part for part in (fixed, ", ".join(rest)) if part) or "none"


@dataclass(frozen=True)
class AlertLabels:
    """Everything known about the labels of an alert before it fires."""

    static: tuple[tuple[str, str], ...]
    series: SeriesLabels
    external: tuple[tuple[str, str], ...] = ()
    #: Names the team sets by hand in rules' `labels:` (severity, team): assumed not to come from the
    #: series when the expression does not say it keeps them.
    routing_keys: frozenset[str] = frozenset()

    @property
    def known(self) -> dict[str, str]:
        """Labels whose value is certain: external ones, the series' fixed ones, the rule's own, in that order."""
        return {**dict(self.external), **dict(self.series.fixed), **dict(self.static)}

    def may_have(self, name: str) -> bool:
        """Whether some alert of the rule may carry `name` with a value not known yet."""
        if self.series.names is None and name in self.routing_keys:
            return False
        return self.series.may_have(name)

    def outcome(self, matcher: Matcher) -> str:
        """"yes", "no", or "maybe" (the value comes from the series and is not known)."""
        known = self.known
        if matcher.name in known:
            return "yes" if matcher.matches(known) else "no"
        if self.may_have(matcher.name):
            return "maybe"
        return "yes" if matcher.matches({}) else "no"


def alert_labels(expr: str, static: dict[str, str], alertname: str, external: dict[str, str],
                 routing_keys: frozenset[str] = frozenset()) -> AlertLabels:
    """The labels of alerts from a rule; an expression that does not parse brings unknown labels."""
    templated = frozenset(name for name, value in static.items() if "{{" in value)
    own = {**{name: value for name, value in static.items() if name not in templated}, "alertname": alertname}
    try:
        series = series_labels(promql_parser.parse(expr))
    except (ValueError, RuntimeError):
        series = SeriesLabels((), None)
    if templated:  # a label templated from the series: its name is certain, its value is not
        names = None if series.names is None else series.names | templated
        series = SeriesLabels(tuple(item for item in series.fixed if item[0] not in templated), names)
    return AlertLabels(tuple(sorted(own.items())), series, tuple(sorted(external.items())), routing_keys - templated)


def series_labels(node: Any) -> SeriesLabels:
    """The labels of the series an expression returns (see SeriesLabels)."""
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return series_labels(node.expr)
    if isinstance(node, promql_parser.MatrixSelector):
        return series_labels(node.vector_selector)
    if isinstance(node, promql_parser.VectorSelector):
        return SeriesLabels(_equalities(node), None)
    if isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
        return SeriesLabels()
    if isinstance(node, promql_parser.Call):
        return _call(node)
    if isinstance(node, promql_parser.AggregateExpr):
        return _aggregate(node)
    if isinstance(node, promql_parser.BinaryExpr):
        return _binary(node)
    return SeriesLabels((), None)


def _equalities(selector: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((matcher.name, matcher.value) for matcher in selector.matchers.matchers
                        if str(matcher.op) == "MatchOp.Equal" and matcher.name != "__name__"))


def _call(node: Any) -> SeriesLabels:
    name = node.func.name
    if name in _LABELLESS:
        return SeriesLabels()
    if name in ("absent", "absent_over_time"):
        argument = node.args[0]
        selector = argument.vector_selector if isinstance(argument, promql_parser.MatrixSelector) else argument
        if isinstance(selector, promql_parser.VectorSelector):
            fixed = _equalities(selector)
            return SeriesLabels(fixed, frozenset(label for label, _ in fixed))
        return SeriesLabels()
    vectors = [series_labels(argument) for argument in node.args
               if not isinstance(argument, (promql_parser.NumberLiteral, promql_parser.StringLiteral))]
    inner = vectors[0] if vectors else SeriesLabels()
    if name in ("label_replace", "label_join"):
        destination = node.args[1].val
        names = None if inner.names is None else inner.names | {destination}
        return SeriesLabels(tuple(item for item in inner.fixed if item[0] != destination), names)
    if name == "histogram_quantile":
        return _without(inner, {"le"})
    return inner


def _aggregate(node: Any) -> SeriesLabels:
    inner = series_labels(node.expr)
    operator = str(node.op)
    if operator in ("topk", "bottomk"):
        return inner
    modifier = node.modifier
    if modifier is None:
        kept = SeriesLabels()
    elif str(modifier.type).endswith("Without"):
        kept = _without(inner, set(modifier.labels))
    else:
        by = set(modifier.labels)
        kept = SeriesLabels(tuple(item for item in inner.fixed if item[0] in by), frozenset(by))
    if operator == "count_values" and isinstance(node.param, promql_parser.StringLiteral):
        names = None if kept.names is None else kept.names | {node.param.val}
        return SeriesLabels(kept.fixed, names)
    return kept


def _without(inner: SeriesLabels, dropped: set[str]) -> SeriesLabels:
    fixed = tuple(item for item in inner.fixed if item[0] not in dropped)
    return SeriesLabels(fixed, None if inner.names is None else inner.names - dropped)


def _binary(node: Any) -> SeriesLabels:
    left, right = series_labels(node.lhs), series_labels(node.rhs)
    left_scalar = isinstance(_unwrapped(node.lhs), promql_parser.NumberLiteral)
    right_scalar = isinstance(_unwrapped(node.rhs), promql_parser.NumberLiteral)
    if left_scalar and not right_scalar:
        return right
    if right_scalar or str(node.op) in ("and", "unless"):
        return left
    if str(node.op) == "or":
        names = None if left.names is None or right.names is None else left.names | right.names
        return SeriesLabels(tuple(sorted(set(left.fixed) & set(right.fixed))), names)
    modifier = node.modifier
    card = str(modifier.card) if modifier is not None else ""
    if card.endswith("OneToMany"):
        chosen, extra = right, left
    else:
        chosen, extra = left, right
    if modifier is not None and modifier.group_labels:
        grouped = set(modifier.group_labels)
        names = None if chosen.names is None else chosen.names | grouped
        return SeriesLabels(tuple(item for item in chosen.fixed if item[0] not in grouped), names)
    del extra
    return chosen


def _unwrapped(node: Any) -> Any:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node
