"""The app's Prometheus metrics: names from ``MetricNames``, every series created at zero at start-up.

A counter series that first appears already at N is invisible to ``rate()`` for its first
jump, so every label combination the app can produce is created with 0 (gauges at their
baseline) before any traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .business import Business
from .names import MetricNames

#: 5 ms .. 10 s, for request latency as users feel it.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0)
#: Waiting for a pooled connection is usually sub-millisecond; the tail reaches the pool timeout.
POOL_WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: A Redis round trip on the same host: 0.1 ms .. 1 s (the client gives up after 1 s).
CACHE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
#: Jobs take JOB_SECONDS (50 ms by default) ± 50 %: 5 ms .. 10 s.
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: Why a request could not use the database (the ``reason`` label of the pool error counter).
POOL_ERROR_REASONS = (
    "timeout",  # no pooled connection became free within POOL_TIMEOUT_SECONDS
    "connection",  # the connection failed or was lost while in use
    "query_timeout",  # the SQL did not finish within QUERY_TIMEOUT_SECONDS (database hung)
)
CACHE_RESULTS = ("hit", "miss")
CACHE_OPERATIONS = ("get", "set")
#: Redis calls of the cache that can fail (``operation`` label of cache_errors_total).
CACHE_ERROR_OPERATIONS = ("get", "set", "flush")
JOB_STATUSES = ("success", "failure")
#: Redis calls of the queue that can fail (``operation`` label of job_queue_errors_total).
QUEUE_ERROR_OPERATIONS = ("push", "pop", "depth")


@dataclass(frozen=True)
class RouteSpec:
    """One measured route and the statuses it answers, so their series exist from the start."""

    method: str
    route: str
    statuses: tuple[int, ...]


PoolStats = Callable[[], Mapping[str, int] | None]


class AppMetrics:
    """Request, pool, cache, queue and business metrics on a registry of their own (plus process metrics)."""

    def __init__(
        self,
        routes: Iterable[RouteSpec],
        pool_stats: PoolStats,
        names: MetricNames = MetricNames(),
        business: Business | None = None,
        workers: int = 0,
    ) -> None:
        self.names = names
        self._scale = names.duration_scale
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        registry = self.registry
        # prometheus_client appends _total itself and refuses a name that already has it.
        self._requests = Counter(
            _without_total(names.requests_total),
            "HTTP requests answered, by route template and status.",
            [names.method_label, names.route_label, names.status_label],
            registry=registry,
        )
        self._duration = Histogram(
            names.request_duration,
            f"Time to answer an HTTP request, by route template ({names.duration_unit}).",
            [names.method_label, names.route_label],
            buckets=names.duration_buckets(REQUEST_BUCKETS),
            registry=registry,
        )
        self._pool_wait = Histogram(
            names.pool_wait,
            f"Time a request waited to get a database connection from the pool ({names.duration_unit}).",
            buckets=names.duration_buckets(POOL_WAIT_BUCKETS),
            registry=registry,
        )
        self._pool_errors = Counter(
            _without_total(names.pool_errors_total),
            "Requests that could not use the database, by reason.",
            [names.reason_label],
            registry=registry,
        )
        registry.register(PoolCollector(pool_stats, names))
        self._cache_requests = Counter(
            _without_total(names.cache_requests_total),
            "Cache lookups, by result (a lookup that failed counts as a miss, and in cache_errors_total).",
            [names.result_label],
            registry=registry,
        )
        self._cache_duration = Histogram(
            names.cache_duration,
            f"Time a Redis cache operation took ({names.duration_unit}).",
            [names.operation_label],
            buckets=names.duration_buckets(CACHE_BUCKETS),
            registry=registry,
        )
        self._cache_errors = Counter(
            _without_total(names.cache_errors_total),
            "Cache operations Redis did not answer, by operation.",
            [names.operation_label],
            registry=registry,
        )
        self._queue_depth = Gauge(
            names.job_queue_depth, "Jobs waiting in the Redis queue (LLEN at scrape time).", registry=registry
        )
        self._job_duration = Histogram(
            names.job_duration,
            f"Time a worker spent on one job ({names.duration_unit}).",
            buckets=names.duration_buckets(JOB_BUCKETS),
            registry=registry,
        )
        self._jobs = Counter(
            _without_total(names.jobs_processed_total),
            "Jobs the workers finished, by status (failed jobs are dropped, not retried).",
            [names.job_status_label],
            registry=registry,
        )
        self._workers_busy = Gauge(names.job_workers_busy, "Workers processing a job right now.", registry=registry)
        self._workers_total = Gauge(names.job_workers_total, "Workers popping jobs from the queue.", registry=registry)
        self._queue_errors = Counter(
            _without_total(names.job_queue_errors_total),
            "Job queue operations Redis did not answer, by operation.",
            [names.operation_label],
            registry=registry,
        )
        registry.register(BusinessCollector(business or Business(0, 0, 0), names))
        self._routes = list(routes)
        for spec in self._routes:
            self._duration.labels(spec.method, spec.route)
            for status in spec.statuses:
                self._requests.labels(spec.method, spec.route, str(status))
        for reason in POOL_ERROR_REASONS:
            self._pool_errors.labels(reason)
        for result in CACHE_RESULTS:
            self._cache_requests.labels(result)
        for operation in CACHE_OPERATIONS:
            self._cache_duration.labels(operation)
        for operation in CACHE_ERROR_OPERATIONS:
            self._cache_errors.labels(operation)
        for job_status in JOB_STATUSES:
            self._jobs.labels(job_status)
        for operation in QUEUE_ERROR_OPERATIONS:
            self._queue_errors.labels(operation)
        self._workers_total.set(workers)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._duration.labels(method, route).observe(seconds * self._scale)

    def ensure_status(self, status: int) -> None:
        """Create the series of ``status`` at 0 for every measured route (a fault is about to cause it)."""
        for spec in self._routes:
            self._requests.labels(spec.method, spec.route, str(status))

    def observe_pool_wait(self, seconds: float) -> None:
        self._pool_wait.observe(seconds * self._scale)

    def count_pool_error(self, reason: str) -> None:
        self._pool_errors.labels(reason).inc()

    def count_cache_lookup(self, hit: bool) -> None:
        self._cache_requests.labels("hit" if hit else "miss").inc()

    def observe_cache_operation(self, operation: str, seconds: float) -> None:
        self._cache_duration.labels(operation).observe(seconds * self._scale)

    def count_cache_error(self, operation: str) -> None:
        self._cache_errors.labels(operation).inc()

    def set_queue_depth(self, depth: int) -> None:
        self._queue_depth.set(depth)

    def observe_job(self, succeeded: bool, seconds: float) -> None:
        self._jobs.labels("success" if succeeded else "failure").inc()
        self._job_duration.observe(seconds * self._scale)

    def worker_busy(self, busy: bool) -> None:
        if busy:
            self._workers_busy.inc()
        else:
            self._workers_busy.dec()

    def count_queue_error(self, operation: str) -> None:
        self._queue_errors.labels(operation).inc()


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


class BusinessCollector(Collector):
    """The business gauges and counters, read from the Business model at scrape time."""

    def __init__(self, business: Business, names: MetricNames) -> None:
        self._business = business
        self._names = names

    def collect(self) -> Iterator[Metric]:
        business, names = self._business, self._names
        yield GaugeMetricFamily(
            names.business_active_users, "Users active now (ACTIVE_USERS).", business.gauge("active_users")
        )
        yield GaugeMetricFamily(
            names.business_active_users_limit,
            "Most active users the plan allows (ACTIVE_USERS_LIMIT).",
            business.gauge("active_users_limit"),
        )
        yield GaugeMetricFamily(
            names.business_credits_remaining,
            "Credits left on the account (CREDITS, less what a driven consumption used).",
            business.gauge("credits_remaining"),
        )
        yield CounterMetricFamily(
            _without_total(names.business_credits_consumed_total),
            "Credits consumed.",
            business.total("credits_consumed"),
        )
        yield CounterMetricFamily(_without_total(names.business_signups_total), "Sign-ups.", business.total("signups"))


def _without_total(name: str) -> str:
    return name.removesuffix("_total")
