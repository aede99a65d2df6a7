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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

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
    """One range window on the longest look-back chain: which selector, and how far back (real time)."""

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
    #: The range windows on the path that looks back furthest, alert side first.
    looks: tuple[Look, ...]

    @property
    def slowest_job(self) -> ScrapeJob | None:
        return max(self.jobs, key=lambda job: job.interval + job.timeout, default=None)

    @property
    def delay(self) -> timedelta:
        return sum((step.delay for step in self.steps), timedelta(0))

    @property
    def lookback(self) -> timedelta:
        return sum((look.back for look in self.looks), timedelta(0))


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
    for selector, back in _selectors(tree, timedelta(0)):
        metric = _metric_name(selector)
        own = (Look(_text(selector), back),) if back > timedelta(0) else ()
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
            if _total(step.delay, below.steps) > _total(timedelta(0), steps):
                steps = (step, *below.steps)
            if back + below.lookback > sum((look.back for look in looks), timedelta(0)):
                looks = own + below.looks
        if recorders:
            continue
        read = _jobs_read(selector, metric, prometheus)
        if read is None:
            guessed.append(metric or _text(selector))
        else:
            jobs.update({job.name: job for job in read})
        if back > sum((look.back for look in looks), timedelta(0)):
            looks = own
    if guessed:
        slowest = prometheus.slowest_job()
        jobs[slowest.name] = slowest
    return Reading(tuple(jobs.values()), tuple(dict.fromkeys(guessed)), steps, looks)


def _total(first: timedelta, steps: tuple[Step, ...]) -> timedelta:
    return first + sum((step.delay for step in steps), timedelta(0))


def _selectors(node: Any, outer: timedelta) -> list[tuple[Any, timedelta]]:
    """Every vector selector under `node`, with how far back it reaches (ranges, offsets, enclosing subqueries)."""
    if isinstance(node, promql_parser.VectorSelector):
        return [(node, outer + (node.offset or timedelta(0)))]
    if isinstance(node, promql_parser.MatrixSelector):
        inner = node.vector_selector
        return [(inner, outer + node.range + (inner.offset or timedelta(0)))]
    if isinstance(node, promql_parser.SubqueryExpr):
        return _selectors(node.expr, outer + node.range + (node.offset or timedelta(0)))
    if isinstance(node, promql_parser.BinaryExpr):
        return _selectors(node.lhs, outer) + _selectors(node.rhs, outer)
    if isinstance(node, promql_parser.Call):
        return [found for argument in node.args for found in _selectors(argument, outer)]
    if isinstance(node, promql_parser.AggregateExpr):
        found = _selectors(node.expr, outer)
        return found + (_selectors(node.param, outer) if node.param is not None else [])
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return _selectors(node.expr, outer)
    return []


def _metric_name(selector: Any) -> str:
    if selector.name:
        return str(selector.name)
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and str(matcher.op) == "MatchOp.Equal":
            return str(matcher.value)
    return ""


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


def _text(selector: Any) -> str:
    return f"{selector.name or ''}{selector.matchers}"
