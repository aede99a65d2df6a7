"""The host's side of the signal source: programs of series, the client that sends them, and the
scrape configs that make Prometheus read them.

A program says which series the signal source exposes (counters at a rate, gauges at a value,
histograms and summaries of observations at a latency) and which jobs' scrapes fail. The models
refuse what the service would refuse (harness/signal_source/program.py), so a scenario's mistake is
reported with its file and line before any container starts.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.errors import StackError

SeriesKind = Literal["counter", "gauge", "histogram", "summary"]
DEFAULT_JOB = "signal"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: The fields each kind reads (besides name, kind, labels and job).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "counter": ("rate",),
    "gauge": ("value", "slope"),
    "histogram": ("rate", "latency", "buckets"),
    "summary": ("rate", "latency"),
}
_RESERVED_LABEL = {"histogram": "le", "summary": "quantile"}
_JOB_PATTERN = r"^[A-Za-z0-9_.-]+$"
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
SeriesKey = tuple[str, tuple[tuple[str, str], ...]]


class Series(BaseModel):
    """One series the signal source exposes, on the metrics path of `job`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    kind: SeriesKind
    labels: dict[str, str] = Field(default_factory=dict)
    job: str = Field(default=DEFAULT_JOB, pattern=_JOB_PATTERN, description="the job whose metrics path exposes it")
    rate: float = Field(default=0.0, ge=0, description="counter: increase per second; histogram/summary: observations per second")
    value: float = Field(default=0.0, description="gauge: its value when programmed")
    slope: float = Field(default=0.0, description="gauge: change per second")
    latency: float = Field(default=0.0, ge=0, description="histogram/summary: seconds every observation takes")
    buckets: tuple[float, ...] = Field(default=DEFAULT_BUCKETS, min_length=1, description="histogram: `le` bounds (+Inf added)")

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name in labels:
            if not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
                raise ValueError(f"{name!r} is not a label name (letters, digits and _, not starting with __ or a digit)")
        return labels

    @field_validator("buckets")
    @classmethod
    def _increasing(cls, buckets: tuple[float, ...]) -> tuple[float, ...]:
        for before, after in zip(buckets, buckets[1:]):
            if after <= before:
                raise ValueError(f"bucket bounds must increase, and {after:g} follows {before:g}")
        return buckets

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Series:
        given = self.model_fields_set - {"name", "kind", "labels", "job"}
        for name in sorted(given - set(KIND_FIELDS[self.kind])):
            raise ValueError(f"a {self.kind} has no field {name!r} (its fields: {', '.join(KIND_FIELDS[self.kind])})")
        reserved = _RESERVED_LABEL.get(self.kind)
        if reserved in self.labels:
            raise ValueError(f"label {reserved!r}: the signal source writes it itself for a {self.kind}")
        return self

    @property
    def key(self) -> SeriesKey:
        return self.name, tuple(sorted(self.labels.items()))

    def body(self) -> dict[str, Any]:
        """The service's JSON for it: the common fields and the ones its kind reads."""
        body: dict[str, Any] = {"name": self.name, "kind": self.kind, "labels": dict(self.labels), "job": self.job}
        for name in KIND_FIELDS[self.kind]:
            value = getattr(self, name)
            body[name] = list(value) if isinstance(value, tuple) else value
        return body

    def describe(self) -> str:
        """`node_cpu_seconds_total counter at 3/s`, `queue_depth gauge at 40 (+2/s)`, ..."""
        labels = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items())) + "}" if self.labels else ""
        what = f"{self.name}{labels} {self.kind}"
        if self.kind == "counter":
            return f"{what} at {self.rate:g}/s"
        if self.kind == "gauge":
            return f"{what} at {self.value:g}" + (f" ({self.slope:+g}/s)" if self.slope else "")
        return f"{what} at {self.rate:g}/s taking {self.latency:g} s"


class SignalProgram(BaseModel):
    """Everything the signal source exposes at one time: its series, and the jobs whose scrape fails."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    series: tuple[Series, ...] = ()
    down_jobs: tuple[str, ...] = ()

    @field_validator("down_jobs")
    @classmethod
    def _job_names(cls, jobs: tuple[str, ...]) -> tuple[str, ...]:
        for job in jobs:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", job):
                raise ValueError(f"{job!r} is not a job name (letters, digits, `_`, `.` and `-`: it is a URL path)")
        return tuple(dict.fromkeys(jobs))

    @model_validator(mode="after")
    def _consistent(self) -> SignalProgram:
        first: dict[SeriesKey, int] = {}
        kinds: dict[str, tuple[int, str]] = {}
        for index, series in enumerate(self.series):
            seen = first.setdefault(series.key, index)
            if seen != index:
                raise ValueError(f"series[{index}] ({series.name} {series.labels}) is also series[{seen}]; each series "
                                 "appears once")
            seen_index, seen_kind = kinds.setdefault(series.name, (index, series.kind))
            if seen_kind != series.kind:
                raise ValueError(f"series[{index}]: {series.name} is a {seen_kind} in series[{seen_index}] and a "
                                 f"{series.kind} here; a metric name has one kind")
        return self

    @property
    def jobs(self) -> list[str]:
        """Every job the program names (its series' and its down jobs), in order."""
        return list(dict.fromkeys([*(series.job for series in self.series), *self.down_jobs]))

    def body(self) -> dict[str, Any]:
        return {"series": [series.body() for series in self.series], "down_jobs": list(self.down_jobs)}

    def describe(self) -> str:
        """`2 series (node_cpu_seconds_total counter at 3/s, ...), job node down`."""
        parts = [f"{len(self.series)} series ({', '.join(s.describe() for s in self.series)})" if self.series
                 else "no series"]
        if self.down_jobs:
            parts.append(f"job{'s' if len(self.down_jobs) > 1 else ''} {', '.join(self.down_jobs)} down")
        return ", ".join(parts)


class SignalSourceClient:
    """Programs the signal source at `base_url`; every failure is a StackError naming the URL and the answer."""

    def __init__(self, base_url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def program(self, program: SignalProgram) -> int:
        """Replace the whole program; returns how many series the source now exposes."""
        answer = self._request("PUT", "/program", program.body()).json()
        return int(answer["series"])

    def clear(self) -> None:
        """No series, no job down."""
        self._request("DELETE", "/program")

    def current(self) -> SignalProgram:
        return SignalProgram.model_validate(self._request("GET", "/program").json())

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise StackError(f"signal source at {self.base_url}{path}: {method} failed: {error}") from error
        if response.status_code != 200:
            try:
                said = str(response.json().get("error", response.text))
            except ValueError:
                said = response.text
            raise StackError(f"signal source at {self.base_url}{path}: {method} answered HTTP {response.status_code}: "
                             f"{said[:300]}")
        return response


def scrape_configs(jobs: list[str], target: str, scrape_interval: str | None = None) -> list[dict[str, Any]]:
    """Prometheus `scrape_configs` entries that scrape each of `jobs` from the signal source at `target` (host:port).

    honor_labels keeps the `job` and `instance` labels a programmed series carries itself, as a
    federation or pushgateway job would, so a team's rules matching `{job="node"}` see theirs.
    """
    configs = []
    for job in dict.fromkeys(jobs):
        entry: dict[str, Any] = {
            "job_name": job, "metrics_path": f"/metrics/{job}", "honor_labels": True,
            "static_configs": [{"targets": [target]}],
        }
        if scrape_interval is not None:
            entry["scrape_interval"] = scrape_interval
        configs.append(entry)
    return configs
