"""`harness check`'s PromQL findings: expressions that will not do what they read like."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness.check.findings import Finding
from harness.check.promql import findings
from harness.check.sources import discover

# Not `builders`: its imports alone take longer than this whole file.
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "check" / "promql"

PROMETHEUS = """
global:
  scrape_interval: 15s
  evaluation_interval: 30s
rule_files: [rules.yml]
scrape_configs:
  - job_name: api
    static_configs: [{targets: ["api:8080"]}]
"""


def check(tmp_path: Path, expr: str, kind: str = "alert", prometheus: str | None = PROMETHEUS,
          before: str = "", typed_counters: set[str] | None = None) -> list[Finding]:
    """The findings for one rule (after the rules in `before`), in a stack scraped as `prometheus` says."""
    if prometheus is not None:
        write(tmp_path / "prometheus.yml", prometheus)
    rule = f"      - {kind}: Checked\n        expr: {json.dumps(expr)}\n"
    write(tmp_path / "rules.yml", "groups:\n  - name: checked\n    rules:\n" + before + rule)
    return findings(discover([tmp_path]), typed_counters)


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text).lstrip("\n"))


def codes(found: list[Finding]) -> list[str]:
    return [finding.code for finding in found]


def recording(name: str, expr: str) -> str:
    return f"      - record: {name}\n        expr: {json.dumps(expr)}\n"


def line_of(path: Path, fragment: str) -> int:
    lines = [number for number, line in enumerate(path.read_text().splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines} of {path}"
    return lines[0]


# --- the fixture cases: one planted problem each --------------------------------------------------

PLANTED = {
    "counter-compared-with-threshold": ("promql.counter-without-rate", "error", "rules/api.yml",
                                        "expr: sum by (job) (payment_failures_total"),
    "histogram-quantile-of-raw-buckets": ("promql.histogram-quantile-not-rate", "error", "rules/latency.yml",
                                          "expr: histogram_quantile(0.99, checkout_duration_seconds_bucket"),
    "histogram-quantile-drops-le": ("promql.histogram-quantile-not-rate", "error", "rules/latency.yml",
                                    "sum by (job) (rate(db_query_duration_seconds_bucket"),
    "ratio-divides-each-series-by-itself": ("promql.ratio-without-aggregation", "warning", "rules/errors.yml",
                                            'expr: rate(http_requests_total{job="api", status=~"5.."}[5m])'),
    "range-shorter-than-two-scrapes": ("promql.range-shorter-than-two-scrapes", "warning", "rules/queue.yml", "[45s]"),
    "alert-without-comparison": ("promql.no-comparison", "warning", "rules/disk.yml",
                                 "expr: 1 - node_filesystem_avail_bytes"),
    "absent-of-regex-selector": ("promql.absent-with-regex", "warning", "rules/targets.yml",
                                 'expr: absent(up{job=~"api|worker"})'),
    "for-shorter-than-evaluation": ("promql.for-shorter-than-evaluation", "warning", "rules/availability.yml",
                                    "- alert: ApiDown"),
}


def test_every_fixture_case_is_tested() -> None:
    assert sorted(path.name for path in CASES.iterdir() if path.is_dir()) == sorted([*PLANTED, "clean"])


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_the_planted_problem_is_the_one_finding_with_its_file_and_line(case: str) -> None:
    code, severity, rule_file, fragment = PLANTED[case]
    path = CASES / case / rule_file
    found = findings(discover([CASES / case]))
    assert [(finding.code, finding.severity, Path(finding.file).resolve(), finding.line) for finding in found] == [
        (code, severity, path.resolve(), line_of(path, fragment))]


def test_realistic_correct_rules_produce_no_finding() -> None:
    monitoring = discover([CASES / "clean"])
    assert len(monitoring.rules) > 20
    assert findings(monitoring) == []


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_finding_names_its_rule_and_says_what_to_do(case: str) -> None:
    (finding,) = findings(discover([CASES / case]))
    assert finding.subject.startswith("alert ")
    assert finding.message and finding.fix and not finding.message.endswith(".")


# --- counter-without-rate -------------------------------------------------------------------------

def test_a_counter_compared_with_a_threshold_is_an_error_that_quotes_it(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, 'errors_total{job="api"} > 5')
    assert (finding.code, finding.severity) == ("promql.counter-without-rate", "error")
    assert finding.subject == "alert Checked"
    assert '`errors_total{job="api"} > 5`' in finding.message
    assert 'increase(errors_total{job="api"}[5m]) > 5' in finding.fix


def test_a_counter_summed_and_scaled_before_the_comparison_is_still_its_total(tmp_path: Path) -> None:
    assert codes(check(tmp_path, "sum by (job) (errors_total) * 100 > 5")) == ["promql.counter-without-rate"]


def test_a_counter_as_the_whole_alert_expression_is_an_error(tmp_path: Path) -> None:
    assert codes(check(tmp_path, "errors_total")) == ["promql.counter-without-rate"]


@pytest.mark.parametrize("expr", [
    "rate(errors_total[5m]) > 1", "irate(errors_total[1m]) > 1", "increase(errors_total[1h]) > 10",
    "resets(errors_total[1h]) > 2", "changes(errors_total[1h]) > 2", "timestamp(errors_total) < time() - 600",
    "count_over_time(errors_total[5m]) < 3", "last_over_time(errors_total[5m]) < 3", "count(errors_total) > 5",
    "absent_over_time(errors_total[10m]) == 1", "errors_total - errors_total offset 1h > 5",
])
def test_a_counter_inside_a_function_that_reads_its_change_or_presence_is_fine(tmp_path: Path, expr: str) -> None:
    assert check(tmp_path, expr) == []


@pytest.mark.parametrize("expr", ["errors_total == 0", "errors_total < 1", "absent(errors_total) or errors_total == 0"])
def test_asking_whether_a_counter_never_moved_is_fine(tmp_path: Path, expr: str) -> None:
    assert check(tmp_path, expr) == []


def test_asking_whether_a_counter_ever_moved_is_only_a_warning(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, "disk_offline_total > 0")
    assert (finding.code, finding.severity) == ("promql.counter-without-rate", "warning")
    assert "gauge" in finding.message


def test_asking_whether_a_counter_ever_moved_beside_and_is_a_guard(tmp_path: Path) -> None:
    assert check(tmp_path, "tasks_failed_total > 0 and tasks_completed_total == 0") == []


def test_a_counter_compared_only_to_filter_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, "rate(errors_total[5m]) > 1 and requests_total > 1000") == []


@pytest.mark.parametrize("expr", [
    "time() - backup_last_success_timestamp_seconds > 3600", "time() - process_start_time_seconds < 300",
    "http_requests_created > 0", "count(up) < 3", "pg_stat_activity_count > 100",
])
def test_series_that_are_not_counters_are_fine(tmp_path: Path, expr: str) -> None:
    assert check(tmp_path, expr) == []


def test_the_count_of_a_histogram_is_a_counter(tmp_path: Path) -> None:
    assert codes(check(tmp_path, "http_request_duration_seconds_count > 1000")) == ["promql.counter-without-rate"]


def test_a_count_read_beside_its_buckets_is_a_counter(tmp_path: Path) -> None:
    before = recording("job:rpc:p99", "histogram_quantile(0.99, sum by (le) (rate(rpc_latency_bucket[5m])))")
    assert codes(check(tmp_path, "rpc_latency_count > 1000", before=before)) == ["promql.counter-without-rate"]


def test_typed_counters_are_counters_whatever_their_name(tmp_path: Path) -> None:
    assert codes(check(tmp_path, "jobs_processed > 100", typed_counters={"jobs_processed"})) == [
        "promql.counter-without-rate"]


def test_a_recorded_rate_is_not_a_counter(tmp_path: Path) -> None:
    before = recording("job:errors_total:rate5m", "sum by (job) (rate(errors_total[5m]))")
    assert check(tmp_path, "job:errors_total:rate5m > 5", before=before) == []


def test_a_recorded_sum_of_a_counter_is_a_counter(tmp_path: Path) -> None:
    before = recording("job:errors_total:sum", "sum by (job) (errors_total)")
    assert codes(check(tmp_path, "job:errors_total:sum > 5", before=before)) == ["promql.counter-without-rate"]


# --- histogram-quantile-not-rate ------------------------------------------------------------------

def test_histogram_quantile_of_a_recorded_bucket_rate_is_fine(tmp_path: Path) -> None:
    before = recording("job_le:request_duration_seconds_bucket:rate5m",
                       "sum by (job, le) (rate(request_duration_seconds_bucket[5m]))")
    expr = "histogram_quantile(0.9, job_le:request_duration_seconds_bucket:rate5m) > 1"
    assert check(tmp_path, expr, before=before) == []


@pytest.mark.parametrize("aggregation", ["sum", "sum without (le)", "sum without (instance, le)"])
def test_histogram_quantile_over_an_aggregation_without_le_is_an_error(tmp_path: Path, aggregation: str) -> None:
    expr = f"histogram_quantile(0.9, {aggregation} (rate(request_duration_seconds_bucket[5m]))) > 1"
    (finding,) = check(tmp_path, expr)
    assert finding.code == "promql.histogram-quantile-not-rate"
    assert "drops the `le` label" in finding.message


def test_histogram_quantile_over_an_aggregation_without_other_labels_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, "histogram_quantile(0.9, sum without (instance) (rate(x_seconds_bucket[5m]))) > 1") == []


def test_histogram_quantile_over_topk_keeps_le(tmp_path: Path) -> None:
    assert check(tmp_path, "histogram_quantile(0.9, topk(20, rate(x_seconds_bucket[5m]))) > 1") == []


def test_histogram_quantile_of_a_native_histogram_needs_no_le(tmp_path: Path) -> None:
    assert check(tmp_path, "histogram_quantile(0.9, sum by (job) (rate(request_duration_seconds[5m]))) > 1") == []


def test_dropping_le_from_recorded_buckets_is_an_error(tmp_path: Path) -> None:
    before = recording("instance_le:rpc_seconds:rate5m", "sum by (instance, le) (rate(rpc_seconds_bucket[5m]))")
    found = check(tmp_path, "histogram_quantile(0.9, sum by (job) (instance_le:rpc_seconds:rate5m)) > 1", before=before)
    assert codes(found) == ["promql.histogram-quantile-not-rate"]


# --- ratio-without-aggregation --------------------------------------------------------------------

def test_a_ratio_of_two_metrics_series_by_series_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, "rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05") == []


@pytest.mark.parametrize("expr", [
    "rate(requests_total[5m]) / rate(requests_total[5m] offset 1w) < 0.5",
    "rate(requests_total[5m]) / rate(requests_total[1h]) > 3",
    'sum(rate(requests_total{code=~"5.."}[5m])) / sum(rate(requests_total[5m])) > 0.05',
    'rate(requests_total{code=~"5.."}[5m]) / ignoring(code) group_left sum without (code) (rate(requests_total[5m]))'
    " > 0.05",
])
def test_a_metric_against_its_past_its_longer_window_or_its_aggregate_is_fine(tmp_path: Path, expr: str) -> None:
    assert check(tmp_path, expr) == []


def test_the_self_ratio_names_the_label_it_matches_on(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, "increase(requests_total{code='500'}[1h]) / increase(requests_total[1h]) > 0.01")
    assert finding.code == "promql.ratio-without-aggregation"
    assert "`code` included" in finding.message
    assert "requests_total{code='500'}" in finding.message  # the string as written, single quotes kept


# --- range-shorter-than-two-scrapes ---------------------------------------------------------------

def test_a_range_of_two_scrapes_is_enough(tmp_path: Path) -> None:
    assert check(tmp_path, "rate(errors_total[30s]) > 1") == []


def test_a_short_window_over_time_is_reported_too(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, "max_over_time(queue_depth[20s]) > 100")
    assert finding.code == "promql.range-shorter-than-two-scrapes"
    assert "max_over_time(queue_depth[1m])" in finding.fix


def test_the_shortest_job_scrape_interval_decides(tmp_path: Path) -> None:
    prometheus = """
    global: {scrape_interval: 1m, evaluation_interval: 1m}
    rule_files: [rules.yml]
    scrape_configs:
      - job_name: fast
        scrape_interval: 10s
        static_configs: [{targets: ["fast:8080"]}]
    """
    assert check(tmp_path, "rate(errors_total[30s]) > 1", prometheus=prometheus) == []


def test_without_a_prometheus_config_ranges_are_not_judged(tmp_path: Path) -> None:
    assert check(tmp_path, "rate(errors_total[30s]) > 1", prometheus=None) == []


def test_a_subquery_shorter_than_two_steps_is_reported(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, "max_over_time(rate(errors_total[1m])[1m:1m]) > 1")
    assert finding.code == "promql.range-shorter-than-two-scrapes"
    assert "subquery" in finding.message


def test_a_subquery_without_a_step_is_stepped_at_the_evaluation_interval(tmp_path: Path) -> None:
    assert codes(check(tmp_path, "max_over_time(rate(errors_total[1m])[45s:]) > 1")) == [
        "promql.range-shorter-than-two-scrapes"]
    assert check(tmp_path, "max_over_time(rate(errors_total[1m])[1m:]) > 1") == []


# --- no-comparison --------------------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    'absent(up{job="api"})', 'absent_over_time(up{job="api"}[10m])', "vector(1)",
    'ALERTS{alertname="ApiDown", alertstate="firing"}', "count by (job) (up offset 1h) unless count by (job) (up)",
    'up{job="api"} and on(instance) node_load1 > 4',
])
def test_alerts_whose_series_exist_only_when_something_is_wrong_need_no_comparison(tmp_path: Path, expr: str) -> None:
    assert check(tmp_path, expr) == []


def test_an_alert_on_a_recorded_comparison_needs_no_comparison(tmp_path: Path) -> None:
    before = recording("job:errors:too_many", "sum by (job) (rate(errors_total[5m])) > 5")
    assert check(tmp_path, "job:errors:too_many", before=before) == []


def test_an_alert_on_a_series_recorded_elsewhere_is_not_judged(tmp_path: Path) -> None:
    assert check(tmp_path, "slo:error_budget_burn:critical") == []


def test_a_recording_rule_needs_no_comparison(tmp_path: Path) -> None:
    assert check(tmp_path, "sum by (job) (rate(errors_total[5m]))", kind="record") == []


def test_an_alert_on_a_rate_without_threshold_fires_for_every_series(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, "topk(5, rate(errors_total[5m]))")
    assert (finding.code, finding.severity) == ("promql.no-comparison", "warning")


# --- absent-with-regex ----------------------------------------------------------------------------

def test_absent_over_time_of_a_negative_regex_is_reported(tmp_path: Path) -> None:
    (finding,) = check(tmp_path, 'absent_over_time(up{job!~"batch.*"}[10m])')
    assert finding.code == "promql.absent-with-regex"
    assert "`job`" in finding.message


def test_absent_of_equality_matchers_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, 'absent(up{job="api", instance="api:8080"})') == []


# --- for-shorter-than-evaluation ------------------------------------------------------------------

def rules_with_for(tmp_path: Path, for_: str, interval: str = "") -> list[Finding]:
    write(tmp_path / "prometheus.yml", PROMETHEUS)
    write(tmp_path / "rules.yml", f"""
    groups:
      - name: checked
        {f"interval: {interval}" if interval else ""}
        rules:
          - alert: Checked
            expr: up == 0
            for: {for_}
    """)
    return findings(discover([tmp_path]))


def test_for_shorter_than_the_group_interval_points_at_the_rule(tmp_path: Path) -> None:
    (finding,) = rules_with_for(tmp_path, "1m", interval="2m")
    assert finding.code == "promql.for-shorter-than-evaluation"
    assert finding.line == line_of(tmp_path / "rules.yml", "alert:")
    assert "(2m)" in finding.message


@pytest.mark.parametrize("for_", ["0s", "30s", "5m"])
def test_for_of_zero_or_at_least_the_evaluation_interval_is_fine(tmp_path: Path, for_: str) -> None:
    assert rules_with_for(tmp_path, for_) == []


# --- what is not judged here ----------------------------------------------------------------------

def test_a_rule_that_does_not_parse_is_left_to_promtool(tmp_path: Path) -> None:
    before = "      - alert: Broken\n        expr: 'rate(errors_total[5m] > '\n"
    assert codes(check(tmp_path, "errors_total > 5", before=before)) == ["promql.counter-without-rate"]
