"""Input series for one rule under the clock model: what its selectors name, a baseline, a fault.

A scenario pushes one of the rule's series (the target) while the others stay at their baseline.
Every series is written as promtool `input_series` values at the run's own (compressed) scrape
interval, following the clock model: a counter advances at the same per-second rate at every
scale, a gauge holds the same level or moves at the same per-second slope, and periodic events
(a flapping level, counter resets) keep their real period in seconds. The fault window is placed
by sample index, so it covers the same share of the timeline at every scale.

How a series is pushed depends on what reads it: a counter under `rate`/`increase` gets a new
rate, a gauge under `deriv`/`predict_linear`/`delta` a slope (a one-off step there is no rate,
and the clock model does not compress it), a gauge under `changes` flaps, one under `resets`
resets; a plain level steps, ramps or is gone (a stale marker, then no samples).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import promql_parser

from harness.compression.lexer import Token

Shape = Literal["rate", "level", "ramp-up", "ramp-down", "flap", "resets", "frozen", "gone"]
Reading = Literal["counter", "slope", "changes", "resets", "level", "clock"]

COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase"})
SLOPE_FUNCTIONS = frozenset({"deriv", "predict_linear", "delta", "idelta"})
SHAPES: dict[Reading, tuple[Shape, ...]] = {
    "counter": ("rate", "gone"),
    "slope": ("ramp-up", "ramp-down", "gone"),
    "changes": ("flap", "gone"),
    "resets": ("resets", "gone"),
    "level": ("level", "gone"),
    "clock": ("frozen", "gone"),
}
#: Upper bounds of the buckets a generated histogram has.
BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
#: Magnitudes every scenario family tries; the rule's own numbers add theirs around each threshold.
#: Not round: a round rate times a round window or ratio lands exactly on a round threshold, a tie
#: that floating point decides, differently per scale.
MAGNITUDES = (0.0, 1.07e-4, 0.0123, 2.17, 1.13e6)
#: Period of a flapping level or of counter resets, in real scrape intervals (at ×1 a period needs two
#: scrapes to be seen); in seconds it is kept at every scale, as the clock model keeps event rates.
EVENT_PERIODS = (2, 8, 40)
COMMON_LABELS = {"job": "differential", "instance": "host-1"}
BASELINE = 1.0


class NoInputs(Exception):
    """No generated series can satisfy the rule's selectors; the message says which and why."""


@dataclass(frozen=True)
class Series:
    """One input series: its labels (with `__name__`) and what reads it."""

    labels: tuple[tuple[str, str], ...]
    reading: Reading

    @property
    def text(self) -> str:
        labels = dict(self.labels)
        name = labels.pop("__name__")
        inner = ", ".join(f'{key}="{_escape(value)}"' for key, value in sorted(labels.items()))
        return f"{name}{{{inner}}}"


@dataclass(frozen=True)
class Scenario:
    """Push `target` (an index into the rule's series) into `shape` at `magnitude` during the fault."""

    target: int
    shape: Shape
    magnitude: float
    baseline: float = BASELINE

    @property
    def name(self) -> str:
        return f"t{self.target}-{self.shape}-{self.magnitude:g}-b{self.baseline:g}"


@dataclass(frozen=True)
class Timeline:
    """Sample counts of the three phases (the same at every scale) and the compressed sample interval."""

    baseline: int
    fault: int
    after: int
    interval_seconds: float  # at the scale being written

    @property
    def samples(self) -> int:
        return self.baseline + self.fault + self.after


@dataclass
class _Found:
    series: list[Series] = field(default_factory=list)


def series_of(trees: list[Any], strings: list[list[Token]], produced: set[str]) -> list[Series]:
    """The series the rules' selectors name (recorded names excepted), one per distinct selector."""
    found: dict[tuple[tuple[str, str], ...], Series] = {}
    for tree, tokens in zip(trees, strings):
        values = [_unquote(token.text) for token in tokens if token.kind == "string"]
        for selector, reading in _selectors(tree, "level"):
            for series in _satisfying(selector, reading, values):
                if dict(series.labels)["__name__"] not in produced:
                    found.setdefault(series.labels, series)
    return list(found.values())


