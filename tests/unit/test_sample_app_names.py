"""The sample app's metric and label names: defaults, and what METRIC_PREFIX, STATUS_LABEL and
DURATION_UNIT make of them."""

from __future__ import annotations

import pytest

from harness.sample_app.config import Settings, SettingsError
from harness.sample_app.names import MetricNames

DEFAULT_METRICS = {
    "http_requests_total",
    "http_request_duration_seconds",
    "db_pool_size",
    "db_pool_in_use",
    "db_pool_idle",
    "db_pool_waiting",
    "db_pool_max_size",
    "db_pool_wait_seconds",
    "db_pool_errors_total",
    "cache_requests_total",
    "cache_operation_duration_seconds",
    "cache_errors_total",
    "job_queue_depth",
    "job_processing_seconds",
    "jobs_processed_total",
    "job_workers_busy",
    "job_workers_total",
    "job_queue_errors_total",
    "business_active_users",
    "business_active_users_limit",
    "business_credits_remaining",
    "business_credits_consumed_total",
    "business_signups_total",
}


def test_the_defaults_are_the_names_the_bundled_rules_use() -> None:
    names = MetricNames.configured()

    assert names == MetricNames()
    assert set(names.metric_names().values()) == DEFAULT_METRICS
    assert (names.status_label, names.duration_unit, names.duration_scale) == ("status", "seconds", 1.0)


def test_a_prefix_goes_on_every_metric_name_and_on_no_label() -> None:
    names = MetricNames.configured(prefix="myapp_")

    assert set(names.metric_names().values()) == {f"myapp_{name}" for name in DEFAULT_METRICS}
    assert (names.method_label, names.route_label, names.status_label, names.result_label) == (
        "method",
        "route",
        "status",
        "result",
    )


@pytest.mark.parametrize("label", ["status_code", "code"])
def test_the_status_label_can_be_renamed(label: str) -> None:
    names = MetricNames.configured(status_label=label)

    assert names.status_label == label
    assert names.job_status_label == "status"  # a job's success/failure is not an HTTP status


def test_milliseconds_rename_every_duration_histogram_and_nothing_else() -> None:
    names = MetricNames.configured(prefix="myapp_", duration_unit="milliseconds")

    renamed = {
        field: name
        for field, name in names.metric_names().items()
        if name != f"myapp_{MetricNames().metric_names()[field]}"
    }
    assert renamed == {
        "request_duration": "myapp_http_request_duration_milliseconds",
        "pool_wait": "myapp_db_pool_wait_milliseconds",
        "cache_duration": "myapp_cache_operation_duration_milliseconds",
        "job_duration": "myapp_job_processing_milliseconds",
    }


def test_milliseconds_scale_observations_and_buckets_by_a_thousand() -> None:
    names = MetricNames.configured(duration_unit="milliseconds")

    assert names.duration_scale == 1000.0
    assert names.duration_buckets((0.0005, 0.005, 0.025, 2.5, 10.0)) == (0.5, 5.0, 25.0, 2500.0, 10000.0)


def test_seconds_keep_the_buckets_as_written() -> None:
    assert MetricNames().duration_buckets((0.0005, 0.1)) == (0.0005, 0.1)


BAD_NAME_CHOICES = {
    "prefix_starts_with_a_digit": ({"prefix": "1app_"}, "metric prefix '1app_' is not a valid start"),
    "prefix_has_a_dash": ({"prefix": "my-app_"}, "metric prefix 'my-app_' is not a valid start"),
    "status_label_has_a_dot": ({"status_label": "http.status"}, "status label 'http.status' is not a valid"),
    "status_label_is_reserved": ({"status_label": "__status"}, "status label '__status' is not a valid"),
    "status_label_clashes_with_route": ({"status_label": "route"}, "is already the name of another label"),
    "unit_is_unknown": ({"duration_unit": "minutes"}, "duration unit 'minutes' is not one of seconds, milliseconds"),
}


@pytest.mark.parametrize(("choices", "message"), BAD_NAME_CHOICES.values(), ids=BAD_NAME_CHOICES.keys())
def test_a_bad_name_choice_is_refused_with_the_choice_named(choices: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricNames.configured(**choices)  # type: ignore[arg-type]


def test_settings_take_the_names_from_the_environment() -> None:
    settings = Settings.from_env({"METRIC_PREFIX": "shop_", "STATUS_LABEL": "code", "DURATION_UNIT": "milliseconds"})

    names = settings.metric_names()
    assert (names.requests_total, names.status_label, names.request_duration) == (
        "shop_http_requests_total",
        "code",
        "shop_http_request_duration_milliseconds",
    )


BAD_NAME_ENVIRONMENTS = {
    "unit_unknown": ({"DURATION_UNIT": "ms"}, "DURATION_UNIT must be one of seconds, milliseconds, got 'ms'"),
    "prefix_invalid": ({"METRIC_PREFIX": "my app"}, "METRIC_PREFIX='my app' STATUS_LABEL='status': metric prefix"),
    "status_label_invalid": ({"STATUS_LABEL": "status-code"}, "STATUS_LABEL='status-code': status label"),
}


@pytest.mark.parametrize(("environ", "message"), BAD_NAME_ENVIRONMENTS.values(), ids=BAD_NAME_ENVIRONMENTS.keys())
def test_a_bad_name_setting_stops_the_app_at_start_up_with_the_variable_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)
