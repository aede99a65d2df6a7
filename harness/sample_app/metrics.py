"""The app's Prometheus metrics: names in one place, every series created at zero at start-up.

A counter series that first appears already at N is invisible to ``rate()`` for its first
jump, so every label combination the app can produce is created with 0 before any traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: 5 ms .. 10 s, for request latency as users feel it.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Waiting for a pooled connection is usually sub-millisecond; the tail reaches the pool timeout.
POOL_WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: Why a request could not use the database (the ``reason`` label of the pool error counter).
POOL_ERROR_REASONS = (
    "timeout",  # no pooled connection became free within POOL_TIMEOUT_SECONDS
    "connection",  # the connection failed or was lost while in use
    "query_timeout",  # the SQL did not finish within QUERY_TIMEOUT_SECONDS (database hung)
)


@dataclass(frozen=True)
class MetricNames:
    """Every metric and label name the app exposes; the one place to change them."""

    requests_total: str = "http_requests_total"
    request_duration: str = "http_request_duration_seconds"
    method_label: str = "method"
    route_label: str = "route"
    status_label: str = "status"
    pool_size: str = "db_pool_size"
    pool_in_use: str = "db_pool_in_use"
    pool_idle: str = "db_pool_idle"
    pool_waiting: str = "db_pool_waiting"
    pool_max_size: str = "db_pool_max_size"
    pool_wait: str = "db_pool_wait_seconds"
    pool_errors_total: str = "db_pool_errors_total"
    reason_label: str = "reason"


@dataclass(frozen=True)
class RouteSpec:
    """One measured route and the statuses it answers, so their series exist from the start."""

    method: str
    route: str
    statuses: tuple[int, ...]


PoolStats = Callable[[], Mapping[str, int] | None]


class AppMetrics:
    """The request and pool metrics, on a registry of their own (plus process metrics)."""

    def __init__(
        self,
        routes: Iterable[RouteSpec],
        pool_stats: PoolStats,
        names: MetricNames = MetricNames(),
    ) -> None:
        self.names = names
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        # prometheus_client appends _total itself and refuses a name that already has it.
        self._requests = Counter(
            _without_total(names.requests_total),
            "HTTP requests answered, by route template and status.",
            [names.method_label, names.route_label, names.status_label],
            registry=self.registry,
        )
        self._duration = Histogram(
            names.request_duration,
            "Time to answer an HTTP request, by route template.",
            [names.method_label, names.route_label],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self._pool_wait = Histogram(
            names.pool_wait,
            "Time a request waited to get a database connection from the pool.",
            buckets=POOL_WAIT_BUCKETS,
            registry=self.registry,
        )
        self._pool_errors = Counter(
            _without_total(names.pool_errors_total),
            "Requests that could not use the database, by reason.",
            [names.reason_label],
            registry=self.registry,
        )
        self.registry.register(PoolCollector(pool_stats, names))
        self._routes = list(routes)
        for spec in self._routes:
            self._duration.labels(spec.method, spec.route)
            for status in spec.statuses:
                self._requests.labels(spec.method, spec.route, str(status))
        for reason in POOL_ERROR_REASONS:
            self._pool_errors.labels(reason)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._duration.labels(method, route).observe(seconds)

    def ensure_status(self, status: int) -> None:
        """Create the series of ``status`` at 0 for every measured route (a fault is about to cause it)."""
        for spec in self._routes:
            self._requests.labels(spec.method, spec.route, str(status))

    def observe_pool_wait(self, seconds: float) -> None:
        self._pool_wait.observe(seconds)

    def count_pool_error(self, reason: str) -> None:
        self._pool_errors.labels(reason).inc()


class PoolCollector(Collector):
    """Pool gauges read from psycopg_pool's ``get_stats()`` at scrape time, so they are never stale."""

    def __init__(self, pool_stats: PoolStats, names: MetricNames) -> None:
        self._pool_stats = pool_stats
        self._names = names

    def collect(self) -> Iterator[Metric]:
        stats = self._pool_stats() or {}
        size = stats.get("pool_size", 0)
        idle = stats.get("pool_available", 0)
        names = self._names
        yield GaugeMetricFamily(names.pool_size, "Connections the pool holds (idle, in use or being opened).", size)
        # pool_size counts a connection while it is being opened, so clamp at 0 rather than trust the difference.
        yield GaugeMetricFamily(names.pool_in_use, "Pooled connections lent to requests.", max(size - idle, 0))
        yield GaugeMetricFamily(names.pool_idle, "Pooled connections ready to be lent.", idle)
        yield GaugeMetricFamily(
            names.pool_waiting, "Requests queued for a connection.", stats.get("requests_waiting", 0)
        )
        yield GaugeMetricFamily(
            names.pool_max_size, "Most connections the pool may hold (POOL_MAX_SIZE).", stats.get("pool_max", 0)
        )


def _without_total(name: str) -> str:
    return name.removesuffix("_total")
