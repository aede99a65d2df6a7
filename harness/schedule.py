"""When each fault of a scenario goes on and off, and which combinations make sense.

Faults combine freely across kinds and targets. Two faults of the same kind on the same target
must not overlap in time: the second would replace the first, and switching the first off would
silently end the second too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from harness.timescale import TimeScale


class Scheduled(Protocol):
    at: timedelta
    duration: timedelta

    @property
    def fault(self) -> object: ...


@dataclass(frozen=True)
class FaultEvent:
    """At `t` (unix seconds), switch `scheduled.fault` on or off."""

    t: float
    action: Literal["start", "stop"]
    scheduled: Scheduled


def plan(faults: list[Scheduled], origin: float, scale: TimeScale) -> list[FaultEvent]:
    """Every switch, in time order; at the same moment, faults go off before others come on."""
    events = []
    for scheduled in faults:
        start = origin + scale.compress_seconds(scheduled.at.total_seconds())
        end = start + scale.compress_seconds(scheduled.duration.total_seconds())
        events += [FaultEvent(start, "start", scheduled), FaultEvent(end, "stop", scheduled)]
    return sorted(events, key=lambda event: (event.t, event.action == "start"))


def identity(fault: object) -> tuple[str, str]:
    """What a fault acts on: its kind and its target (service, receiver kind or the app)."""
    kind = str(getattr(fault, "kind", type(fault).__name__))
    if kind == "signal":  # each signal fault replaces the signal source's whole program
        return kind, "the signal source"
    target = getattr(fault, "service", None) or getattr(fault, "receiver_kind", None) or getattr(fault, "matchers", None) or "app"
    return kind, str(target)


def overlapping(faults: list[Scheduled]) -> list[tuple[int, int]]:
    """Index pairs of faults with the same identity whose windows overlap."""
    clashes = []
    for first in range(len(faults)):
        for second in range(first + 1, len(faults)):
            a, b = faults[first], faults[second]
            if identity(a.fault) != identity(b.fault):
                continue
            if a.at < b.at + b.duration and b.at < a.at + a.duration:
                clashes.append((first, second))
    return clashes
