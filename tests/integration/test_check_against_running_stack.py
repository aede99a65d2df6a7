"""`harness check --live` against the default stack on real containers, booted once for the module.

The fixtures in tests/fixtures/check/live are a team's own files: a rule and a panel that misspell
the sample app's latency histogram, a panel that asks for a job the stack does not have, and a
clean dashboard (template variables, `$__rate_interval`) that must give nothing. The default
stack's own rules must read only metrics its targets expose. The negative control stops an
exporter and expects its job named as down.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import engine, polling
from harness.check import live
from harness.check.findings import Finding
from harness.check.sources import discover
from harness.gate import new_run_id
from harness.stack import RunningStack, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = ROOT / "compose" / "docker-compose.yml"
FIXTURES = ROOT / "tests" / "fixtures" / "check" / "live"
#: High enough that the stack scrapes every 375 ms: a stopped target is seen down within a second.
SCALE = TimeScale(40)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    engine.configure_testcontainers()
    default = load_stack(DEFAULT_STACK)
    run_dir = tmp_path_factory.mktemp("check-live")
    rendered = render_configs(default, run_dir, SCALE)
    with running_stack(default, rendered, SCALE, new_run_id(), run_dir) as running:
        yield running


@pytest.fixture(scope="module")
def fixture_findings(stack: RunningStack) -> list[Finding]:
    return live.findings(discover([FIXTURES]), stack.url_of_role("prometheus"))


def about(found: list[Finding], code: str, file: str) -> list[Finding]:
    return [finding for finding in found if finding.code == code and Path(finding.file).name == file]


def test_a_misspelled_metric_in_a_rule_is_named_with_the_histogram_the_app_exposes(fixture_findings: list[Finding]) -> None:
    [finding] = about(fixture_findings, "live.selector-no-series", "latency-rules.yml")

    assert finding.subject == "alert SlowRequests"
    assert finding.message.startswith("`http_request_duration_ms_bucket` does not exist")
    assert finding.message.endswith("`http_request_duration_seconds_bucket` does")
    assert finding.line == 8  # the selector's own line inside the `expr: |` block


def test_a_panel_with_a_misspelled_metric_would_show_no_data(fixture_findings: list[Finding]) -> None:
    no_data = about(fixture_findings, "live.dashboard-no-data", "api-broken-dashboard.json")

    assert [f.subject for f in no_data] == ["panel 'Request latency p95' of dashboard 'API (broken)'",
                                            "panel 'Requests of the api job' of dashboard 'API (broken)'"]
    assert no_data[0].message.endswith("would show No data: `http_request_duration_ms_bucket` does not exist (no series in the last 1h)")


def test_a_panel_in_a_collapsed_row_asking_for_a_job_there_is_not_names_the_jobs_there_are(
    fixture_findings: list[Finding],
) -> None:
    [finding] = [f for f in about(fixture_findings, "live.selector-no-series", "api-broken-dashboard.json")
                 if "Requests of the api job" in f.subject]

    assert finding.message.startswith('no series of `http_requests_total` has `job="api"`: the known job values are app')
    assert finding.fix == 'use `job="app"` if that is what is meant'


def test_a_clean_dashboard_with_variables_and_rate_interval_gives_no_finding(fixture_findings: list[Finding]) -> None:
    assert [f for f in fixture_findings if Path(f.file).name == "api-dashboard.json"] == []


def test_the_default_stack_rules_read_only_metrics_its_targets_expose(stack: RunningStack) -> None:
    found = live.findings(discover([ROOT / "compose"]), stack.url_of_role("prometheus"))

    selectors = [f for f in found if f.code == "live.selector-no-series"]
    assert [f for f in selectors if f.severity == "error"] == []
    assert [f.message for f in selectors if "does not exist" in f.message] == []
    assert [f for f in found if f.code == "live.target-down"] == []


def test_a_stopped_exporter_is_a_target_down_naming_its_job(stack: RunningStack) -> None:
    monitoring = discover([ROOT / "compose"])
    exporter = stack.container("node-exporter")
    exporter.stop(timeout=1)
    try:
        down = polling.wait_for(
            lambda: [f for f in live.findings(monitoring, stack.url_of_role("prometheus"))
                     if f.code == "live.target-down" and f.severity == "error"] or None,
            timeout=15, describe="Prometheus to see node-exporter down",
        )
    finally:
        exporter.start()

    assert [f.subject for f in down] == ["job node"]
    assert down[0].message.startswith("target node-exporter:9100 of job `node` is down: ")
    assert Path(down[0].file).name == "prometheus.yml"
    lines = (ROOT / "compose" / "prometheus" / "prometheus.yml").read_text().splitlines()
    assert lines[down[0].line - 1].strip() == "- job_name: node"
