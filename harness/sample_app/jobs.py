"""The job queue: a Redis list, a steady producer, and a fixed pool of asyncio workers.

Producers LPUSH, workers BRPOP. A job "runs" for JOB_SECONDS ± 50 % (an asyncio sleep: the
server stays responsive), longer under the slow_jobs fault, and then succeeds, or fails when
the job_failures fault says so; a failed job is counted and dropped, never retried. A producer
counts a job it could not push as produced (it is lost, as a real producer's would be), so it
does not burst when Redis is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable

import redis.asyncio as aioredis

from .cache import REDIS_ERRORS, describe_error
from .config import Settings
from .faults import FaultState, paced
from .metrics import AppMetrics
from .tasks import Tasks, every, pause
from .throttle import ThrottledLog

log = logging.getLogger("sample_app.jobs")

QUEUE_KEY = "sample_app:jobs"
#: A worker's BRPOP gives up after this and checks whether it should stop.
POP_TIMEOUT_SECONDS = 1
#: The workers' client must wait longer than a BRPOP can block.
WORKER_SOCKET_TIMEOUT_SECONDS = POP_TIMEOUT_SECONDS + 2.0
#: After Redis failed, a worker waits this long before it pops again (no busy loop on an outage).
RETRY_SECONDS = 1.0
PRODUCE_EVERY_SECONDS = 0.1


class JobQueue:
    def __init__(
        self,
        client: aioredis.Redis | None,
        worker_client: aioredis.Redis | None,
        metrics: AppMetrics,
        faults: FaultState,
        tasks: Tasks,
        settings: Settings,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._worker_client = worker_client
        self._metrics = metrics
        self._faults = faults
        self._tasks = tasks
        self._settings = settings
        self._draw = draw
        self._next_id = 0
        self._warnings = ThrottledLog(log)

    @property
    def enabled(self) -> bool:
        return self._client is not None and self._worker_client is not None

    async def start(self) -> None:
        """Start the workers and the baseline producer (nothing when Redis is not configured)."""
        if not self.enabled:
            return
        for index in range(self._settings.workers):
            await self._tasks.start(f"worker-{index}", self._work)
        rate = self._settings.baseline_jobs_per_second
        if rate > 0:
            await self._tasks.start("producer-baseline", lambda stop: self.produce(rate, stop))

    async def produce(
        self, per_second: float, stop: asyncio.Event, on_produced: Callable[[int], None] = lambda _: None
    ) -> None:
        """Enqueue ``per_second`` jobs until ``stop`` is set, one LPUSH per tick."""
        produced = 0

        async def step(elapsed: float) -> None:
            nonlocal produced
            count = paced(per_second, elapsed, produced)
            if count:
                await self.push(count)
                produced += count
                on_produced(produced)

        await every(PRODUCE_EVERY_SECONDS, stop, step)

    async def push(self, count: int) -> bool:
        """LPUSH ``count`` jobs at once. Returns whether Redis took them."""
        assert self._client is not None
        now = time.time()
        jobs = []
        for _ in range(count):
            self._next_id += 1
            jobs.append(json.dumps({"id": self._next_id, "enqueued_at": now}))
        try:
            await self._client.lpush(QUEUE_KEY, *jobs)
        except REDIS_ERRORS as error:
            self._failed("push", error)
            return False
        return True

    async def refresh_depth(self) -> None:
        """Read the queue's length into job_queue_depth (at scrape time); on an error the last value stays."""
        if self._client is None:
            return
        try:
            depth = int(await self._client.llen(QUEUE_KEY))
        except REDIS_ERRORS as error:
            self._failed("depth", error)
            return
        self._metrics.set_queue_depth(depth)

    async def _work(self, stop: asyncio.Event) -> None:
        assert self._worker_client is not None
        while not stop.is_set():
            try:
                popped = await self._worker_client.brpop([QUEUE_KEY], timeout=POP_TIMEOUT_SECONDS)
            except REDIS_ERRORS as error:
                self._failed("pop", error)
                await pause(stop, RETRY_SECONDS)
                continue
            if popped is not None:
                await self._process(stop)

    async def _process(self, stop: asyncio.Event) -> None:
        self._metrics.worker_busy(True)
        started = time.perf_counter()
        try:
            seconds = self._settings.job_seconds * (0.5 + self._draw())
            if await pause(stop, seconds + (self._faults.job_extra_seconds() or 0.0)):
                return  # shutting down: the job is abandoned, not counted
            succeeded = not self._faults.job_fails()
        finally:
            self._metrics.worker_busy(False)
        self._metrics.observe_job(succeeded, time.perf_counter() - started)

    def _failed(self, operation: str, error: BaseException) -> None:
        self._metrics.count_queue_error(operation)
        self._warnings.warning(operation, f"job queue {operation} failed: {describe_error(error)}")
