"""Faults decided request by request (or job by job) from a uniform draw in [0, 1).

Each kind's ``decide`` is pure: the draw comes from the caller, so tests pick it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .spec import REDIS, FaultKind, FaultSpecError, number, object_body, ratio


@dataclass(frozen=True)
class ErrorFault(FaultKind):
    """A share of /api requests answer a 5xx status instead of doing their work."""

    kind: ClassVar[str] = "errors"

    ratio: float
    status: int = 500

    def __post_init__(self) -> None:
        where = f"fault {self.kind!r}"
        object.__setattr__(self, "ratio", ratio(self.kind, "ratio", self.ratio))
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise FaultSpecError(f"{where}: 'status' must be an integer from 500 to 599, got {self.status!r}")
        if not 500 <= self.status <= 599:
            raise FaultSpecError(
                f"{where}: 'status' must be a server error from 500 to 599, got {self.status}. "
                "Hint: client errors (4xx) do not count as failures in the usual error-rate rules."
            )

    @classmethod
    def from_body(cls, body: object) -> ErrorFault:
        return cls(**object_body(cls.kind, body, required=("ratio",), optional=("status",)))

    def decide(self, draw: float) -> int | None:
        """The status to answer for a request whose uniform draw in [0, 1) is ``draw``, or None."""
        return self.status if draw < self.ratio else None

    def describe(self) -> dict[str, Any]:
        return {"ratio": self.ratio, "status": self.status}

    def response_statuses(self) -> frozenset[int]:
        return frozenset({self.status})


@dataclass(frozen=True)
class LatencyFault(FaultKind):
    """A share of /api requests wait ``delay_seconds`` ± ``jitter_seconds`` (uniform) before being served."""

    kind: ClassVar[str] = "latency"

    delay_seconds: float
    jitter_seconds: float = 0.0
    ratio: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "delay_seconds", number(self.kind, "delay_seconds", self.delay_seconds, above=0, maximum=60)
        )
        object.__setattr__(
            self, "jitter_seconds", number(self.kind, "jitter_seconds", self.jitter_seconds, minimum=0, maximum=60)
        )
        object.__setattr__(self, "ratio", ratio(self.kind, "ratio", self.ratio))

    @classmethod
    def from_body(cls, body: object) -> LatencyFault:
        fields = object_body(cls.kind, body, required=("delay_seconds",), optional=("jitter_seconds", "ratio"))
        return cls(**fields)

    def decide(self, draw: float, jitter_draw: float) -> float | None:
        """Seconds to delay a request with these two uniform draws in [0, 1), or None to leave it be.

        The jitter spreads the delay evenly over [delay - jitter, delay + jitter], never below 0.
        """
        if draw >= self.ratio:
            return None
        return max(self.delay_seconds + (2.0 * jitter_draw - 1.0) * self.jitter_seconds, 0.0)

    def describe(self) -> dict[str, Any]:
        return {"delay_seconds": self.delay_seconds, "jitter_seconds": self.jitter_seconds, "ratio": self.ratio}


@dataclass(frozen=True)
class _ExtraSecondsFault(FaultKind):
    """A share (``ratio``) of the work takes ``seconds`` longer."""

    seconds: float
    ratio: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "seconds", number(self.kind, "seconds", self.seconds, above=0, maximum=60))
        object.__setattr__(self, "ratio", ratio(self.kind, "ratio", self.ratio))

    @classmethod
    def from_body(cls, body: object) -> Any:
        return cls(**object_body(cls.kind, body, required=("seconds",), optional=("ratio",)))

    def decide(self, draw: float) -> float | None:
        """Seconds to add to the piece of work with this draw, or None."""
        return self.seconds if draw < self.ratio else None

    def describe(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "ratio": self.ratio}


@dataclass(frozen=True)
class SlowQueryFault(_ExtraSecondsFault):
    """The database work of a share of requests also runs ``pg_sleep(seconds)`` on its connection."""

    kind: ClassVar[str] = "slow_query"

    def response_statuses(self) -> frozenset[int]:
        # A sleep past QUERY_TIMEOUT_SECONDS ends the query: the request answers 503.
        return frozenset({503})


@dataclass(frozen=True)
class CacheMissFault(FaultKind):
    """A share of cache lookups skip Redis and go to the database (then store what they read)."""

    kind: ClassVar[str] = "cache_miss"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})

    ratio: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratio", ratio(self.kind, "ratio", self.ratio))

    @classmethod
    def from_body(cls, body: object) -> CacheMissFault:
        return cls(**object_body(cls.kind, body, required=(), optional=("ratio",)))

    def decide(self, draw: float) -> bool:
        """Whether the lookup with this draw is forced to miss."""
        return draw < self.ratio

    def describe(self) -> dict[str, Any]:
        return {"ratio": self.ratio}


@dataclass(frozen=True)
class JobFailureFault(FaultKind):
    """A share of jobs fail: counted as failures and dropped, never retried."""

    kind: ClassVar[str] = "job_failures"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})

    ratio: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratio", ratio(self.kind, "ratio", self.ratio))

    @classmethod
    def from_body(cls, body: object) -> JobFailureFault:
        return cls(**object_body(cls.kind, body, required=("ratio",), optional=()))

    def decide(self, draw: float) -> bool:
        """Whether the job with this draw fails."""
        return draw < self.ratio

    def describe(self) -> dict[str, Any]:
        return {"ratio": self.ratio}


@dataclass(frozen=True)
class SlowJobFault(_ExtraSecondsFault):
    """A share of jobs take ``seconds`` longer: the workers stay busy and the queue drains slower."""

    kind: ClassVar[str] = "slow_jobs"
    needs: ClassVar[frozenset[str]] = frozenset({REDIS})
