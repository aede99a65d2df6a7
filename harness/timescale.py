"""Time compression: run a stack N times faster by dividing every duration by one factor.

A rule that says `for: 5m` over `rate(...[5m])` takes minutes to prove in real time. At a factor of
20 the same rule says `for: 15s` over `[15s]`, scrapes and evaluations happen every 750 ms, and
Alertmanager's group_wait of 30 s becomes 1.5 s. Every duration that shapes when an alert fires or
is notified scales by the same factor, so the ratios between them, and therefore the behaviour,
stay what the user wrote. PromQL is parsed, never matched with regular expressions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

from harness.errors import ConfigError

#: Smallest duration we let scaling produce; Prometheus and Alertmanager need at least a millisecond.
MINIMUM = timedelta(milliseconds=1)
#: Prometheus's duration grammar: units largest first, each at most once (`1h30m`, `750ms`).
DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
UNIT_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)

#: Functions with an argument that is a number of seconds (which argument).
SECONDS_ARGUMENT = {"predict_linear": 1}
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
        default_step = evaluation_interval
        return str(promql_parser.transform(tree, post_visit=lambda node: self._rewrite_node(node, default_step)))

    def compress_in_promql(self, real: timedelta) -> timedelta:
        """Scale a duration written inside PromQL, rounded up to whole seconds.

        promql-parser 0.11 prints sub-second durations truncated (`750ms` as `0s`), so the
        rewritten expression could not carry them; rounding up also keeps a range window from
        shrinking below what the scaled scrape interval can fill.
        """
        if real < timedelta(0):
            return -self.compress_in_promql(-real)
        if real == timedelta(0):
            return real
        return timedelta(seconds=max(1, math.ceil(self.compress(real).total_seconds() - 1e-9)))

    def _rewrite_node(self, node: Any, default_step: timedelta) -> Any:
        if isinstance(node, promql_parser.VectorSelector) and node.offset is not None:
            return promql_parser.parse(_selector(node) + self._modifiers(node.offset, node.at))
        if isinstance(node, promql_parser.MatrixSelector):
            inner = node.vector_selector
            text = f"{_selector(inner)}[{format_duration(self.compress_in_promql(node.range))}]"
            return promql_parser.parse(text + _modifiers(inner.offset, inner.at))
        if isinstance(node, promql_parser.Call) and node.func.name in SECONDS_ARGUMENT and len(node.args) > 1:
            # A horizon written as a plain number of seconds is a duration too.
            index = SECONDS_ARGUMENT[node.func.name]
            horizon = node.args[index]
            if isinstance(horizon, promql_parser.NumberLiteral):
                args = [str(arg) for arg in node.args]
                args[index] = f"{horizon.val / self.factor:g}"
                return promql_parser.parse(f"{node.func.name}({', '.join(args)})")
        if isinstance(node, promql_parser.SubqueryExpr):
            # promql-parser prints `x[5m:]` as `x[5m]`, so a default step is always made explicit.
            step = format_duration(self.compress_in_promql(node.step or default_step))
            text = f"{_parenthesised(node.expr)}[{format_duration(self.compress_in_promql(node.range))}:{step}]"
            return promql_parser.parse(text + self._modifiers(node.offset, node.at))
        return None

    def _modifiers(self, offset: timedelta | None, at: Any) -> str:
        scaled = self.compress_in_promql(offset) if offset is not None else None
        return _modifiers(scaled, at)


def parse_duration(text: str, where: str) -> timedelta:
    """Read a Prometheus duration (`30s`, `1h30m`, `750ms`; `0` alone is zero)."""
    written = str(text).strip()
    match = DURATION.match(written)
    if written == "0":
        return timedelta(0)
    if not written or match is None:
        raise ConfigError(f"{where}: {text!r} is not a duration (expected e.g. 30s, 5m, 1h30m, 500ms)")
    seconds = sum(int(amount) * unit for amount, unit in zip(match.groups(), UNIT_SECONDS) if amount)
    return timedelta(seconds=seconds)


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
