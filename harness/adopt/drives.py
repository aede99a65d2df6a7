"""What the signal source must expose to move one alerting rule, read from the rule's own PromQL.

Every vector selector of the expression becomes a series that satisfies its matchers: a counter
under `rate`/`increase`, a histogram under `histogram_quantile`, a gauge otherwise (its slope under
`deriv`/`predict_linear`). One number, the intensity, moves one or all of them; whether the rule
fires at an intensity is never decided here, only by the real Prometheus (harness.adopt.search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import promql_parser

from harness.adopt.values import matching, not_matching, other_than, unquote
from harness.check.expression import Expression, constant_value, operator, parse, unwrap, walk
from harness.thresholds import threshold_of

Kind = Literal["counter", "gauge", "histogram"]
Knob = Literal["rate", "value", "slope", "latency"]
Mode = Literal["level", "absent", "up", "presence"]

COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase", "resets"})
SLOPE_FUNCTIONS = frozenset({"deriv", "predict_linear", "delta", "idelta"})
#: What a series not moved by the intensity holds: present, and ordinary.
BASE = 1.0
DEFAULT_JOB = "signal"
HISTOGRAM_BASE_LATENCY = 0.01


@dataclass(frozen=True)
class SeriesShape:
    """One series the source exposes for a selector, and which of its numbers the intensity sets."""

    name: str
    kind: Kind
    labels: tuple[tuple[str, str], ...]
    job: str
    knob: Knob
    #: Its value when not driven: BASE, or what a filter such as `and on(...) x == 0` asks of it.
    held: float = BASE

    def at(self, intensity: float | None) -> dict[str, Any]:
        """The series as the signal source's program takes it; `None` holds it at its ordinary level."""
        value = self.held if intensity is None else intensity
        series: dict[str, Any] = {"name": self.name, "kind": self.kind, "labels": dict(self.labels), "job": self.job}
        if self.kind == "histogram":
            series.update(rate=BASE, latency=HISTOGRAM_BASE_LATENCY if intensity is None else value)
        elif self.kind == "counter":
            series["rate"] = value
        elif self.knob == "slope":
            series.update(value=self.held, slope=0.0 if intensity is None else value)
        else:
            series["value"] = value
        return series

    def describe(self) -> str:
        labels = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.name}{{{labels}}} ({self.kind}, {self.knob})"


@dataclass(frozen=True)
class Drive:
    """A way to move one rule: the series, which of them the intensity drives, and how it fires."""

    alert: str
    mode: Mode
    series: tuple[SeriesShape, ...]
    driven: tuple[int, ...] = ()
    #: For `up` rules: the scrape job whose failure is the signal.
    down_job: str = ""
    #: Series left out on purpose (the right of `unless`), so the rule can keep its results.
    notes: tuple[str, ...] = field(default=())
    #: The rule compares with `==` or `!=`: there is no "just below", only the value and the others.
    exact: bool = False

    @property
    def metrics(self) -> frozenset[str]:
        names = {shape.name for shape in self.series}
        return frozenset(names | ({"up"} if self.mode == "up" else set()))

    @property
    def jobs(self) -> frozenset[str]:
        return frozenset({shape.job for shape in self.series} | ({self.down_job} if self.down_job else set()))

    @property
    def knob(self) -> Knob | None:
        return self.series[self.driven[0]].knob if self.mode == "level" and self.driven else None

    def program(self, intensity: float | None = None, *, present: bool = True, up: bool = True) -> dict[str, Any]:
        """The signal program for this rule alone: intensity on the driven series, the rest ordinary."""
        series = [shape.at(intensity if index in self.driven else None)
                  for index, shape in enumerate(self.series)] if present else []
        return {"series": series, "down_jobs": [] if up else [self.down_job]}

    def describe(self) -> str:
        if self.mode == "up":
            return f"scrape job {self.down_job!r} failing (up = 0)"
        if self.mode == "absent":
            return "series missing: " + ", ".join(shape.describe() for shape in self.series)
        if self.mode == "presence":
            return "series present: " + ", ".join(shape.describe() for shape in self.series)
        moved = ", ".join(self.series[index].describe() for index in self.driven)
        held = [shape.describe() for index, shape in enumerate(self.series) if index not in self.driven]
        return f"intensity on {moved}" + (f"; held ordinary: {', '.join(held)}" if held else "")


