"""Every metric and label name the app exposes, as configured (standard library only).

Users' alert rules differ in small ways: a ``myapp_`` prefix, ``code`` instead of ``status``,
durations in milliseconds. ``MetricNames.configured`` derives every name from those three
choices, so the app can match a rule file instead of the rule file matching the app. The
process, platform and GC collectors of prometheus_client keep their own names
(``process_resident_memory_bytes``...): they are not the app's to rename.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

DurationUnit = Literal["seconds", "milliseconds"]
DURATION_UNITS: dict[str, float] = {"seconds": 1.0, "milliseconds": 1000.0}
#: A Prometheus metric name; the prefix also matches it, or is empty.
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

#: The histograms whose name ends in the duration unit and whose buckets scale with it.
DURATION_FIELDS = ("request_duration", "pool_wait", "cache_duration", "job_duration")


@dataclass(frozen=True)
class MetricNames:
    """Every metric and label name the app exposes; the one place to change them.

    Fields ending in ``_label`` are label names; the others are metric names. Observed durations
    are multiplied by ``duration_scale`` so the values match the unit in the names.
    """

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
    cache_requests_total: str = "cache_requests_total"
    cache_duration: str = "cache_operation_duration_seconds"
    cache_errors_total: str = "cache_errors_total"
    result_label: str = "result"
    operation_label: str = "operation"
    job_queue_depth: str = "job_queue_depth"
    job_duration: str = "job_processing_seconds"
    jobs_processed_total: str = "jobs_processed_total"
    job_workers_busy: str = "job_workers_busy"
    job_workers_total: str = "job_workers_total"
    job_queue_errors_total: str = "job_queue_errors_total"
    job_status_label: str = "status"
    business_active_users: str = "business_active_users"
    business_active_users_limit: str = "business_active_users_limit"
    business_credits_remaining: str = "business_credits_remaining"
    business_credits_consumed_total: str = "business_credits_consumed_total"
    business_signups_total: str = "business_signups_total"
    duration_unit: DurationUnit = "seconds"

    @classmethod
    def configured(
        cls, prefix: str = "", status_label: str = "status", duration_unit: DurationUnit = "seconds"
    ) -> MetricNames:
        """The default names with ``prefix`` on every metric, the HTTP status label renamed and
        durations in ``duration_unit``. Raises ValueError naming the bad choice."""
        if prefix and not METRIC_NAME.fullmatch(prefix):
            raise ValueError(f"metric prefix {prefix!r} is not a valid start of a Prometheus metric name")
        if not LABEL_NAME.fullmatch(status_label) or status_label.startswith("__"):
            raise ValueError(f"status label {status_label!r} is not a valid Prometheus label name")
        if status_label in (cls.method_label, cls.route_label):
            raise ValueError(
                f"status label {status_label!r} is already the name of another label of the request metrics"
            )
        if duration_unit not in DURATION_UNITS:
            raise ValueError(f"duration unit {duration_unit!r} is not one of {', '.join(DURATION_UNITS)}")
        changes: dict[str, Any] = {"status_label": status_label}
        for field in dataclasses.fields(cls):
            if field.name.endswith("_label") or field.name == "duration_unit":
                continue
            name = field.default
            assert isinstance(name, str)
            if field.name in DURATION_FIELDS:
                name = name.removesuffix("_seconds") + f"_{duration_unit}"
            changes[field.name] = prefix + name
        return dataclasses.replace(cls(duration_unit=duration_unit), **changes)

    @property
    def duration_scale(self) -> float:
        """What to multiply a duration in seconds by before observing it."""
        return DURATION_UNITS[self.duration_unit]

    def duration_buckets(self, seconds: Iterable[float]) -> tuple[float, ...]:
        """Histogram buckets given in seconds, in the configured unit."""
        # Rounded so 0.0005 s shows as le="0.5", not le="0.49999999999999994".
        return tuple(round(bound * self.duration_scale, 9) for bound in seconds)

    def metric_names(self) -> dict[str, str]:
        """Every metric name by field (for logging and tests)."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if not field.name.endswith("_label") and field.name != "duration_unit"
        }
