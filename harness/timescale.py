"""Time compression: run a stack N times faster by dividing every duration by one factor.

A rule that says `for: 5m` over `rate(...[5m])` takes minutes to prove in real time. At a factor of
20 the same rule says `for: 15s` over `[15s]`, scrapes and evaluations happen every 750 ms, and
Alertmanager's group_wait of 30 s becomes 1.5 s. Every duration that shapes when an alert fires or
is notified scales by the same factor, so the ratios between them, and therefore the behaviour,
stay what the user wrote. What a compressed duration does to a rule's meaning is the business of
`harness.compression`, which rewrites PromQL under the clock model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
import promql_parser

from harness.errors import ConfigError

#: Smallest duration we let scaling produce; Prometheus and Alertmanager need at least a millisecond.
MINIMUM = timedelta(milliseconds=1)
#: Longest duration we read: beyond it, sums of a few durations would overflow Python's timedelta.
MAXIMUM = timedelta(days=100 * 365)
#: Prometheus's duration grammar: units largest first, each at most once (`1h30m`, `750ms`).
DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
UNIT_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)

PROMETHEUS_GLOBAL_DURATIONS = ("scrape_interval", "scrape_timeout", "evaluation_interval")
SCRAPE_CONFIG_DURATIONS = ("scrape_interval", "scrape_timeout")
ROUTE_DURATIONS = ("group_wait", "group_interval", "repeat_interval")
#: Prometheus's own defaults, which a scaled run must scale too when the file leaves them out.
PROMETHEUS_DEFAULTS = {"scrape_interval": "1m", "evaluation_interval": "1m", "scrape_timeout": "10s"}
ALERTMANAGER_ROUTE_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


@dataclass(frozen=True)
class TimeScale:
    """`factor` real seconds pass for every second of the compressed run (1 = real time)."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.factor < float("inf"):
            raise ConfigError(f"time scale must be 1 (real time) or more, and finite; got {self.factor:g}")

    def compress(self, real: timedelta) -> timedelta:
        if real < timedelta(0):
            return -self.compress(-real)
        if real == timedelta(0):
            return real
        scaled = timedelta(milliseconds=round(real / timedelta(milliseconds=1) / self.factor))
        return max(scaled, MINIMUM)

    def compress_seconds(self, real_seconds: float) -> float:
        return real_seconds / self.factor

    def to_real_seconds(self, compressed_seconds: float) -> float:
        return compressed_seconds * self.factor

    def compress_text(self, duration: str, where: str) -> str:
        """Scale a Prometheus-style duration string such as `5m` or `1h30m`."""
        return format_duration(self.compress(parse_duration(duration, where)))


def parse_duration(text: str, where: str) -> timedelta:
    """Read a Prometheus duration (`30s`, `1h30m`, `750ms`; `0` alone is zero)."""
    written = str(text).strip()
    match = DURATION.match(written)
    if written == "0":
        return timedelta(0)
    if not written or match is None:
        raise ConfigError(f"{where}: {text!r} is not a duration (expected e.g. 30s, 5m, 1h30m, 500ms)")
    seconds = sum(int(amount) * unit for amount, unit in zip(match.groups(), UNIT_SECONDS) if amount)
    return bounded(seconds, where, text)


def bounded(seconds: float, where: str, written: object) -> timedelta:
    """`seconds` as a timedelta, refused (ConfigError at `where`) when it is not a finite duration up to MAXIMUM."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ConfigError(f"{where}: {written!r} is not a duration (expected e.g. 30s, 5m, 1h30m, 500ms)")
    if abs(seconds) > MAXIMUM.total_seconds():
        raise ConfigError(f"{where}: {written!r} is longer than {format_duration(MAXIMUM)}, which no run can wait for")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    if duration < timedelta(0):
        return "-" + format_duration(-duration)
    return str(promql_parser.display_duration(duration))
