"""What fault kinds do to the running app beyond a per-request decision, and how each is undone.

``Effects.start(fault)`` begins a kind's work (a holder on the pool, a producer, an allocation, a
gauge set) after stopping whatever the same kind was doing, so setting a kind twice replaces it.
``Effects.stop(kind)`` undoes it. Kinds decided request by request or job by job (errors,
latency, slow_query, cache_miss, job_failures, slow_jobs) need no work here: FaultState answers
for them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .business import Business
from .cache import FILLER_BATCH_BYTES, REDIS_ERRORS, Cache, describe_error
from .db import Database
from .faults import (
    BusinessGaugeFault,
    BusinessRateFault,
    CacheFillFault,
    CacheFlushFault,
    Fault,
    FaultFailed,
    FaultState,
    MemoryLeakFault,
    PoolHoldFault,
    QueueBacklogFault,
)
from .jobs import JobQueue
from .memory import Leak
from .tasks import Tasks, every
from .throttle import ThrottledLog

log = logging.getLogger("sample_app.effects")

#: How often a leak grows and a business counter is driven.
TICK_SECONDS = 0.1
#: How often a cache fill measures Redis and tops it up.
FILL_CHECK_SECONDS = 0.5


class Effects:
    def __init__(
        self, state: FaultState, db: Database, cache: Cache, queue: JobQueue, business: Business, pool_max_size: int
    ) -> None:
        self._state = state
        self._db = db
        self._cache = cache
        self._queue = queue
        self._business = business
        self._pool_max_size = pool_max_size
        self._tasks = Tasks()
        self._warnings = ThrottledLog(log)
        self._leak = Leak()
        #: Live numbers per kind for GET /control/faults (connections held, jobs produced...).
        self._progress: dict[str, dict[str, Any]] = {}

    async def start(self, fault: Fault) -> dict[str, Any]:
        """Cause ``fault`` (after undoing its kind's earlier one). Returns what a one-shot fault did.

        Raises FaultFailed when it cannot be caused right now (Redis does not answer a flush).
        """
        await self.stop(fault.kind)
        if isinstance(fault, CacheFlushFault):
            return {"keys_flushed": await self._cache.flush()}
        if isinstance(fault, PoolHoldFault):
            await self._start_pool_hold(fault)
        elif isinstance(fault, QueueBacklogFault):
            progress = self._progress.setdefault(fault.kind, {"produced": 0})
            await self._tasks.start(
                fault.kind,
                lambda stop: self._queue.produce(
                    fault.produce_per_second, stop, lambda produced: progress.update(produced=produced)
                ),
            )
        elif isinstance(fault, MemoryLeakFault):
            await self._start_memory_leak(fault)
        elif isinstance(fault, CacheFillFault):
            await self._start_cache_fill(fault)
        elif isinstance(fault, BusinessGaugeFault):
            self._business.set_gauge(fault.gauge, fault.value)
        elif isinstance(fault, BusinessRateFault):
            await self._start_business_rate(fault)
        return {}

    async def stop(self, kind: str) -> None:
        """Undo what ``kind`` was doing; nothing happens when it was doing nothing.

        Raises FaultFailed when undoing needs Redis and it does not answer (the filler of a cache
        fill stays; the next stop tries again).
        """
        await self._tasks.stop(kind)
        self._progress.pop(kind, None)
        if kind == MemoryLeakFault.kind:
            freed = self._leak.free()
            if freed:
                log.info("memory_leak: freed %d MB", freed)
        elif kind == CacheFillFault.kind:
            try:
                removed = await self._cache.remove_filler()
            except REDIS_ERRORS as error:
                raise FaultFailed(
                    f"fault 'cache_fill': Redis did not delete the filler keys: {describe_error(error)}"
                ) from error
            if removed:
                log.info("cache_fill: deleted %d filler keys", removed)
        elif kind == BusinessGaugeFault.kind:
            self._business.restore_gauges()
        elif kind == BusinessRateFault.kind:
            self._business.stop_driving()

    async def stop_all(self) -> None:
        """Undo every kind, even when one fails; then raise the first failure (FaultFailed)."""
        failures: list[FaultFailed] = []
        for kind in self._state.kinds:
            try:
                await self.stop(kind)
            except FaultFailed as error:
                failures.append(error)
        if failures:
            raise failures[0]

    def progress(self) -> dict[str, dict[str, Any]]:
        return {kind: dict(numbers) for kind, numbers in sorted(self._progress.items())}

    async def _start_pool_hold(self, fault: PoolHoldFault) -> None:
        wanted = fault.to_hold(self._pool_max_size)
        progress = self._progress.setdefault(fault.kind, {"held": 0, "wanted": wanted})

        async def hold(release: asyncio.Event) -> None:
            await self._db.hold(wanted, fault.seconds, release, lambda held: progress.update(held=held))
            if not release.is_set() and self._state.expire(fault):
                # The time is up: the fault is over, as if it had been deleted.
                self._progress.pop(fault.kind, None)
                log.info("fault pool_hold off: its %g s are up", fault.seconds)

        await self._tasks.start(fault.kind, hold)

    async def _start_memory_leak(self, fault: MemoryLeakFault) -> None:
        progress = self._progress.setdefault(fault.kind, {"held_megabytes": 0})

        async def grow(elapsed: float) -> bool:
            target = fault.target_megabytes(elapsed)
            self._leak.grow_to(target)
            progress["held_megabytes"] = self._leak.megabytes
            return target >= fault.cap_megabytes  # at the cap: hold, grow no more

        await self._tasks.start(fault.kind, lambda stop: every(TICK_SECONDS, stop, grow))

    async def _start_cache_fill(self, fault: CacheFillFault) -> None:
        try:
            used, maximum = await self._cache.memory()
        except REDIS_ERRORS as error:
            raise FaultFailed(f"fault 'cache_fill': Redis did not answer INFO memory: {describe_error(error)}") from error
        if maximum == 0:
            raise FaultFailed("fault 'cache_fill': Redis has no maxmemory set, so there is no fraction of it to fill")
        progress = self._progress.setdefault(fault.kind, {"used_bytes": used, "max_bytes": maximum, "filler_keys": 0})

        async def top_up(elapsed: float) -> None:
            try:
                # Bounded, so a Redis that evicts as fast as it is filled cannot hold the loop.
                for _ in range(64):
                    used, maximum = await self._cache.memory()
                    progress.update(used_bytes=used, max_bytes=maximum)
                    missing = fault.bytes_to_add(used, maximum)
                    if not missing:
                        return
                    progress["filler_keys"] += await self._cache.add_filler(min(missing, FILLER_BATCH_BYTES))
            except REDIS_ERRORS as error:
                self._warnings.warning("cache_fill", f"cache_fill: Redis refused filler: {describe_error(error)}")

        await self._tasks.start(fault.kind, lambda stop: every(FILL_CHECK_SECONDS, stop, top_up))

    async def _start_business_rate(self, fault: BusinessRateFault) -> None:
        progress = self._progress.setdefault(fault.kind, {"added": 0})

        async def drive(elapsed: float) -> None:
            count = fault.due(elapsed, progress["added"])
            if count:
                self._business.add(fault.counter, count)
                progress["added"] += count

        await self._tasks.start(fault.kind, lambda stop: every(TICK_SECONDS, stop, drive))