@dataclass(frozen=True)
class NotDrivable:
    alert: str
    reason: str


def drives_for(alert: str, expr: str) -> list[Drive] | NotDrivable:
    """The ways to try moving `alert`, most likely first, or why its expression cannot be driven."""
    parsed = parse(expr)
    if parsed is None:
        return NotDrivable(alert, "the expression does not parse")
    calendar = sorted({operator(place.node) for place in walk(parsed.tree)
                       if isinstance(place.node, promql_parser.Call) and operator(place.node) in _CALENDAR})
    if calendar:
        return NotDrivable(alert, f"compares the calendar ({', '.join(calendar)}), which no signal can move")
    top = unwrap(parsed.tree)
    if isinstance(top, promql_parser.Call) and operator(top) in ("absent", "absent_over_time"):
        return _absent(alert, top, parsed)
    shapes: list[SeriesShape] = []
    notes: list[str] = []
    up_jobs: list[str] = []
    for place in walk(parsed.tree):
        if not isinstance(place.node, promql_parser.VectorSelector):
            continue
        if _right_of_unless(place.path):
            notes.append(f"{parsed.show(place.node)} is left out, so `unless` keeps the results")
            continue
        name = _name(place.node, parsed)
        if not name:
            return NotDrivable(alert, f"{parsed.show(place.node)} names no metric, so no series can be made for it")
        if name == "up":
            job = _labels(place.node, parsed)
            if job is None:
                return NotDrivable(alert, f"no label value satisfies the matchers of {parsed.show(place.node)}")
            labels = dict(job)
            if set(labels) - {"job"}:
                return NotDrivable(alert, f"{parsed.show(place.node)} selects `up` by labels other than job, which "
                                          "only Prometheus's own scrape sets")
            up_jobs.append(labels.get("job", DEFAULT_JOB))
            continue
        shape = _shape(place, name, parsed)
        if isinstance(shape, str):
            return NotDrivable(alert, shape)
        shape = _as_first_of_its_name(shape, shapes)
        if not any(other.name == shape.name and other.labels == shape.labels for other in shapes) \
                and not _covered(shape, shapes):
            shapes.append(shape)
    if up_jobs:
        if len(set(up_jobs)) > 1:
            return NotDrivable(alert, f"reads `up` of several jobs ({', '.join(sorted(set(up_jobs)))})")
        return [Drive(alert, "up", tuple(shapes), down_job=up_jobs[0], notes=tuple(notes))]
    if not shapes:
        return NotDrivable(alert, "reads no series (a constant, or only `vector()`/`time()`)")
    if not any(operator(place.node) in _COMPARISONS for place in walk(parsed.tree)):
        return [Drive(alert, "presence", tuple(shapes), notes=tuple(notes))]
    threshold = threshold_of(expr)
    exact = threshold is not None and threshold.op in ("==", "!=")
    singles = [Drive(alert, "level", tuple(shapes), (index,), notes=tuple(notes), exact=exact)
               for index in range(len(shapes))]
    together = Drive(alert, "level", tuple(shapes), tuple(range(len(shapes))), notes=tuple(notes), exact=exact)
    return singles + ([together] if len(shapes) > 1 else [])


_CALENDAR = frozenset({"hour", "minute", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"})
_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})


