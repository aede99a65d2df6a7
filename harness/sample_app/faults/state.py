"""The registry of fault kinds and the faults active right now, with the per-request decisions."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from .background import (
    BusinessGaugeFault,
    BusinessRateFault,
    CacheFillFault,
    CacheFlushFault,
    MemoryLeakFault,
    PoolHoldFault,
    QueueBacklogFault,
)
from .per_request import CacheMissFault, ErrorFault, JobFailureFault, LatencyFault, SlowJobFault, SlowQueryFault
from .spec import Fault, FaultSpecError, FaultUnavailable, UnknownFaultKind

KindT = TypeVar("KindT")

#: Every fault kind the app knows, by the name used in URLs and the harness's scenario files.
FAULT_KINDS: dict[str, type[Fault]] = {
    kind.kind: kind
    for kind in (
        ErrorFault,
        LatencyFault,
        PoolHoldFault,
        SlowQueryFault,
        CacheFlushFault,
        CacheFillFault,
        CacheMissFault,
        QueueBacklogFault,
        JobFailureFault,
        SlowJobFault,
        MemoryLeakFault,
        BusinessGaugeFault,
        BusinessRateFault,
    )
}


class FaultState:
    """The faults active right now: at most one per kind; setting a kind again replaces it.

    One-shot kinds (a cache flush) are never active: the last one is remembered with its time.
    """

    def __init__(
        self,
        kinds: Mapping[str, type[Fault]] = FAULT_KINDS,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kinds = dict(kinds)
        self._draw = draw
        self._clock = clock
        self._active: dict[str, Fault] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self._missing: dict[str, str] = {}

    @property
    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def without(self, need: str, reason: str) -> None:
        """Refuse every kind that needs ``need`` from now on, with ``reason`` as the explanation."""
        self._missing[need] = reason

    def parse(self, kind: str, body: object) -> Fault:
        """Validate ``body`` for ``kind``. Raises FaultSpecError (incl. UnknownFaultKind) or FaultUnavailable."""
        fault_class = self._kind(kind)
        fault = fault_class.from_body(body)
        for need in sorted(fault_class.needs):
            if need in self._missing:
                raise FaultUnavailable(f"fault {kind!r} cannot be caused by this app: {self._missing[need]}")
        return fault

    def activate(self, fault: Fault, outcome: Mapping[str, Any] | None = None) -> None:
        """Make ``fault`` active, replacing its kind; a one-shot fault is remembered as the last instead."""
        if fault.one_shot:
            at = datetime.fromtimestamp(self._clock(), timezone.utc).isoformat(timespec="milliseconds")
            self._last[fault.kind] = {"at": at.replace("+00:00", "Z"), **fault.describe(), **(outcome or {})}
        else:
            self._active[fault.kind] = fault

    def set(self, kind: str, body: object) -> Fault:
        """Validate ``body`` for ``kind`` and make it active (``parse`` then ``activate``)."""
        fault = self.parse(kind, body)
        self.activate(fault)
        return fault

    def get(self, kind: str) -> Fault | None:
        return self._active.get(kind)

    def clear(self, kind: str) -> bool:
        """Switch one kind off. Returns whether it was on."""
        self._kind(kind)
        return self._active.pop(kind, None) is not None

    def expire(self, fault: Fault) -> bool:
        """Switch ``fault`` off if it is still the active one of its kind (not if it was replaced since)."""
        if self._active.get(fault.kind) is fault:
            del self._active[fault.kind]
            return True
        return False

    def clear_all(self) -> list[str]:
        """Switch every fault off. Returns the kinds that were on."""
        cleared = sorted(self._active)
        self._active.clear()
        return cleared

    def describe(self) -> dict[str, dict[str, Any]]:
        return {kind: fault.describe() for kind, fault in sorted(self._active.items())}

    def last(self) -> dict[str, dict[str, Any]]:
        """The last time each one-shot kind was done, and what it did."""
        return {kind: dict(outcome) for kind, outcome in sorted(self._last.items())}

    def injected_status(self) -> int | None:
        """For one /api request: the status the errors fault makes it answer, or None to serve it."""
        fault = self._active_as(ErrorFault)
        return fault.decide(self._draw()) if fault else None

    def latency_seconds(self) -> float | None:
        """For one /api request: how long the latency fault makes it wait, or None."""
        fault = self._active_as(LatencyFault)
        return fault.decide(self._draw(), self._draw()) if fault else None

    def slow_query_seconds(self) -> float | None:
        """For one request's database work: the ``pg_sleep`` the slow_query fault adds, or None."""
        fault = self._active_as(SlowQueryFault)
        return fault.decide(self._draw()) if fault else None

    def cache_miss_forced(self) -> bool:
        """For one cache lookup: whether the cache_miss fault makes it skip Redis."""
        fault = self._active_as(CacheMissFault)
        return fault.decide(self._draw()) if fault else False

    def job_extra_seconds(self) -> float | None:
        """For one job: how much longer the slow_jobs fault makes it take, or None."""
        fault = self._active_as(SlowJobFault)
        return fault.decide(self._draw()) if fault else None

    def job_fails(self) -> bool:
        """For one job: whether the job_failures fault makes it fail."""
        fault = self._active_as(JobFailureFault)
        return fault.decide(self._draw()) if fault else False

    def _active_as(self, kind: type[KindT]) -> KindT | None:
        fault = self._active.get(getattr(kind, "kind"))
        return fault if isinstance(fault, kind) else None

    def _kind(self, kind: str) -> type[Fault]:
        try:
            return self._kinds[kind]
        except KeyError:
            raise UnknownFaultKind(
                f"unknown fault kind {kind!r}; known kinds: {', '.join(self.kinds) or 'none'}"
            ) from None


def decode_body(kind: str, raw: bytes) -> object:
    """The JSON value of a control request's body, or FaultSpecError saying why it is not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FaultSpecError(f"fault {kind!r}: the body is not valid JSON ({error})") from None
