"""The sample app's settings, read once from the environment (standard library only)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from .names import DURATION_UNITS, DurationUnit, MetricNames

Number = TypeVar("Number", int, float)


class SettingsError(ValueError):
    """An environment variable holds a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "postgresql://app:app@postgres:5432/app"
    pool_min_size: int = 2
    pool_max_size: int = 10
    #: How long a request waits for a pooled connection before it answers 503.
    pool_timeout_seconds: float = 5.0
    #: How long one request's SQL may run; bounds requests when the database hangs (paused, partitioned).
    query_timeout_seconds: float = 10.0
    port: int = 8000
    #: Redis for the cache and the job queue; empty switches both off (and their faults answer 409).
    redis_url: str = ""
    #: How long a cached page of /api/items lives.
    cache_ttl_seconds: float = 5.0
    #: Job workers (asyncio tasks) that pop from the queue.
    workers: int = 2
    #: How long one job takes on average (each varies by ±50 %).
    job_seconds: float = 0.05
    #: Jobs the background producer enqueues every second, fault or not, so the queue metrics move.
    baseline_jobs_per_second: float = 2.0
    active_users: float = 120.0
    active_users_limit: float = 200.0
    credits: float = 10000.0
    metric_prefix: str = ""
    status_label: str = "status"
    duration_unit: DurationUnit = "seconds"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        defaults = cls()
        settings = cls(
            database_url=environ.get("DATABASE_URL", defaults.database_url),
            pool_min_size=_number(environ, "POOL_MIN_SIZE", defaults.pool_min_size, int, minimum=0),
            pool_max_size=_number(environ, "POOL_MAX_SIZE", defaults.pool_max_size, int, minimum=1),
            pool_timeout_seconds=_number(
                environ, "POOL_TIMEOUT_SECONDS", defaults.pool_timeout_seconds, float, minimum=0.001
            ),
            query_timeout_seconds=_number(
                environ, "QUERY_TIMEOUT_SECONDS", defaults.query_timeout_seconds, float, minimum=0.001
            ),
            port=_number(environ, "PORT", defaults.port, int, minimum=1),
            redis_url=environ.get("REDIS_URL", defaults.redis_url).strip(),
            cache_ttl_seconds=_number(environ, "CACHE_TTL_SECONDS", defaults.cache_ttl_seconds, float, minimum=0.001),
            workers=_number(environ, "WORKERS", defaults.workers, int, minimum=0),
            job_seconds=_number(environ, "JOB_SECONDS", defaults.job_seconds, float, minimum=0.0),
            baseline_jobs_per_second=_number(
                environ, "BASELINE_JOBS_PER_SECOND", defaults.baseline_jobs_per_second, float, minimum=0.0
            ),
            active_users=_number(environ, "ACTIVE_USERS", defaults.active_users, float, minimum=0.0),
            active_users_limit=_number(environ, "ACTIVE_USERS_LIMIT", defaults.active_users_limit, float, minimum=0.0),
            credits=_number(environ, "CREDITS", defaults.credits, float, minimum=0.0),
            metric_prefix=environ.get("METRIC_PREFIX", defaults.metric_prefix).strip(),
            status_label=environ.get("STATUS_LABEL", defaults.status_label).strip() or defaults.status_label,
            duration_unit=_duration_unit(environ, defaults.duration_unit),
        )
        if settings.pool_min_size > settings.pool_max_size:
            raise SettingsError(
                f"POOL_MIN_SIZE ({settings.pool_min_size}) is larger than POOL_MAX_SIZE "
                f"({settings.pool_max_size}). Hint: the pool keeps min and grows up to max."
            )
        if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                f"REDIS_URL must start with redis://, rediss:// or unix://, got {settings.redis_url!r}. "
                "Hint: redis://redis:6379/0, or leave it empty to run without cache and queue."
            )
        settings.metric_names()  # refuses a bad METRIC_PREFIX or STATUS_LABEL at start-up
        return settings

    def metric_names(self) -> MetricNames:
        """The metric and label names METRIC_PREFIX, STATUS_LABEL and DURATION_UNIT ask for."""
        try:
            return MetricNames.configured(self.metric_prefix, self.status_label, self.duration_unit)
        except ValueError as error:
            raise SettingsError(
                f"METRIC_PREFIX={self.metric_prefix!r} STATUS_LABEL={self.status_label!r}: {error}. "
                "Hint: names are letters, digits and underscores, and do not start with a digit."
            ) from None


def _duration_unit(environ: Mapping[str, str], default: DurationUnit) -> DurationUnit:
    raw = environ.get("DURATION_UNIT", "").strip()
    if not raw:
        return default
    if raw not in DURATION_UNITS:
        raise SettingsError(f"DURATION_UNIT must be one of {', '.join(DURATION_UNITS)}, got {raw!r}")
    return cast(DurationUnit, raw)


def _number(environ: Mapping[str, str], name: str, default: Number, kind: type[Number], minimum: Number) -> Number:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise SettingsError(f"{name} must be {noun}, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
