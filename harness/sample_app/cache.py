"""The read-through cache in front of PostgreSQL: Redis via ``redis.asyncio``, never a reason to fail.

A lookup Redis does not answer counts as a miss (and in cache_errors_total) and the request goes
to the database; a failed store is counted and forgotten. With no Redis configured the cache is
off: every lookup goes to the database and nothing is counted.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as aioredis
import redis.exceptions

from .faults import FaultFailed, FaultState
from .metrics import AppMetrics
from .throttle import ThrottledLog

log = logging.getLogger("sample_app.cache")

#: Everything that means Redis did not answer: refused, unresolvable, timed out, reset.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError, asyncio.TimeoutError)
#: The cache's client gives up after this: a slow Redis must not make requests slower than the database.
CACHE_SOCKET_TIMEOUT_SECONDS = 1.0
#: Filler keys of the cache_fill fault: a prefix no page key has, and values that fit one of the
#: allocator's 64 KiB size classes (a few bytes more would take 80 KiB each).
FILLER_PREFIX = "harness:fill:"
FILLER_VALUE_BYTES = 64 * 1024 - 64
#: Filler written per round trip, then memory is measured again.
FILLER_BATCH_BYTES = 4 * 1024 * 1024


def connect(url: str, socket_timeout: float) -> aioredis.Redis:
    """A client for ``url``; it connects on first use, so an absent Redis does not stop the app starting."""
    return aioredis.Redis.from_url(
        url, socket_timeout=socket_timeout, socket_connect_timeout=1.0, client_name="sample_app"
    )


class Cache:
    def __init__(
        self, client: aioredis.Redis | None, metrics: AppMetrics, faults: FaultState, ttl_seconds: float
    ) -> None:
        self._client = client
        self._metrics = metrics
        self._faults = faults
        self._ttl_ms = max(int(ttl_seconds * 1000), 1)
        self._warnings = ThrottledLog(log)
        self._filler_keys = 0

    @property
    def enabled(self) -> bool:
        return self._client is not None

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None on a miss (forced by the cache_miss fault, or Redis not answering)."""
        if self._client is None:
            return None
        if self._faults.cache_miss_forced():
            self._metrics.count_cache_lookup(hit=False)
            return None
        started = time.perf_counter()
        try:
            value: bytes | None = await self._client.get(key)
        except REDIS_ERRORS as error:
            self._failed("get", error)
            value = None
        self._metrics.observe_cache_operation("get", time.perf_counter() - started)
        self._metrics.count_cache_lookup(hit=value is not None)
        return value

    async def set(self, key: str, value: bytes) -> None:
        if self._client is None:
            return
        started = time.perf_counter()
        try:
            await self._client.set(key, value, px=self._ttl_ms)
        except REDIS_ERRORS as error:
            self._failed("set", error)
        self._metrics.observe_cache_operation("set", time.perf_counter() - started)

    async def flush(self) -> int:
        """FLUSHALL. Returns how many keys there were; raises FaultFailed when Redis does not answer."""
        assert self._client is not None, "the cache_flush fault needs Redis; FaultState refuses it without"
        try:
            keys = int(await self._client.dbsize())
            await self._client.flushall()
        except REDIS_ERRORS as error:
            self._metrics.count_cache_error("flush")
            raise FaultFailed(f"fault 'cache_flush': Redis did not answer FLUSHALL: {describe_error(error)}") from error
        log.info("cache flushed (%d keys)", keys)
        return keys

    async def memory(self) -> tuple[int, int]:
        """Redis's (used_memory, maxmemory) in bytes; maxmemory 0 means no limit."""
        assert self._client is not None, "the cache_fill fault needs Redis; FaultState refuses it without"
        info = await self._client.info("memory")
        return int(info["used_memory"]), int(info["maxmemory"])

    async def add_filler(self, nbytes: int) -> int:
        """Write about ``nbytes`` of filler keys (no expiry) in one round trip. Returns how many keys."""
        assert self._client is not None, "the cache_fill fault needs Redis; FaultState refuses it without"
        count = max(nbytes // FILLER_VALUE_BYTES, 1)
        value = b"\0" * FILLER_VALUE_BYTES
        async with self._client.pipeline(transaction=False) as pipe:
            for number in range(self._filler_keys, self._filler_keys + count):
                pipe.set(f"{FILLER_PREFIX}{number}", value)
            await pipe.execute()
        self._filler_keys += count
        return count

    async def remove_filler(self) -> int:
        """Delete every filler key written so far (those evicted meanwhile are simply not there)."""
        if self._client is None or not self._filler_keys:
            return 0
        names = [f"{FILLER_PREFIX}{number}" for number in range(self._filler_keys)]
        removed = 0
        for start in range(0, len(names), 1000):
            removed += int(await self._client.unlink(*names[start : start + 1000]))
        self._filler_keys = 0
        return removed

    def _failed(self, operation: str, error: BaseException) -> None:
        self._metrics.count_cache_error(operation)
        self._warnings.warning(
            operation, f"cache {operation} failed, serving from the database: {describe_error(error)}"
        )


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
