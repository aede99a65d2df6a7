"""Rule expressions that will not do what they read like.

    promql.counter-without-rate            error    a counter's total since start compared with a threshold
    promql.histogram-quantile-not-rate     error    a quantile of cumulative buckets, or of buckets without `le`
    promql.ratio-without-aggregation       warning  a metric's rate divided by its own rate, series by series
    promql.range-shorter-than-two-scrapes  warning  a window that holds one sample or none
    promql.no-comparison                   warning  an alert that fires for every series its selector returns
    promql.absent-with-regex               warning  `absent()` of a regex, empty while any series matches
    promql.for-shorter-than-evaluation     warning  a `for:` that waits one evaluation anyway

What counts, precisely (each definition is drawn so that a finding is a bug, not a style):

- Counters are told by name (`counters.py`). One is reported when its total reaches a comparison
  with a number, or is a whole alert expression, through nothing but parentheses, `sum`, `min`,
  `max`, `avg`, `topk`, `bottomk`, `quantile`, arithmetic with numbers and label or rounding
  functions; any other function (`rate`, `resets`, `timestamp`, `absent`, `*_over_time`, ...),
  `count`, or arithmetic with another series makes it something else. Left alone: a comparison
  that only filters (right of `and`/`unless`); "never happened since start" (`== 0`, `< 1`,
  `<= 0`), a question a total answers; "ever happened" (`> 0`, `!= 0`, `>= 1`) beside `and`, a
  guard while the other side says what pages. "Ever happened" alone is a warning, not an error:
  exporters name gauges `*_total` too (`minio_cluster_drive_offline_total`).
- `histogram_quantile` must read a rate (`rate`, `irate`, `increase`) of `_bucket` series with `le`
  kept by every aggregation on the way. A recorded series (a name with `:`, or recorded in these
  files) is trusted to be a rate; `le` dropped is reported only over classic buckets (a name with
  `_bucket`, or recorded from one): native histograms have no `le`.
- A ratio is reported when both sides of `/` are `rate`/`irate`/`increase` of the same metric at
  the same offset, with different label matchers, no aggregation and no `on`/`ignoring`: one-to-one
  matching then pairs every series with itself, so the ratio is 1 wherever it exists. Different
  metrics with the same labels (`errors_total / requests_total`) are a per-series ratio and fine.
- A range is short when it is under 2 x the shortest scrape interval of prometheus.yml (global or
  any job's): short for every job. A subquery's range is compared with 2 x its step (the evaluation
  interval when it has none), since the points it holds are the subquery's own.
- Without a prometheus.yml the scrape and evaluation intervals are unknown (a team's are rarely
  Prometheus's default of 1m), so ranges, step-less subqueries and `for:` are judged only against
  what the rule files say themselves (explicit steps, a group's `interval`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

from harness.check.counters import KEEPS_VALUE, Counters
from harness.check.expression import (
    COMPARISONS, Expression, Place, constant_value, is_constant, metric_name, operator, parse, selectors, unwrap,
    value_branches, walk,
)
from harness.check.findings import Finding, Severity
from harness.check.documents import Rule
from harness.check.sources import Monitoring
from harness.errors import ConfigError
from harness.timescale import format_duration, parse_duration

RATES = frozenset({"rate", "irate", "increase"})
#: Functions that need two samples in their window to return anything.
NEEDS_TWO_SAMPLES = frozenset({"rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear",
                               "double_exponential_smoothing"})
ABSENT = frozenset({"absent", "absent_over_time"})
#: Aggregations that return some of their input series as they are, labels and all.
SELECTING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
#: Series that exist only while something is wrong: an alert on them needs no comparison.
EXIST_WHEN_WRONG = frozenset({"ALERTS", "ALERTS_FOR_STATE"})


@dataclass(frozen=True)
class _Problem:
    code: str
    severity: Severity
    message: str
    fix: str


@dataclass(frozen=True)
class _Context:
    counters: Counters
    recorded: frozenset[str]
    recorded_buckets: frozenset[str]  # recorded from classic histogram buckets
    recorded_filters: frozenset[str]  # recorded from a comparison: such series exist only while it holds
    scrape_interval: timedelta
    scrape_source: str  # how the scrape interval was found, for the message
    evaluation_interval: timedelta

    @property
    def window(self) -> str:
        """A range to suggest: 4 scrapes, and no less than 5m."""
        return format_duration(max(4 * self.scrape_interval, timedelta(minutes=5)))


def findings(monitoring: Monitoring, typed_counters: set[str] | None = None) -> list[Finding]:
    """Every expression problem of every rule; a rule whose expression does not parse is skipped."""
    parsed = [(rule, expression) for rule in monitoring.rules if (expression := parse(rule.expr)) is not None]
    recordings = [(rule, expression) for rule, expression in parsed if rule.kind == "record"]
    context = _Context(
        Counters(parsed, typed_counters or set()),
        frozenset(rule.name for rule, _ in recordings),
        frozenset(rule.name for rule, _ in recordings if "_bucket" in rule.expr),
        frozenset(rule.name for rule, expression in recordings if _compares(expression.tree)),
        *_scrape_interval(monitoring),
        _evaluation_interval(monitoring),
    )
    found: list[Finding] = []
    for rule, expression in parsed:
        found += [Finding(problem.code, problem.severity, str(rule.file), rule.expr_line, rule.subject,
                          problem.message, problem.fix) for problem in _problems(rule, expression, context)]
    return found + [finding for rule in monitoring.rules for finding in _for_findings(rule, context)]


def _problems(rule: Rule, expression: Expression, context: _Context) -> list[_Problem]:
    problems = _counter_problems(rule, expression, context) + _histogram_problems(expression, context)
    problems += _ratio_problems(expression) + _range_problems(expression, context) + _absent_problems(expression)
    if rule.kind == "alert":
        problems += _comparison_problems(expression, context)
    return problems


def _counter_problems(rule: Rule, expression: Expression, context: _Context) -> list[_Problem]:
    problems: list[_Problem] = []
    for place in walk(expression.tree):
        node = place.node
        if operator(node) not in COMPARISONS or place.filtering:
            continue
        for counter_side, threshold in ((node.lhs, node.rhs), (node.rhs, node.lhs)):
            counter = context.counters.raw(counter_side)
            if counter is None or not is_constant(threshold):
                continue
            problem = _total_compared(place, counter_side is node.lhs, expression.show(counter), expression, context)
            if problem is not None:
                problems.append(problem)
    if rule.kind == "alert":
        for branch in value_branches(expression.tree):
            counter = context.counters.raw(branch)
            if counter is not None:
                problems.append(_Problem(
                    "promql.counter-without-rate", "error",
                    f"the alert expression `{expression.show(branch)}` is a counter's total with no comparison, so it "
                    "fires for every series as soon as the counter exists",
                    f"alert on its rate with a threshold, e.g. "
                    f"`rate({expression.show(counter)}[{context.window}]) > 0`"))
    return problems


def _total_compared(place: Place, counter_on_left: bool, counter: str, expression: Expression,
                    context: _Context) -> _Problem | None:
    comparison = place.node
    op = str(comparison.op)
    if not counter_on_left:
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
    value = constant_value(comparison.rhs if counter_on_left else comparison.lhs)
    never = (op, value) in (("==", 0), ("<", 1), ("<=", 0))
    ever = (op, value) in ((">", 0), ("!=", 0), (">=", 1))
    if never or (ever and place.operand_of == "and"):
        return None
    shown = expression.show(comparison)
    rewritten = _replace(shown, counter, f"increase({counter}[{context.window}])")
    fix = f"compare its increase over a window instead, e.g. `{rewritten}`"
    if ever:
        return _Problem(
            "promql.counter-without-rate", "warning",
            f"`{shown}` stays true from the first event until the process restarts: `{counter}` is named as a counter, "
            "so this compares its total since start, not recent events (unless it is a gauge despite its name)",
            fix + ", or rename the metric if it is a gauge")
    return _Problem(
        "promql.counter-without-rate", "error",
        f"`{counter}` is a counter, so `{shown}` compares its total since the process started, not how fast it "
        "grows, and stays true once crossed until the process restarts", fix)


def _histogram_problems(expression: Expression, context: _Context) -> list[_Problem]:
    problems: list[_Problem] = []
    for node in (place.node for place in walk(expression.tree)):
        if operator(node) == "histogram_quantile" and isinstance(node, promql_parser.Call) and len(node.args) == 2:
            call = f"histogram_quantile({expression.show(node.args[0])}, ...)"
            problems += [_Problem("promql.histogram-quantile-not-rate", "error", what, fix)
                         for what, fix in _bucket_problems(node.args[1], call, expression, context)]
    return problems


def _bucket_problems(node: Any, call: str, expression: Expression, context: _Context) -> list[tuple[str, str]]:
    """What is wrong with `node` as the buckets of histogram_quantile (`call`): no rate, or no `le`."""
    node = unwrap(node)
    name = operator(node)
    if isinstance(node, promql_parser.AggregateExpr):
        problems: list[tuple[str, str]] = []
        labels = list(node.modifier.labels) if node.modifier is not None else []
        without = node.modifier is not None and str(node.modifier.type) == "AggModifierType.Without"
        if name not in SELECTING and ("le" in labels) == without and _reads_classic_buckets(node.expr, context):
            fix = ("take `le` out of `without (...)`" if without else
                   f"keep `le` in the aggregation: `{name} by ({', '.join([*labels, 'le'])}) (...)`")
            problems.append((
                f"`{expression.show(node)}` drops the `le` label, so `{call}` finds no buckets and returns "
                "nothing", fix))
        return problems + _bucket_problems(node.expr, call, expression, context)
    if isinstance(node, promql_parser.Call):
        return _bucket_problems(node.args[0], call, expression, context) if name in KEEPS_VALUE and node.args else []
    if isinstance(node, promql_parser.UnaryExpr):
        return _bucket_problems(node.expr, call, expression, context)
    if isinstance(node, promql_parser.BinaryExpr):
        sides = [node.lhs] if name in ("and", "unless") else [node.lhs, node.rhs]
        return [problem for side in sides for problem in _bucket_problems(side, call, expression, context)]
    if isinstance(node, promql_parser.VectorSelector):
        metric = metric_name(node)
        if metric.endswith("_bucket") and ":" not in metric and metric not in context.recorded:
            shown = expression.show(node)
            return [(f"`{call}` reads `{shown}` without rate, so it is the quantile of every observation "
                     "since the process started, not of recent ones",
                     f"take the quantile of a rate: `sum by (le) (rate({shown}[{context.window}]))`")]
    return []


def _reads_classic_buckets(node: Any, context: _Context) -> bool:
    names = {metric_name(selector) for selector in selectors(node)}
    return any("_bucket" in name or name in context.recorded_buckets for name in names)


def _ratio_problems(expression: Expression) -> list[_Problem]:
    problems: list[_Problem] = []
    for node in (place.node for place in walk(expression.tree)):
        if operator(node) != "/" or (node.modifier is not None and node.modifier.matching is not None):
            continue
        top, bottom = _rate_selector(node.lhs), _rate_selector(node.rhs)
        if top is None or bottom is None or not metric_name(top) or metric_name(top) != metric_name(bottom):
            continue
        if (top.offset, top.at) != (bottom.offset, bottom.at):
            continue  # this week against last week: a series against its own past is the point
        top_matchers, bottom_matchers = _matchers(top, expression), _matchers(bottom, expression)
        if top_matchers == bottom_matchers:
            continue  # a short window against a long one: deliberate
        labels = ", ".join(f"`{label}`" for label in sorted({name for name, _ in top_matchers ^ bottom_matchers}))
        top_text, bottom_text = expression.show(unwrap(node.lhs)), expression.show(unwrap(node.rhs))
        problems.append(_Problem(
            "promql.ratio-without-aggregation", "warning",
            f"`{expression.show(node)}` divides each series by itself: without aggregation both sides match on every "
            f"label, {labels} included, so the ratio is 1 wherever it exists",
            "aggregate both sides to the labels the ratio is about, e.g. "
            f"`sum by (job) ({top_text}) / sum by (job) ({bottom_text})`"))
    return problems


def _rate_selector(node: Any) -> Any:
    node = unwrap(node)
    if isinstance(node, promql_parser.Call) and operator(node) in RATES and node.args:
        argument = unwrap(node.args[0])
        if isinstance(argument, promql_parser.MatrixSelector):
            return argument.vector_selector
    return None


def _matchers(selector: Any, expression: Expression) -> frozenset[tuple[str, str]]:
    return frozenset((matcher.name, f"{matcher.op} {expression.written(str(matcher.value))}")
                     for matcher in selector.matchers.matchers if matcher.name != "__name__")


def _range_problems(expression: Expression, context: _Context) -> list[_Problem]:
    problems: list[_Problem] = []
    scrape = context.scrape_interval
    for place in walk(expression.tree):
        node, parent = place.node, place.parent
        if scrape and isinstance(node, promql_parser.MatrixSelector) and node.range < 2 * scrape:
            function = operator(parent) or "its function"
            shown = expression.show(parent if parent is not None else node)
            written, longer = f"[{format_duration(node.range)}]", f"[{format_duration(4 * scrape)}]"
            consequence = "needs two samples in its window, so it often returns nothing"
            if function not in NEEDS_TWO_SAMPLES:
                consequence = "sees one sample or none, not the values over time it reads like"
            problems.append(_Problem(
                "promql.range-shorter-than-two-scrapes", "warning",
                f"`{shown}` looks back {format_duration(node.range)}, less than two scrapes at "
                f"{format_duration(scrape)}{context.scrape_source}, and {function} {consequence}",
                f"use a range of at least 4 scrape intervals: `{shown.replace(written, longer)}`"))
        elif isinstance(node, promql_parser.SubqueryExpr):
            step = node.step or context.evaluation_interval
            if step and node.range < 2 * step:
                problems.append(_Problem(
                    "promql.range-shorter-than-two-scrapes", "warning",
                    f"the subquery `{expression.show(node)}` spans {format_duration(node.range)} at a step of "
                    f"{format_duration(step)}, so the function around it sees one point or none",
                    "make the subquery several steps long, e.g. "
                    f"[{format_duration(4 * step)}:{format_duration(step)}]"))
    return problems


def _comparison_problems(expression: Expression, context: _Context) -> list[_Problem]:
    if _compares(expression.tree) or any(operator(place.node) == "unless" for place in walk(expression.tree)):
        return []  # `x offset 1h unless x`: a set difference is a condition of its own
    for branch in value_branches(expression.tree):
        read = {metric_name(selector) for selector in selectors(branch)}
        # Recorded elsewhere, a series may be a comparison's result: it would exist only when wrong.
        unknown = {name for name in read if ":" in name and name not in context.recorded}
        if operator(branch) in ABSENT or not read or read <= EXIST_WHEN_WRONG | context.recorded_filters | unknown:
            continue  # absent, a constant (`vector(1)`: a dead man's switch), or series that exist only when wrong
        if context.counters.raw(branch) is not None:
            continue  # a counter's total: reported as such
        return [_Problem(
            "promql.no-comparison", "warning",
            f"`{expression.show(branch)}` has no comparison, so the alert fires for every series it returns, "
            "whatever the value",
            "add the condition that should page (e.g. `> 0.05`), or use `absent(...)` to alert on a missing series")]
    return []


def _compares(tree: Any) -> bool:
    return any(operator(place.node) in COMPARISONS for place in walk(tree))


def _absent_problems(expression: Expression) -> list[_Problem]:
    problems: list[_Problem] = []
    for node in (place.node for place in walk(expression.tree)):
        if not isinstance(node, promql_parser.Call) or operator(node) not in ABSENT or not node.args:
            continue
        regexes = [matcher for selector in selectors(node.args[0]) for matcher in selector.matchers.matchers
                   if str(matcher.op) in ("MatchOp.Re", "MatchOp.NotRe")]
        if regexes:
            labels = ", ".join(sorted({f"`{matcher.name}`" for matcher in regexes}))
            problems.append(_Problem(
                "promql.absent-with-regex", "warning",
                f"`{expression.show(node)}` is empty while any series matches the regex, so it never reports one of "
                f"them missing, and its alert cannot say which {labels} is gone",
                "use one `absent()` per expected value with `=` matchers, or compare a `count by (...)` with the "
                "expected set"))
    return problems


def _for_findings(rule: Rule, context: _Context) -> list[Finding]:
    interval = rule.group_interval or context.evaluation_interval
    if rule.kind != "alert" or not timedelta(0) < rule.for_ < interval:
        return []
    every = format_duration(interval)
    return [Finding(
        "promql.for-shorter-than-evaluation", "warning", str(rule.file), rule.line, rule.subject,
        f"`for: {format_duration(rule.for_)}` is shorter than the evaluation interval of group {rule.group} ({every}), "
        f"so the alert waits one evaluation ({every}) anyway",
        f"set `for:` to 0, or to at least the evaluation interval ({every})")]


def _replace(text: str, selector: str, replacement: str) -> str:
    """`text` with every whole occurrence of `selector` replaced."""
    return re.sub(rf"(?<![\w:]){re.escape(selector)}(?![\w:{{\[])", lambda _: replacement, text)


def _evaluation_interval(monitoring: Monitoring) -> timedelta:
    """The global evaluation interval; zero (unknown) when no prometheus.yml was read."""
    return monitoring.evaluation_interval if monitoring.prometheus is not None else timedelta(0)


def _scrape_interval(monitoring: Monitoring) -> tuple[timedelta, str]:
    """The shortest scrape interval in prometheus.yml, and how it was found; zero (unknown) without one."""
    if monitoring.prometheus is None or not isinstance(monitoring.prometheus.data, dict):
        return timedelta(0), ""
    intervals = [monitoring.scrape_interval]
    for job in monitoring.prometheus.data.get("scrape_configs") or []:
        if isinstance(job, dict) and job.get("scrape_interval") is not None:
            try:
                intervals.append(parse_duration(str(job["scrape_interval"]), "scrape_interval"))
            except ConfigError:
                continue
    shortest = min(intervals)
    return shortest, "" if shortest == monitoring.scrape_interval else " (the shortest job's)"
