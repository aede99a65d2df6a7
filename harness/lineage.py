"""What an alert reads: the scrape jobs behind it and the recording rules in between.

An alert's samples can be no fresher than the slowest job it reads, and every recording rule on
the way adds its group's evaluation delay (none when it is evaluated earlier in the alert's own
group: a group's rules run in order). Its look-back is the longest chain of range windows from the
alert down to scraped samples: an alert over `job:errors:ratio5m` whose recording rule reads
`rate(x[5m])` looks back 5m further than its own selector says.

Which job a selector reads is knowable when it says so (`job="app"`, `job=~"app|api"`), or for the
series every scrape writes (`up`, `scrape_duration_seconds`, ...: every job). Otherwise the slowest
job stands in, a sound upper bound, and the metric is listed as a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

from harness.check.expression import metric_name
from harness.configs import AlertRule, PrometheusSettings, RecordingRule, RuleGroup, ScrapeJob
from harness.errors import ConfigError

#: Series Prometheus writes for every target it scrapes, whatever the job.
SCRAPE_SERIES = frozenset({
    "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
})


@dataclass(frozen=True)
class Step:
    """A recording rule between an alert and its samples, and the evaluation delay it adds (real time)."""

    rule: RecordingRule
    delay: timedelta


@dataclass(frozen=True)
class Look:
    """One range window on a look-back chain: which selector, and how far back (real time)."""

    selector: str
    back: timedelta


@dataclass(frozen=True)
class Reading:
    """What one alert reads, traced through its recording rules (real time)."""

    jobs: tuple[ScrapeJob, ...]
    #: Metrics whose job the config does not tell; the slowest job stands in for them.
    guessed: tuple[str, ...]
    #: The recording rules on the path with the longest evaluation delay, alert side first.
    steps: tuple[Step, ...]
    #: The path that reaches furthest back, ranges and offsets (alert side first): how long
    #: after a fault ends its samples can still be read.
    looks: tuple[Look, ...]
    #: The path with the longest ranges, offsets left out (alert side first): how long a fault
    #: must last before every window the alert reads is full of it.
    fills: tuple[Look, ...] = ()

    @property
    def slowest_job(self) -> ScrapeJob | None:
        return max(self.jobs, key=lambda job: job.interval + job.timeout, default=None)

    @property
    def delay(self) -> timedelta:
        return _sum(step.delay for step in self.steps)

    @property
    def lookback(self) -> timedelta:
        return _sum(look.back for look in self.looks)

    @property
    def fill(self) -> timedelta:
        return _sum(look.back for look in self.fills)


def reading(rule: AlertRule, prometheus: PrometheusSettings) -> Reading:
    """Trace `rule`'s expression down to the scrape jobs it reads."""
    return _trace(rule.expr, rule.group, rule.position, prometheus, (rule.name,))


def _trace(expr: str, group: RuleGroup | None, position: int, prometheus: PrometheusSettings,
           chain: tuple[str, ...]) -> Reading:
    try:
        tree = promql_parser.parse(expr)
    except ValueError as error:
        raise ConfigError(f"{' <- '.join(chain)}: invalid PromQL: {error}") from error
    jobs: dict[str, ScrapeJob] = {}
    guessed: list[str] = []
    steps: tuple[Step, ...] = ()
    looks: tuple[Look, ...] = ()
    fills: tuple[Look, ...] = ()
    for found in _selectors(tree, timedelta(0), timedelta(0), ""):
        metric = metric_name(found.selector)
        own_look = (Look(found.text, found.back),) if found.back else ()
        own_fill = (Look(found.text, found.fill),) if found.fill else ()
        recorders = prometheus.recorders(metric) if metric else []
        for recorder in recorders:
            if recorder.record in chain:
                raise ConfigError(f"{recorder.where}: recording rules read each other in a loop: "
                                  f"{' <- '.join((*chain, recorder.record))}")
            below = _trace(recorder.expr, recorder.group, recorder.position, prometheus, (*chain, recorder.record))
            same_group = group is not None and recorder.group == group and recorder.position < position
            step = Step(recorder, timedelta(0) if same_group else prometheus.evaluation_of(recorder.group))
            jobs.update({job.name: job for job in below.jobs})
            guessed += below.guessed
            steps = max(steps, (step, *below.steps), key=lambda path: _sum(step.delay for step in path))
            looks = max(looks, own_look + below.looks, key=_reach)
            fills = max(fills, own_fill + below.fills, key=_reach)
        if recorders:
            continue
        read = _jobs_read(found.selector, metric, prometheus)
        if read is None:
            guessed.append(metric or str(found.selector))
        else:
            jobs.update({job.name: job for job in read})
        looks = max(looks, own_look, key=_reach)
        fills = max(fills, own_fill, key=_reach)
    if guessed:
        slowest = prometheus.slowest_job()
        jobs[slowest.name] = slowest
    return Reading(tuple(jobs.values()), tuple(dict.fromkeys(guessed)), steps, looks, fills)


def _sum(durations: Iterable[timedelta]) -> timedelta:
    return sum(durations, timedelta(0))


def _reach(path: tuple[Look, ...]) -> timedelta:
    return _sum(look.back for look in path)


@dataclass(frozen=True)
class _Found:
    selector: Any
    back: timedelta
    fill: timedelta
    text: str


def _selectors(node: Any, back: timedelta, fill: timedelta, around: str) -> list[_Found]:
    """Every vector selector under `node`: how far back it reads (ranges, offsets, enclosing
    subqueries), how long its windows take to fill (ranges only), and the text that says so."""
    if isinstance(node, promql_parser.VectorSelector):
        return [_Found(node, back + (node.offset or timedelta(0)), fill, around or str(node))]
    if isinstance(node, promql_parser.MatrixSelector):
        inner = node.vector_selector
        return [_Found(inner, back + node.range + (inner.offset or timedelta(0)), fill + node.range, around or str(node))]
    if isinstance(node, promql_parser.SubqueryExpr):
        further = back + node.range + (node.offset or timedelta(0))
        return _selectors(node.expr, further, fill + node.range, around or str(node))
    if isinstance(node, promql_parser.BinaryExpr):
        return _selectors(node.lhs, back, fill, around) + _selectors(node.rhs, back, fill, around)
    if isinstance(node, promql_parser.Call):
        return [found for argument in node.args for found in _selectors(argument, back, fill, around)]
    if isinstance(node, promql_parser.AggregateExpr):
        inside = [node.expr] + ([node.param] if node.param is not None else [])
        return [found for part in inside for found in _selectors(part, back, fill, around)]
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return _selectors(node.expr, back, fill, around)
    return []


def _jobs_read(selector: Any, metric: str, prometheus: PrometheusSettings) -> list[ScrapeJob] | None:
    """The jobs a selector can read, or None when the config does not tell."""
    tests = [(str(matcher.op), str(matcher.value)) for matcher in selector.matchers.matchers if matcher.name == "job"]
    if not tests and metric not in SCRAPE_SERIES:
        return None
    read = [job for job in prometheus.jobs if all(_job_matches(job.name, op, value) for op, value in tests)]
    return read or None


def _job_matches(job: str, op: str, value: str) -> bool:
    if op == "MatchOp.Equal":
        return job == value
    if op == "MatchOp.NotEqual":
        return job != value
    found = re.fullmatch(value, job) is not None
    return found if op == "MatchOp.Re" else not found

