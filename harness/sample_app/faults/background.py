"""Faults the app causes with work of its own: a held connection, a producer, an allocation, a flush.

These are the validated settings and the pure arithmetic; the work itself (asyncio tasks on the
pool, Redis and the process's memory) is in ``sample_app.effects``, which runs in the container.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from ..business import BUSINESS_COUNTERS, BUSINESS_GAUGES
from .spec import REDIS, FaultKind, choice, integer, number, object_body, paced


@dataclass(frozen=True)
class PoolHoldFault(FaultKind):
    """Check out ``connections`` pooled connections (all of them by default) and keep them ``seconds``.

    Requests then queue for a connection and, past POOL_TIMEOUT_SECONDS, answer 503. The fault
    switches itself off when the time is up.
    """

    kind: ClassVar[str] = "pool_hold"

    connections: int | None = None
    seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.connections is not None:
            integer(self.kind, "connections", self.connections, minimum=1, maximum=1000)
        object.__setattr__(self, "seconds", number(self.kind, "seconds", self.seconds, above=0, maximum=3600))

    @classmethod
    def from_body(cls, body: object) -> PoolHoldFault:
        return cls(**object_body(cls.kind, body, required=(), optional=("connections", "seconds")))

    def to_hold(self, pool_max_size: int) -> int:
        """How many connections to take: the pool can lend no more than its maximum."""
        wanted = pool_max_size if self.connections is None else self.connections
        return min(wanted, pool_max_size)

    def describe(self) -> dict[str, Any]:
        return {"connections": self.connections if self.connections is not None else "all", "seconds": self.seconds}

    def response_statuses(self) -> frozenset[int]:
        return frozenset({503})


@dataclass(frozen=True)
class CacheFlushFault(FaultKind):
    """FLUSHALL on Redis, once: every cached page and queued job is gone, the next reads miss."""

    kind: ClassVar[str] = "cache_flush"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})
    one_shot: ClassVar[bool] = True

    @classmethod
    def from_body(cls, body: object) -> CacheFlushFault:
        object_body(cls.kind, body, required=(), optional=())
        return cls()

    def describe(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class CacheFillFault(FaultKind):
    """Filler keys take Redis's memory up to ``fraction`` of its maxmemory, and are deleted when it ends.

    The fill is topped up while the fault lasts (eviction or expiry may take some back); the app's
    own cached pages count towards the fraction, so Redis reads what the fault names.
    """

    kind: ClassVar[str] = "cache_fill"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})

    fraction: float

    def __post_init__(self) -> None:
        # Short of 1: at maxmemory Redis evicts as fast as the fault fills, and the fill would churn.
        object.__setattr__(self, "fraction", number(self.kind, "fraction", self.fraction, above=0, maximum=0.99))

    @classmethod
    def from_body(cls, body: object) -> CacheFillFault:
        return cls(**object_body(cls.kind, body, required=("fraction",), optional=()))

    def bytes_to_add(self, used_bytes: int, max_bytes: int) -> int:
        """How much more filler takes ``used_bytes`` of ``max_bytes`` to the fraction (0 when there)."""
        return max(math.ceil(self.fraction * max_bytes) - used_bytes, 0)

    def describe(self) -> dict[str, Any]:
        return {"fraction": self.fraction}


@dataclass(frozen=True)
class QueueBacklogFault(FaultKind):
    """An extra producer enqueues ``produce_per_second`` jobs, more than the workers drain."""

    kind: ClassVar[str] = "queue_backlog"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})

    produce_per_second: float

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "produce_per_second",
            number(self.kind, "produce_per_second", self.produce_per_second, above=0, maximum=10_000),
        )

    @classmethod
    def from_body(cls, body: object) -> QueueBacklogFault:
        return cls(**object_body(cls.kind, body, required=("produce_per_second",), optional=()))

    def due(self, elapsed_seconds: float, produced: int) -> int:
        """Jobs to enqueue now, ``elapsed_seconds`` after the start with ``produced`` already enqueued."""
        return paced(self.produce_per_second, elapsed_seconds, produced)

    def describe(self) -> dict[str, Any]:
        return {"produce_per_second": self.produce_per_second}


@dataclass(frozen=True)
class MemoryLeakFault(FaultKind):
    """The process allocates ``megabytes_per_second`` and keeps it, up to ``cap_megabytes`` and no further."""

    kind: ClassVar[str] = "memory_leak"

    megabytes_per_second: float
    cap_megabytes: int = 256

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "megabytes_per_second",
            number(self.kind, "megabytes_per_second", self.megabytes_per_second, above=0, maximum=1024),
        )
        integer(self.kind, "cap_megabytes", self.cap_megabytes, minimum=1, maximum=8192)

    @classmethod
    def from_body(cls, body: object) -> MemoryLeakFault:
        fields = object_body(cls.kind, body, required=("megabytes_per_second",), optional=("cap_megabytes",))
        return cls(**fields)

    def target_megabytes(self, elapsed_seconds: float) -> int:
        """Megabytes the leak should hold ``elapsed_seconds`` after it started: the rate, capped."""
        return min(math.floor(self.megabytes_per_second * max(elapsed_seconds, 0.0)), self.cap_megabytes)

    def describe(self) -> dict[str, Any]:
        return {"megabytes_per_second": self.megabytes_per_second, "cap_megabytes": self.cap_megabytes}


@dataclass(frozen=True)
class BusinessGaugeFault(FaultKind):
    """One business gauge shows ``value`` instead of its baseline (from the environment)."""

    kind: ClassVar[str] = "business"

    gauge: str
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "gauge", choice(self.kind, "gauge", self.gauge, BUSINESS_GAUGES))
        object.__setattr__(self, "value", number(self.kind, "value", self.value))

    @classmethod
    def from_body(cls, body: object) -> BusinessGaugeFault:
        return cls(**object_body(cls.kind, body, required=("gauge", "value"), optional=()))

    def describe(self) -> dict[str, Any]:
        return {"gauge": self.gauge, "value": self.value}


@dataclass(frozen=True)
class BusinessRateFault(FaultKind):
    """A business counter goes up by ``per_second`` (credits consumed also drain credits remaining)."""

    kind: ClassVar[str] = "business_rate"

    counter: str
    per_second: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "counter", choice(self.kind, "counter", self.counter, BUSINESS_COUNTERS, "_total"))
        object.__setattr__(
            self, "per_second", number(self.kind, "per_second", self.per_second, above=0, maximum=100_000)
        )

    @classmethod
    def from_body(cls, body: object) -> BusinessRateFault:
        return cls(**object_body(cls.kind, body, required=("counter", "per_second"), optional=()))

    def due(self, elapsed_seconds: float, added: int) -> int:
        """Increments to add now, ``elapsed_seconds`` after the start with ``added`` already added."""
        return paced(self.per_second, elapsed_seconds, added)

    def describe(self) -> dict[str, Any]:
        return {"counter": self.counter, "per_second": self.per_second}