def scenarios_for(series: list[Series], numbers: list[float], scrape_seconds: float) -> list[Scenario]:
    """Fire and stay-silent candidates: each target, each shape its reading allows, each magnitude."""
    near = {n * f for n in numbers if n > 0 for f in (0.95, 1.05)}
    near |= {n * f for n in numbers if n > 1 for f in (0.0095, 0.0105)}  # a percentage's fraction
    # A magnitude equal to a threshold is a tie that floating point decides, differently per scale.
    magnitudes = sorted((set(MAGNITUDES) | near) - (set(numbers) - {0.0}))[:16]
    chosen: list[Scenario] = []
    targets = {series_index: item for series_index, item in enumerate(series)}
    for index, item in targets.items():
        for shape in SHAPES[item.reading]:
            if shape in ("gone", "frozen"):
                chosen.append(Scenario(index, shape, 0.0))
            elif shape in ("flap", "resets"):
                chosen += [Scenario(index, shape, period * scrape_seconds) for period in EVENT_PERIODS]
            else:
                # A level's baseline sits on either side of the rule's thresholds, so that some faults
                # cross them and some do not.
                baselines = [0.0] if shape == "rate" else sorted({BASELINE, 0.0, 2 * max([1.0, *numbers])})
                chosen += [Scenario(index, shape, m, b) for b in baselines for m in magnitudes]
    return chosen


