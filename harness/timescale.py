"""Time compression: run a stack N times faster by dividing every duration by one factor.

A rule that says `for: 5m` over `rate(...[5m])` takes minutes to prove in real time. At a factor of
20 the same rule says `for: 15s` over `[15s]`, scrapes and evaluations happen every 750 ms, and
Alertmanager's group_wait of 30 s becomes 1.5 s. Every duration that shapes when an alert fires or
is notified scales by the same factor, so the ratios between them, and therefore the behaviour,
stay what the user wrote. PromQL is parsed, never matched with regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

from harness.errors import ConfigError

#: Smallest duration we let scaling produce; Prometheus and Alertmanager need at least a millisecond.
MINIMUM = timedelta(milliseconds=1)

PROMETHEUS_GLOBAL_DURATIONS = ("scrape_interval", "scrape_timeout", "evaluation_interval")
SCRAPE_CONFIG_DURATIONS = ("scrape_interval", "scrape_timeout")
RULE_DURATIONS = ("for", "keep_firing_for")
ROUTE_DURATIONS = ("group_wait", "group_interval", "repeat_interval")
#: Prometheus's own defaults, which a scaled run must scale too when the file leaves them out.
PROMETHEUS_DEFAULTS = {"scrape_interval": "1m", "evaluation_interval": "1m", "scrape_timeout": "10s"}
ALERTMANAGER_ROUTE_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


@dataclass(frozen=True)
class TimeScale:
    """`factor` real seconds pass for every second of the compressed run (1 = real time)."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        if not self.factor >= 1:
            raise ConfigError(f"time scale must be 1 (real time) or more, got {self.factor}")

    def compress(self, real: timedelta) -> timedelta:
        if real < timedelta(0):
            return -self.compress(-real)
        if real == timedelta(0):
            return real
        scaled = timedelta(milliseconds=round(real / timedelta(milliseconds=1) / self.factor))
        return max(scaled, MINIMUM)

    def compress_seconds(self, real_seconds: float) -> float:
        return real_seconds / self.factor

    def to_real_seconds(self, compressed_seconds: float) -> float:
        return compressed_seconds * self.factor

    def compress_text(self, duration: str, where: str) -> str:
        """Scale a Prometheus-style duration string such as `5m` or `1h30m`."""
        return format_duration(self.compress(parse_duration(duration, where)))

    def compress_promql(self, expression: str, where: str, evaluation_interval: timedelta) -> str:
        """Scale every range, subquery step and offset inside a PromQL expression.

        `evaluation_interval` is the real-time global one: a subquery without a step uses it, and
        the rewritten subquery names its (scaled) step explicitly.
        """
        if self.factor == 1:
            return expression
        try:
            tree = promql_parser.parse(expression)
        except ValueError as error:
            raise ConfigError(f"{where}: invalid PromQL: {error}\n    {expression.strip()}") from error
        default_step = self.compress(evaluation_interval)
        return str(promql_parser.transform(tree, post_visit=lambda node: self._rewrite_node(node, default_step)))

    def _rewrite_node(self, node: Any, default_step: timedelta) -> Any:
        if isinstance(node, promql_parser.VectorSelector) and node.offset is not None:
            return promql_parser.parse(_selector(node) + self._modifiers(node.offset, node.at))
        if isinstance(node, promql_parser.MatrixSelector):
            inner = node.vector_selector
            text = f"{_selector(inner)}[{format_duration(self.compress(node.range))}]"
            return promql_parser.parse(text + _modifiers(inner.offset, inner.at))
        if isinstance(node, promql_parser.SubqueryExpr):
            # promql-parser prints `x[5m:]` as `x[5m]`, so a default step is always made explicit.
            step = format_duration(self.compress(node.step) if node.step else default_step)
            text = f"{_parenthesised(node.expr)}[{format_duration(self.compress(node.range))}:{step}]"
            return promql_parser.parse(text + self._modifiers(node.offset, node.at))
        return None

    def _modifiers(self, offset: timedelta | None, at: Any) -> str:
        scaled = self.compress(offset) if offset is not None else None
        return _modifiers(scaled, at)


def parse_duration(text: str, where: str) -> timedelta:
    if str(text).strip().rstrip("smhdwy").strip("0") == "" and str(text).strip()[:1] == "0":
        return timedelta(0)
    try:
        return promql_parser.parse_duration(str(text))
    except ValueError as error:
        raise ConfigError(f"{where}: {text!r} is not a duration (expected e.g. 30s, 5m, 1h30m): {error}") from error


def format_duration(duration: timedelta) -> str:
    if duration < timedelta(0):
        return "-" + format_duration(-duration)
    return str(promql_parser.display_duration(duration))


def _selector(node: Any) -> str:
    return f"{node.name or ''}{node.matchers}"


def _modifiers(offset: timedelta | None, at: Any) -> str:
    text = ""
    if offset is not None:
        text += f" offset {format_duration(offset)}"
    if at is not None:
        text += f" {at}"
    return text


def _parenthesised(expr: Any) -> str:
    text = str(expr)
    if isinstance(expr, (promql_parser.VectorSelector, promql_parser.Call, promql_parser.ParenExpr)):
        return text
    return f"({text})"