def _absent(alert: str, call: Any, parsed: Expression) -> list[Drive] | NotDrivable:
    inner = [place.node for place in walk(call) if isinstance(place.node, promql_parser.VectorSelector)]
    if len(inner) != 1:
        return NotDrivable(alert, "absent() of anything but one selector")
    name = _name(inner[0], parsed)
    labels = _labels(inner[0], parsed)
    if not name or labels is None:
        return NotDrivable(alert, f"no series satisfies {parsed.show(inner[0])}")
    if name == "up":
        return NotDrivable(alert, "absent(up{...}) fires only when the job has no scrape config at all; the adopted "
                                  "stack scrapes every job its rules name")
    job = dict(labels).get("job", DEFAULT_JOB)
    return [Drive(alert, "absent", (SeriesShape(name, "gauge", labels, job, "value"),))]


def _right_of_unless(path: tuple[tuple[Any, int], ...]) -> bool:
    return any(index == 1 and operator(ancestor) == "unless" for ancestor, index in path)


def _name(selector: Any, parsed: Expression) -> str:
    if selector.name:
        return str(selector.name)
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and str(matcher.op) == "MatchOp.Equal":
            return unquote(parsed.written(str(matcher.value)))
    return ""


def _labels(selector: Any, parsed: Expression) -> tuple[tuple[str, str], ...] | None:
    """Label values that satisfy every matcher (`__name__` and `le` aside), or None when none do."""
    values: dict[str, str] = {}
    for matcher in selector.matchers.matchers:
        name, op = str(matcher.name), str(matcher.op)
        if name in ("__name__", "le"):
            continue
        written = unquote(parsed.written(str(matcher.value)))
        if op == "MatchOp.Equal":
            value: str | None = written
        elif op == "MatchOp.NotEqual":
            value = other_than(written)
        elif op == "MatchOp.Re":
            value = matching(written)
        else:
            value = not_matching(written)
        if value is None or (name in values and values[name] != value):
            return None
        if value != "":
            values[name] = value
    return tuple(sorted(values.items()))


def _shape(place: Any, name: str, parsed: Expression) -> SeriesShape | str:
    labels = _labels(place.node, parsed)
    if labels is None:
        return f"no label value satisfies the matchers of {parsed.show(place.node)}"
    job = dict(labels).get("job", DEFAULT_JOB)
    held = _asked_of(place)
    calls = [operator(ancestor) for ancestor, _ in reversed(place.path) if isinstance(ancestor, promql_parser.Call)]
    innermost = calls[0] if calls else ""
    if name.endswith("_bucket"):
        return SeriesShape(name.removesuffix("_bucket"), "histogram", labels, job, "latency")
    if innermost in COUNTER_FUNCTIONS:
        return SeriesShape(name, "counter", labels, job, "rate")
    if innermost in SLOPE_FUNCTIONS:
        return SeriesShape(name, "gauge", labels, job, "slope")
    return SeriesShape(name, "gauge", labels, job, "value", held)


_SATISFY = {"==": 0.0, ">=": 0.0, "<=": 0.0, ">": 1.0, "!=": 1.0, "<": -1.0}


def _asked_of(place: Any) -> float:
    """A bare selector compared with a number (`x == 0`) is held at a value that passes the comparison."""
    for ancestor, index in reversed(place.path):
        if isinstance(ancestor, promql_parser.ParenExpr):
            continue
        op = operator(ancestor)
        if isinstance(ancestor, promql_parser.BinaryExpr) and op in _SATISFY:
            other = constant_value(ancestor.rhs if index == 0 else ancestor.lhs)
            if other is not None:
                flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op) if index == 1 else op
                return other + _SATISFY[flipped]
        return BASE
    return BASE


def _as_first_of_its_name(shape: SeriesShape, shapes: list[SeriesShape]) -> SeriesShape:
    """A metric has one type: read as a counter once (under `rate`), it is a counter wherever else it appears."""
    for other in shapes:
        if other.name == shape.name:
            return SeriesShape(shape.name, other.kind, shape.labels, shape.job, other.knob, shape.held)
    return shape


def _covered(shape: SeriesShape, shapes: list[SeriesShape]) -> bool:
    """A `_count` or `_sum` counter that a histogram of the same name already exposes."""
    for other in shapes:
        if other.kind == "histogram" and shape.name in (f"{other.name}_count", f"{other.name}_sum"):
            return True
    return False
