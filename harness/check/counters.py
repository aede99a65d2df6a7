"""Which series are counters, and which expressions still return a counter's total as it is.

By name, as the exposition conventions have it, but only where the name is reliable:

- `*_total` and `*_bucket` are counters (a gauge misnamed `*_total` exists, see `promql.py`);
- `*_count` and `*_sum` are a histogram's or a summary's counters only when the name before the
  suffix ends in a unit or a measured quantity (`_seconds`, `_bytes`, `_duration`, ...), or when
  the same rules read its `_bucket`, or both its `_sum` and `_count`: exporters name plenty of
  gauges `*_count` (`pg_stat_activity_count`, `pg_locks_count`, `hbase_region_count`), and
  CloudWatch statistics `*_sum`;
- a recorded series (a name with `:`, or one these rules record) is a counter only when its rule
  records a counter's total unchanged;
- `typed` names (from the metadata of a live Prometheus) are counters whatever they are called.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import promql_parser

from harness.check.expression import (
    COMPARISONS, Expression, is_constant, metric_name, operator, selectors, unwrap, value_branches,
)
from harness.check.documents import Rule

#: Functions after which a value is still the counter's own (relabelled, rounded, clamped, sorted).
KEEPS_VALUE = frozenset({"label_replace", "label_join", "sort", "sort_desc", "abs", "ceil", "floor", "round",
                         "clamp", "clamp_min", "clamp_max"})
#: Aggregations whose result is one of the values, or their total: still a counter's kind of number.
KEEPS_KIND = frozenset({"sum", "min", "max", "avg", "topk", "bottomk", "quantile"})
#: What the name of an observed quantity ends with, before a histogram's or summary's `_count`/`_sum`.
MEASURED = ("_seconds", "_milliseconds", "_microseconds", "_nanoseconds", "_bytes", "_duration", "_latency", "_size")


class Counters:
    """The counters among the series a set of rules reads."""

    def __init__(self, rules: Iterable[tuple[Rule, Expression]], typed: set[str]) -> None:
        rules = list(rules)
        self.typed = set(typed)
        self.recorded = {rule.name for rule, _ in rules if rule.kind == "record"}
        names = {metric_name(selector) for _, expression in rules for selector in selectors(expression.tree)}
        self.histograms = {name.removesuffix("_bucket") for name in names if name.endswith("_bucket")}
        self.histograms |= {name.removesuffix("_sum") for name in names
                            if name.endswith("_sum") and name.removesuffix("_sum") + "_count" in names}
        for rule, expression in rules:
            if rule.kind == "record" and any(self.raw(part) is not None for part in value_branches(expression.tree)):
                self.typed.add(rule.name)

    def is_counter(self, name: str) -> bool:
        if name in self.typed:
            return True
        if not name or name in self.recorded or ":" in name:
            return False
        if name.endswith(("_total", "_bucket")):
            return True
        for suffix in ("_count", "_sum"):
            if name.endswith(suffix):
                base = name.removesuffix(suffix)
                return base.endswith(MEASURED) or base in self.histograms
        return False

    def raw(self, node: Any) -> Any:
        """The counter selector whose total `node` returns as it is (summed, scaled, ...), or None."""
        node = unwrap(node)
        if isinstance(node, promql_parser.VectorSelector):
            return node if self.is_counter(metric_name(node)) else None
        if isinstance(node, promql_parser.UnaryExpr):
            return self.raw(node.expr)
        name = operator(node)
        if isinstance(node, promql_parser.Call):
            return self.raw(node.args[0]) if name in KEEPS_VALUE and node.args else None
        if isinstance(node, promql_parser.AggregateExpr):
            return self.raw(node.expr) if name in KEEPS_KIND else None
        if not isinstance(node, promql_parser.BinaryExpr) or name in COMPARISONS:
            return None
        if name in ("and", "unless"):
            return self.raw(node.lhs)
        if name == "or":
            return self.raw(node.lhs) or self.raw(node.rhs)
        if is_constant(node.rhs):
            return self.raw(node.lhs)
        if is_constant(node.lhs):
            return self.raw(node.rhs)
        return None  # two vectors: `x_total - x_total offset 1h` is an increase written by hand
