"""The running program: every series' value at any moment, carried across reprogramming.

A counter, a histogram or a summary is a set of accumulators (`base + per_second * elapsed`).
When a new program keeps a series (same name and labels, same kind, same samples), its
accumulators go on from the value they had reached, so Prometheus's rate() sees no reset; a
series new to the program starts at 0, so its first increase is visible to rate() too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .program import Program, SeriesSpec

Clock = Callable[[], float]
QUANTILES = ("0.5", "0.9", "0.95", "0.99")
INF = float("inf")


@dataclass(frozen=True)
class Running:
    """One series of the program, from the moment `since` it was programmed."""

    spec: SeriesSpec
    since: float
    #: Accumulated value per sample (see `rates`) at `since`.
    base: dict[str, float]

    def value(self, sample: str, now: float) -> float:
        return self.base[sample] + rates(self.spec)[sample] * max(0.0, now - self.since)

    def gauge(self, now: float) -> float:
        return self.spec.value + self.spec.slope * max(0.0, now - self.since)


def rates(spec: SeriesSpec) -> dict[str, float]:
    """Each accumulated sample of a series and how much it grows per second.

    Histogram samples are `bucket:<bound>`: every observation takes `latency`, so exactly the
    buckets whose bound is >= latency count it.
    """
    if spec.kind == "counter":
        return {"": spec.rate}
    if spec.kind == "gauge":
        return {}
    totals = {"sum": spec.rate * spec.latency, "count": spec.rate}
    if spec.kind == "summary":
        return totals
    buckets = {f"bucket:{bound!r}": spec.rate if bound >= spec.latency else 0.0 for bound in (*spec.buckets, INF)}
    return {**buckets, **totals}


class Signals:
    """The program now in force, safe to replace while scrapes read it."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._program = Program()
        self._running: dict[tuple[str, tuple[tuple[str, str], ...]], Running] = {}

    def replace(self, program: Program) -> None:
        with self._lock:
            now = self._clock()
            running = {}
            for spec in program.series:
                running[spec.key] = Running(spec, now, self._carried(spec, now))
            self._program, self._running = program, running

    def clear(self) -> None:
        self.replace(Program())

    def program(self) -> Program:
        with self._lock:
            return self._program

    def is_down(self, job: str) -> bool:
        with self._lock:
            return job in self._program.down_jobs

    def snapshot(self, job: str) -> tuple[list[Running], float]:
        """The series `job` exposes, in program order, and the moment to read them at."""
        with self._lock:
            return [entry for entry in self._running.values() if entry.spec.job == job], self._clock()

    def _carried(self, spec: SeriesSpec, now: float) -> dict[str, float]:
        samples = rates(spec)
        before = self._running.get(spec.key)
        if before is None or before.spec.kind != spec.kind or set(rates(before.spec)) != set(samples):
            return dict.fromkeys(samples, 0.0)
        return {sample: before.value(sample, now) for sample in samples}
