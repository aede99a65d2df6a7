"""The sample app's settings, read once from the environment (standard library only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

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
        )
        if settings.pool_min_size > settings.pool_max_size:
            raise SettingsError(
                f"POOL_MIN_SIZE ({settings.pool_min_size}) is larger than POOL_MAX_SIZE "
                f"({settings.pool_max_size}). Hint: the pool keeps min and grows up to max."
            )
        return settings


def _number(
    environ: Mapping[str, str], name: str, default: Number, kind: type[Number], minimum: Number
) -> Number:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise SettingsError(f"{name} must be {noun}, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
