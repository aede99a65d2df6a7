"""A program, read from the JSON of `PUT /program`: which series to expose, and which jobs are down.

Validation is by hand (the container has no pydantic); every refusal names the field, e.g.
`series[2].rate: must be a number >= 0, not "fast"`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

KINDS = ("counter", "gauge", "histogram", "summary")
DEFAULT_JOB = "signal"
#: The Prometheus client libraries' default histogram bounds (+Inf is always added).
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: The fields each kind reads; any other field given for that kind is refused rather than ignored.
FIELDS = {
    "counter": ("rate",),
    "gauge": ("value", "slope"),
    "histogram": ("rate", "latency", "buckets"),
    "summary": ("rate", "latency"),
}
_COMMON = ("name", "kind", "labels", "job")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
_JOB = re.compile(r"^[A-Za-z0-9_.-]+\Z")
#: Labels the exposition writes itself for these kinds.
_RESERVED = {"histogram": "le", "summary": "quantile"}


class ProgramError(ValueError):
    """A program that cannot be run; the message starts with the field at fault."""


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    kind: str
    labels: tuple[tuple[str, str], ...] = ()
    job: str = DEFAULT_JOB
    rate: float = 0.0
    value: float = 0.0
    slope: float = 0.0
    latency: float = 0.0
    buckets: tuple[float, ...] = DEFAULT_BUCKETS

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What makes it the same series from one program to the next: name and labels."""
        return self.name, self.labels

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "kind": self.kind, "labels": dict(self.labels), "job": self.job}
        for name in FIELDS[self.kind]:
            value = getattr(self, name)
            body[name] = list(value) if isinstance(value, tuple) else value
        return body


@dataclass(frozen=True)
class Program:
    series: tuple[SeriesSpec, ...] = ()
    down_jobs: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"series": [series.to_json() for series in self.series], "down_jobs": list(self.down_jobs)}


def parse_program(body: object) -> Program:
    """The program in a decoded JSON body, or ProgramError naming the first bad field."""
    if not isinstance(body, dict):
        raise ProgramError(f"body: must be a JSON object with `series` and `down_jobs`, not {_shown(body)}")
    unknown = sorted(set(body) - {"series", "down_jobs"})
    if unknown:
        raise ProgramError(f"{unknown[0]}: unknown field (a program has `series` and `down_jobs`)")
    raw_series = body.get("series", [])
    if not isinstance(raw_series, list):
        raise ProgramError(f"series: must be a list, not {_shown(raw_series)}")
    series = tuple(_series(item, f"series[{index}]") for index, item in enumerate(raw_series))
    _check_consistent(series)
    raw_down = body.get("down_jobs", [])
    if not isinstance(raw_down, list):
        raise ProgramError(f"down_jobs: must be a list of job names, not {_shown(raw_down)}")
    down = tuple(_job(job, f"down_jobs[{index}]") for index, job in enumerate(raw_down))
    return Program(series, tuple(dict.fromkeys(down)))


def _series(item: object, where: str) -> SeriesSpec:
    if not isinstance(item, dict):
        raise ProgramError(f"{where}: must be an object with at least `name` and `kind`, not {_shown(item)}")
    name = item.get("name")
    if not isinstance(name, str) or not _METRIC_NAME.match(name):
        raise ProgramError(f"{where}.name: must be a metric name like `http_requests_total`, not {_shown(name)}")
    kind = item.get("kind")
    if kind not in KINDS:
        raise ProgramError(f"{where}.kind: must be one of {', '.join(KINDS)}, not {_shown(kind)}")
    for key in item:
        if key not in _COMMON and key not in FIELDS[kind]:
            known = ", ".join(FIELDS[kind])
            raise ProgramError(f"{where}.{key}: a {kind} has no field {key!r} (its fields: {known})")
    labels = _labels(item.get("labels", {}), f"{where}.labels", _RESERVED.get(kind))
    job = _job(item.get("job", DEFAULT_JOB), f"{where}.job")
    rate = _number(item.get("rate", 0.0), f"{where}.rate", minimum=0.0)
    latency = _number(item.get("latency", 0.0), f"{where}.latency", minimum=0.0)
    value = _number(item.get("value", 0.0), f"{where}.value")
    slope = _number(item.get("slope", 0.0), f"{where}.slope")
    buckets = _buckets(item.get("buckets", list(DEFAULT_BUCKETS)), f"{where}.buckets")
    return SeriesSpec(name, kind, labels, job, rate, value, slope, latency, buckets)


def _labels(raw: object, where: str, reserved: str | None) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ProgramError(f"{where}: must be an object of label names to string values, not {_shown(raw)}")
    for name, value in raw.items():
        if not _LABEL_NAME.match(name) or name.startswith("__"):
            raise ProgramError(f"{where}.{name}: not a label name (letters, digits and _, not starting with __)")
        if name == reserved:
            raise ProgramError(f"{where}.{name}: the exposition writes `{name}` itself for this kind")
        if not isinstance(value, str):
            raise ProgramError(f"{where}.{name}: label values are strings, not {_shown(value)}")
    return tuple(sorted(raw.items()))


def _job(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not _JOB.match(raw):
        raise ProgramError(f"{where}: a job name is letters, digits, `_`, `.` and `-` (it is a URL path), "
                           f"not {_shown(raw)}")
    return raw


def _number(raw: object, where: str, minimum: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or (
            minimum is not None and raw < minimum):
        bound = f" >= {minimum:g}" if minimum is not None else ""
        raise ProgramError(f"{where}: must be a finite number{bound}, not {_shown(raw)}")
    return float(raw)


def _buckets(raw: object, where: str) -> tuple[float, ...]:
    if not isinstance(raw, list) or not raw:
        raise ProgramError(f"{where}: must be a non-empty list of bucket bounds (+Inf is added), not {_shown(raw)}")
    bounds = tuple(_number(bound, f"{where}[{index}]") for index, bound in enumerate(raw))
    for index in range(1, len(bounds)):
        if bounds[index] <= bounds[index - 1]:
            raise ProgramError(f"{where}[{index}]: bounds must increase, and {bounds[index]:g} follows "
                               f"{bounds[index - 1]:g}")
    return bounds


def _check_consistent(series: tuple[SeriesSpec, ...]) -> None:
    """One series per name and labels, and one kind per name (a name has one `# TYPE`)."""
    first: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    kinds: dict[str, tuple[int, str]] = {}
    for index, spec in enumerate(series):
        seen = first.setdefault(spec.key, index)
        if seen != index:
            raise ProgramError(f"series[{index}]: {spec.name} with labels {dict(spec.labels)} is also series[{seen}]; "
                               "each series appears once")
        seen_kind = kinds.setdefault(spec.name, (index, spec.kind))
        if seen_kind[1] != spec.kind:
            raise ProgramError(f"series[{index}].kind: {spec.name} is a {seen_kind[1]} in series[{seen_kind[0]}] and "
                               f"a {spec.kind} here; a metric name has one kind")


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."
