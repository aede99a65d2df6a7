"""Faults the sample app causes on request, through its control API.

They need the app's cooperation: when a stack's app is the user's own image (no harness control
API), they are skipped with a message that says so; container, network and sink faults still work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import FaultSkipped
from harness.faults import control

if TYPE_CHECKING:
    from harness.stack import RunningStack


def percent(share: float) -> str:
    """A share as the percentage it is, never rounded across a threshold: 0.009 -> "0.9%", not "1%"."""
    return f"{share * 100:.4g}%"


class _AppFault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The app's own name for the fault in `/control/faults/{kind}`.
    control_kind: ClassVar[str]

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude={"kind"})

    def body_for(self, stack: RunningStack) -> dict[str, Any]:
        """The control request for this stack. Rates are sent as written: under the clock model a
        compressed run keeps every per-second rate real (README, "Time compression")."""
        return self.body()

    def start(self, stack: RunningStack) -> None:
        if not _has_control_api(stack):
            raise FaultSkipped(
                f"the app at {stack.app_url} has no harness control API (GET /control/faults does not list "
                "fault kinds): it is not the sample app, and app faults need its cooperation. Container, "
                "network and sink faults still work."
            )
        _control(stack, "PUT", f"/control/faults/{self.control_kind}", self.body_for(stack))

    def stop(self, stack: RunningStack) -> None:
        _control(stack, "DELETE", f"/control/faults/{self.control_kind}", None)


class AppErrors(_AppFault):
    """Answer a share of the app's API requests with a 5xx status."""

    kind: Literal["app_errors"] = "app_errors"
    control_kind: ClassVar[str] = "errors"
    ratio: float = Field(gt=0, le=1, description="share of requests that fail, 0 < ratio <= 1")
    status: int = Field(default=500, ge=500, le=599)

    def describe(self) -> str:
        return f"app answers {percent(self.ratio)} of API requests with HTTP {self.status}"


class AppLatency(_AppFault):
    """Add latency, with uniform jitter, to a share of API requests."""

    kind: Literal["app_latency"] = "app_latency"
    control_kind: ClassVar[str] = "latency"
    delay_seconds: float = Field(gt=0, le=60)
    jitter_seconds: float = Field(default=0.0, ge=0, le=60)
    ratio: float = Field(default=1.0, gt=0, le=1)

    def describe(self) -> str:
        jitter = f" ± {self.jitter_seconds:g} s" if self.jitter_seconds else ""
        return f"{self.delay_seconds:g} s{jitter} added to {percent(self.ratio)} of API requests"


class PoolHold(_AppFault):
    """Hold N database pool connections for T seconds: requests queue for a connection and time out."""

    kind: Literal["pool_hold"] = "pool_hold"
    control_kind: ClassVar[str] = "pool_hold"
    connections: int | None = Field(default=None, ge=1, le=1000, description="default: the whole pool")
    seconds: float = Field(default=60, gt=0, le=3600)

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude={"kind"}, exclude_none=True)

    def describe(self) -> str:
        held = "every pool connection" if self.connections is None else f"{self.connections} pool connections"
        return f"{held} held for {self.seconds:g} s"


class SlowQuery(_AppFault):
    """Make a share of the app's database queries slow (pg_sleep inside the query)."""

    kind: Literal["slow_query"] = "slow_query"
    control_kind: ClassVar[str] = "slow_query"
    seconds: float = Field(gt=0, le=60)
    ratio: float = Field(default=1.0, gt=0, le=1)

    def describe(self) -> str:
        return f"{percent(self.ratio)} of queries take {self.seconds:g} s longer"


class CacheFlush(_AppFault):
    """Flush the cache once (every key gone; the next reads miss)."""

    kind: Literal["cache_flush"] = "cache_flush"
    control_kind: ClassVar[str] = "cache_flush"

    def stop(self, stack: RunningStack) -> None:
        """A flush cannot be undone; the cache refills under load."""

    def describe(self) -> str:
        return "cache flushed"