def values(series: Series, scenario: Scenario, target: bool, timeline: Timeline) -> str:
    """promtool `values` for one series (a bucket family is one series per `le`, see `expand`)."""
    step = timeline.interval_seconds
    out: list[str] = []
    level = 0.0
    reset_base = 0.0
    for sample in range(timeline.samples):
        now = sample * step
        in_fault = target and timeline.baseline <= sample < timeline.baseline + timeline.fault
        since = (sample - timeline.baseline) * step
        shape = scenario.shape if target else "level"
        if series.reading in ("counter", "resets") or (target and shape in ("rate", "resets")):
            rate = scenario.magnitude if in_fault and shape == "rate" else (scenario.baseline if target else BASELINE)
            if in_fault and shape == "gone":
                out.append("stale" if sample == timeline.baseline else "_")
                continue
            if sample:
                level += rate * step
            if in_fault and shape == "resets" and int(since // scenario.magnitude) != int((since - step) // scenario.magnitude):
                reset_base = level
            out.append(_number(level - reset_base))
            continue
        if series.reading == "clock":  # a timestamp the target stops updating during the fault
            frozen = in_fault and shape == "frozen"
            out.append(_number(round(min(now, timeline.baseline * step) if frozen else now, 3)))
            continue
        if not in_fault:
            base = scenario.baseline if target else BASELINE
            if target and sample >= timeline.baseline + timeline.fault and shape in ("ramp-up", "ramp-down"):
                base = _ramp(scenario, timeline.fault * step)
            out.append(_number(base))
        elif shape == "gone":
            out.append("stale" if sample == timeline.baseline else "_")
        elif shape == "level":
            out.append(_number(scenario.magnitude))
        elif shape == "flap":
            out.append(_number(BASELINE + 1 if int(since // scenario.magnitude) % 2 else BASELINE))
        else:
            out.append(_number(_ramp(scenario, since)))
    return " ".join(out)


def expand(series: Series, scenario: Scenario, target: bool, timeline: Timeline) -> list[tuple[str, str]]:
    """(series text, values) pairs; a bucket series without `le` becomes a histogram, observations at the magnitude."""
    labels = dict(series.labels)
    if not labels["__name__"].endswith("_bucket") or "le" in labels:
        return [(series.text, values(series, scenario, target, timeline))]
    family = []
    for bound in BUCKETS:
        above = float(bound) >= scenario.magnitude
        bucket_scenario = Scenario(scenario.target, scenario.shape, scenario.magnitude if above else 0.0, scenario.baseline)
        bucket = Series(tuple(sorted({**labels, "le": bound}.items())), series.reading)
        family.append((bucket.text, values(bucket, bucket_scenario, target, timeline)))
    return family


def _ramp(scenario: Scenario, seconds: float) -> float:
    slope = scenario.magnitude if scenario.shape == "ramp-up" else -scenario.magnitude
    return scenario.baseline + slope * seconds


def _selectors(node: Any, reading: Reading) -> list[tuple[Any, Reading]]:
    if isinstance(node, promql_parser.VectorSelector):
        return [(node, reading)]
    if isinstance(node, promql_parser.Call):
        name = node.func.name
        inner: Reading = (
            "counter" if name in COUNTER_FUNCTIONS else "slope" if name in SLOPE_FUNCTIONS
            else "changes" if name == "changes" else "resets" if name == "resets" else reading
        )
        return [found for argument in node.args for found in _selectors(argument, inner)]
    if isinstance(node, promql_parser.MatrixSelector):
        return _selectors(node.vector_selector, reading)
    found: list[tuple[Any, Reading]] = []
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "-" and _is_time(node.lhs):
        return _selectors(node.rhs, "clock")
    for name in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, name, None)
        if child is not None and type(child).__module__ == promql_parser.__name__:
            found += _selectors(child, reading)
    return found


def _is_time(node: Any) -> bool:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return isinstance(node, promql_parser.Call) and node.func.name == "time"


def _satisfying(selector: Any, reading: Reading, strings: list[str]) -> list[Series]:
    labels = dict(COMMON_LABELS)
    name = selector.name
    for matcher in selector.matchers.matchers:
        value = _value(matcher.value, strings)
        op = str(matcher.op).rsplit(".", 1)[-1]
        candidate = _candidate(op, value, labels.get(matcher.name))
        if candidate is None:
            raise NoInputs(f"no label value satisfies {matcher.name} {op} {value!r}")
        if matcher.name == "__name__":
            name = candidate
        elif candidate == "" and matcher.name in labels:
            del labels[matcher.name]
        elif candidate != "":
            labels[matcher.name] = candidate
    if not name:
        raise NoInputs("a selector names no metric")
    if name.endswith("_bucket") and reading == "level":
        reading = "counter"
    return [Series(tuple(sorted({**labels, "__name__": name}.items())), reading)]


def _value(placeholder: str, strings: list[str]) -> str:
    match = re.fullmatch(r"s(\d+)", placeholder)
    return strings[int(match.group(1))] if match and int(match.group(1)) < len(strings) else placeholder


def _candidate(op: str, value: str, current: str | None) -> str | None:
    if op == "Equal":
        return value
    if op == "NotEqual":
        return current if current is not None and current != value else ("other" if value != "other" else "another")
    pattern = _compiled(value)
    if op == "Re":
        if pattern is None:
            return None
        for guess in _guesses(value, current):
            if pattern.fullmatch(guess):
                return guess
        return None
    for guess in (current, "other", "x", ""):  # NotRe
        if guess is not None and (pattern is None or not pattern.fullmatch(guess)):
            return guess
    return None


def _guesses(regex: str, current: str | None) -> list[str]:
    first = regex.split("|")[0].replace("\\d", "0").replace("\\w", "a").replace("\\s", " ")
    plain = re.sub(r"\\(.)", r"\1", re.sub(r"\(\?:|[()^$]|\.\*|\?|\+", "", first))
    simple = re.sub(r"\[([^\]])[^\]]*\]", r"\1", first)
    simple = re.sub(r"\\(.)", r"\1", re.sub(r"[()^$?]|\.\*", "", simple)).replace(".", "0").replace("+", "")
    guesses = [current or "", plain, plain.replace(".", "0"), simple, "500", "5xx", "error", "x", ""]
    return [guess for guess in guesses if guess is not None]


def _compiled(regex: str) -> re.Pattern[str] | None:
    try:
        return re.compile(regex)
    except re.error:
        return None


def _unquote(text: str) -> str:
    if text.startswith("`"):
        return text[1:-1]
    try:
        return str(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return text[1:-1]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) or abs(value) >= 1e15 else str(int(value))
