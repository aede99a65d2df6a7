"""What `harness adopt` reads from a rule's PromQL: the series to program, or why none can move it."""

from __future__ import annotations

from harness.adopt.drives import Drive, NotDrivable, drives_for
from harness.adopt.values import matching, not_matching


def ways(expr: str) -> list[Drive]:
    found = drives_for("A", expr)
    assert isinstance(found, list), found
    return found


def test_an_error_ratio_is_driven_through_the_errors_with_the_requests_held_ordinary() -> None:
    first, *_ = ways('sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05')

    assert first.mode == "level" and first.knob == "rate"
    program = first.program(7.0)
    assert program["series"] == [
        {"name": "http_requests_total", "kind": "counter", "labels": {"status": "500"}, "job": "signal", "rate": 7.0},
        {"name": "http_requests_total", "kind": "counter", "labels": {}, "job": "signal", "rate": 1.0},
    ]


def test_up_compared_to_zero_is_driven_by_failing_its_jobs_scrape() -> None:
    (drive,) = ways('up{job="node"} == 0')

    assert drive.mode == "up" and drive.program(up=False)["down_jobs"] == ["node"]
    assert drive.program(up=True)["down_jobs"] == []


def test_absent_is_driven_by_removing_the_series() -> None:
    (drive,) = ways('absent(redis_up{job="redis"})')

    assert drive.mode == "absent"
    assert drive.program(present=False)["series"] == []
    assert drive.program()["series"][0]["labels"] == {"job": "redis"}


def test_a_latency_quantile_is_driven_by_the_observed_latency() -> None:
    (drive,) = ways('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5')

    assert drive.series[0].kind == "histogram" and drive.knob == "latency"
    assert drive.program(0.8)["series"][0]["latency"] == 0.8


def test_predict_linear_is_driven_by_the_gauges_slope() -> None:
    (drive,) = ways('predict_linear(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}[6h], 4 * 3600) < 0')

    assert drive.knob == "slope"
    assert drive.series[0].labels == (("fstype", "harness"),)


def test_a_calendar_comparison_is_not_drivable_and_says_why() -> None:
    found = drives_for("A", "hour() >= 22 and rate(jobs_failed_total[5m]) > 0")

    assert isinstance(found, NotDrivable) and "calendar (hour)" in found.reason


def test_absent_of_up_is_not_drivable_because_every_job_is_scraped() -> None:
    found = drives_for("A", 'absent(up{job="api"})')

    assert isinstance(found, NotDrivable) and "scrape config" in found.reason


def test_the_right_of_unless_is_left_out_so_results_survive() -> None:
    (drive,) = ways('rate(errors_total[5m]) > 1 unless on() maintenance_mode == 1')

    assert [shape.name for shape in drive.series] == ["errors_total"]
    assert drive.notes and "unless" in drive.notes[0]


def test_contradictory_matchers_are_not_drivable() -> None:
    found = drives_for("A", 'rate(x_total{code="200", code="500"}[5m]) > 1')

    assert isinstance(found, NotDrivable) and "no label value satisfies" in found.reason


def test_regex_values_are_generated_to_match_and_negations_to_miss() -> None:
    assert matching("5..") == "500"
    assert matching("(prod|staging)-.+") == "prod-0"
    assert matching("[^/]+") == "x"
    assert not_matching("tmpfs|overlay") == "harness"
    assert not_matching(".*") is None


def test_a_metric_read_as_a_counter_and_as_a_value_is_one_counter() -> None:
    (drive,) = ways("rate(restarts_total[5m]) > 1 and restarts_total > 3")

    assert [(shape.name, shape.kind) for shape in drive.series] == [("restarts_total", "counter")]


def test_a_series_a_filter_compares_with_a_number_is_held_where_the_filter_passes() -> None:
    first, *_ = ways('node_filesystem_avail_bytes / node_filesystem_size_bytes < .10 '
                     'and on (instance) node_filesystem_readonly == 0')

    held = {series["name"]: series["value"] for series in first.program(0.01)["series"]}
    assert held == {"node_filesystem_avail_bytes": 0.01, "node_filesystem_size_bytes": 1.0,
                    "node_filesystem_readonly": 0.0}