class CacheFill(_AppFault):
    """Fill Redis with filler keys up to a fraction of its maxmemory; they are deleted when the fault ends."""

    kind: Literal["cache_fill"] = "cache_fill"
    control_kind: ClassVar[str] = "cache_fill"
    fraction: float = Field(gt=0, le=0.99, description="share of Redis's maxmemory in use, 0 < fraction <= 0.99")

    def describe(self) -> str:
        return f"Redis filled to {percent(self.fraction)} of its maxmemory"


class CacheMiss(_AppFault):
    """Force a share of cache lookups to miss."""

    kind: Literal["cache_miss"] = "cache_miss"
    control_kind: ClassVar[str] = "cache_miss"
    ratio: float = Field(default=1.0, gt=0, le=1)

    def describe(self) -> str:
        return f"{percent(self.ratio)} of cache lookups forced to miss"


class QueueBacklog(_AppFault):
    """Produce jobs faster than the workers drain them."""

    kind: Literal["queue_backlog"] = "queue_backlog"
    control_kind: ClassVar[str] = "queue_backlog"
    produce_per_second: float = Field(gt=0, le=10_000)

    def describe(self) -> str:
        return f"jobs produced at {self.produce_per_second:g}/s"


class JobFailures(_AppFault):
    """Make a share of jobs fail."""

    kind: Literal["job_failures"] = "job_failures"
    control_kind: ClassVar[str] = "job_failures"
    ratio: float = Field(gt=0, le=1)

    def describe(self) -> str:
        return f"{percent(self.ratio)} of jobs fail"


class SlowJobs(_AppFault):
    """Make a share of background jobs take longer."""

    kind: Literal["slow_jobs"] = "slow_jobs"
    control_kind: ClassVar[str] = "slow_jobs"
    seconds: float = Field(gt=0, le=60)
    ratio: float = Field(default=1.0, gt=0, le=1)

    def describe(self) -> str:
        return f"{percent(self.ratio)} of jobs take {self.seconds:g} s longer"


class MemoryLeak(_AppFault):
    """Leak memory in the app process at a rate, up to a cap."""

    kind: Literal["memory_leak"] = "memory_leak"
    control_kind: ClassVar[str] = "memory_leak"
    megabytes_per_second: float = Field(gt=0, le=1024)
    cap_megabytes: int = Field(default=256, ge=1, le=8192)

    def describe(self) -> str:
        return f"app leaks {self.megabytes_per_second:g} MB/s up to {self.cap_megabytes} MB"


class BusinessGauge(_AppFault):
    """Set a business gauge (active users, credits remaining, ...) to a value."""

    kind: Literal["business_gauge"] = "business_gauge"
    control_kind: ClassVar[str] = "business"
    gauge: str
    value: float

    def describe(self) -> str:
        return f"business gauge {self.gauge} set to {self.value:g}"


class BusinessRate(_AppFault):
    """Drive a business counter (credits consumed, signups, ...) at a real rate per second.

    Under the clock model the rate is the same at every scale: `rate()` and `predict_linear()`
    read what they would in production, while a count over a compressed window (`increase`) is
    scaled back by the rule rewrite. A balance drained by the rate moves N times less in a run
    compressed N times; a verdict that depends on how far it travels belongs to the x1 suite.
    """

    kind: Literal["business_rate"] = "business_rate"
    control_kind: ClassVar[str] = "business_rate"
    counter: str
    per_second: float = Field(gt=0, le=100_000, description="per second, at every time scale")

    def describe(self) -> str:
        return f"business counter {self.counter} driven at {self.per_second:g}/s"


def _control(stack: RunningStack, method: str, path: str, body: dict[str, object] | None) -> None:
    control.call(method, f"{stack.app_url}{path}", body, "app")


def _has_control_api(stack: RunningStack) -> bool:
    try:
        response = httpx.get(f"{stack.app_url}/control/faults", timeout=5.0)
        return response.status_code == 200 and "kinds" in response.json()
    except (httpx.HTTPError, ValueError):
        return False
