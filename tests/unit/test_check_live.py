"""`harness check --live` against a small fake Prometheus API (httpx.MockTransport): what it finds and says."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import httpx
import promql_parser
import pytest

from harness.check import live
from harness.check.findings import Finding
from harness.check.prometheus_api import PrometheusError
from harness.check.sources import discover

URL = "http://127.0.0.1:9090"
APP = {"job": "app", "instance": "app:8000", "service": "app"}
SERIES = [
    *({"__name__": "http_requests_total", **APP, "method": "GET", "route": "/", "status": s} for s in ("200", "404", "500")),
    *({"__name__": "http_request_duration_seconds_bucket", **APP, "method": "GET", "route": "/", "le": le} for le in ("0.1", "+Inf")),
    {"__name__": "http_request_duration_seconds_count", **APP, "method": "GET", "route": "/"},
    {"__name__": "http_request_duration_seconds_sum", **APP, "method": "GET", "route": "/"},
    {"__name__": "up", **APP},
    {"__name__": "up", "job": "node", "instance": "node-exporter:9100"},
    {"__name__": "node_load1", "job": "node", "instance": "node-exporter:9100"},
    {"__name__": "job:http_errors:ratio5m", "job": "app", "service": "app"},
]
METADATA = {
    "http_requests": [{"type": "counter", "help": "", "unit": ""}],
    "http_request_duration_seconds": [{"type": "histogram", "help": "", "unit": ""}],
    "node_load1": [{"type": "gauge", "help": "", "unit": ""}],
}
UP_TARGETS = [
    {"labels": {"job": "app", "instance": "app:8000"}, "scrapePool": "app", "health": "up", "lastError": ""},
    {"labels": {"job": "node", "instance": "node-exporter:9100"}, "scrapePool": "node", "health": "up", "lastError": ""},
]
PROMETHEUS_YML = """\
global:
  scrape_interval: 15s
rule_files: [rules.yml]
scrape_configs:
  - job_name: app
    static_configs: [{targets: ["app:8000"]}]
  - job_name: node
    static_configs: [{targets: ["node-exporter:9100"]}]
"""


class FakePrometheus:
    """Answers the API paths the live check uses from a list of series; records every request."""

    def __init__(self, series: list[dict[str, str]] = SERIES, targets: list[dict] = UP_TARGETS) -> None:
        self.series = series
        self.targets = targets
        self.requests: list[httpx.Request] = []

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.answer))

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        selected = self._selected(request.url.params.get_list("match[]"))
        if path == "/api/v1/series":
            return ok(selected)
        if path == "/api/v1/labels":
            return ok(sorted({label for series in selected for label in series}))
        if found := re.fullmatch(r"/api/v1/label/([^/]+)/values", path):
            return ok(sorted({series[found.group(1)] for series in selected if found.group(1) in series}))
        if path == "/api/v1/targets":
            return ok({"activeTargets": self.targets, "droppedTargets": []})
        if path == "/api/v1/metadata":
            return ok(METADATA)
        return httpx.Response(404, text="404 page not found")

    def asked(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]

    def _selected(self, matches: list[str]) -> list[dict[str, str]]:
        if not matches:
            return self.series
        return [series for series in self.series if any(_matches(series, match) for match in matches)]


def _matches(series: dict[str, str], selector: str) -> bool:
    node = promql_parser.parse(selector)
    if node.name and series.get("__name__") != node.name:
        return False
    for matcher in node.matchers.matchers:
        value, op = series.get(matcher.name, ""), str(matcher.op).rsplit(".", 1)[-1]
        found = {"Equal": value == matcher.value, "NotEqual": value != matcher.value,
                 "Re": re.fullmatch(matcher.value, value) is not None, "NotRe": re.fullmatch(matcher.value, value) is None}
        if not found[op]:
            return False
    return True


def ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


def rules_file(*rules: tuple[str, str, str]) -> str:
    """A rule file of (kind, name, expr) with each expr as a block scalar."""
    lines = ["groups:", "  - name: test", "    rules:"]
    for kind, name, expr in rules:
        lines += [f"      - {kind}: {name}", "        expr: |"]
        lines += [f"          {line}" for line in textwrap.dedent(expr).strip().splitlines()]
    return "\n".join(lines) + "\n"


def check(tmp_path: Path, rules: str = "", dashboards: dict[str, dict] | None = None,
          fake: FakePrometheus | None = None, **options: object) -> list[Finding]:
    (tmp_path / "prometheus.yml").write_text(PROMETHEUS_YML)
    (tmp_path / "rules.yml").write_text(rules or rules_file())
    for name, dashboard in (dashboards or {}).items():
        (tmp_path / name).write_text(json.dumps(dashboard, indent=2))
    fake = fake or FakePrometheus()
    return live.findings(discover([tmp_path]), URL, fake.client(), **options)  # type: ignore[arg-type]


def coded(found: list[Finding], code: str) -> list[Finding]:
    return [finding for finding in found if finding.code == code]


def line_of(path: Path, text: str) -> int:
    return next(index for index, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_misspelled_metric_is_named_with_the_metric_that_exists_at_its_line(tmp_path: Path) -> None:
    rules = rules_file(("alert", "SlowRequests", """
        histogram_quantile(0.95,
          sum by (le) (rate(http_request_duration_ms_bucket{job="app"}[5m]))) > 0.5
    """))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.severity == "warning"
    assert finding.subject == "alert SlowRequests"
    assert finding.message.startswith("`http_request_duration_ms_bucket` does not exist (no series in the last 1h); "
                                      "`http_request_duration_seconds_bucket`")
    assert "use `http_request_duration_seconds_bucket`" in finding.fix
    assert finding.line == line_of(tmp_path / "rules.yml", "http_request_duration_ms_bucket")


def test_a_matcher_that_matches_no_value_is_named_with_the_values_there_are(tmp_path: Path) -> None:
    rules = rules_file(("alert", "AppDown", 'up{job="api"} == 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.message == 'no series of `up` has `job="api"`: the known job values are app, node'
    assert finding.line == line_of(tmp_path / "rules.yml", 'up{job="api"}')


def test_a_close_label_value_is_suggested(tmp_path: Path) -> None:
    rules = rules_file(("alert", "AppDown", 'up{job="api"} == 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.fix == 'use `job="app"` if that is what is meant'


def test_a_missing_target_label_value_is_not_taken_for_an_event_not_seen_yet(tmp_path: Path) -> None:
    rules = rules_file(("alert", "Errors", 'rate(http_requests_total{job="api"}[5m]) > 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert "event" not in finding.message and "at 0" not in finding.fix


def test_a_label_the_metric_does_not_have_is_named_with_the_labels_it_has(tmp_path: Path) -> None:
    rules = rules_file(("alert", "Errors", 'rate(http_requests_total{code=~"5.."}[5m]) > 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.message.startswith('no series of `http_requests_total` has a label `code` (so `code=~"5.."` matches nothing); '
                                      "its labels are instance, job, method, route, service, status")


def test_an_event_label_value_not_seen_yet_is_a_warning_that_says_it_may_come(tmp_path: Path) -> None:
    rules = rules_file(("alert", "Unavailable", 'rate(http_requests_total{status="503"}[5m]) > 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.severity == "warning"
    assert "the known status values are 200, 404, 500" in finding.message
    assert "only once the event has happened" in finding.message
    assert finding.fix.startswith("match one of the status values there are; or have the exporter create that series at 0")


def test_matchers_that_each_match_but_not_together_are_said_so(tmp_path: Path) -> None:
    rules = rules_file(("alert", "Odd", 'up{job="node", instance="app:8000"} == 0'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.message.startswith('no series of `up` matches `job="node"`, `instance="app:8000"` together')


def test_a_recorded_name_with_no_series_yet_is_information(tmp_path: Path) -> None:
    rules = rules_file(
        ("record", "job:http_latency:p95", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"),
        ("alert", "Slow", "job:http_latency:p95 > 1"),
    )

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert (finding.severity, finding.subject) == ("info", "alert Slow")
    assert finding.message.startswith("`job:http_latency:p95` has no series yet: the recording rule job:http_latency:p95 (rules.yml:")


def test_alerts_without_an_active_alert_is_a_warning_that_says_why(tmp_path: Path) -> None:
    rules = rules_file(("alert", "TooManyAlerts", 'count(ALERTS{alertstate="firing"}) > 10'))

    [finding] = coded(check(tmp_path, rules), "live.selector-no-series")

    assert finding.severity == "warning"
    assert "only while some alert is pending or firing" in finding.message


def test_rules_whose_selectors_have_series_give_no_finding(tmp_path: Path) -> None:
    rules = rules_file(
        ("alert", "Errors", 'sum(rate(http_requests_total{job="app", status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.1'),
        ("alert", "Load", "node_load1 offset 5m > 4 and on() vector(1)"),
        ("alert", "Ratio", "job:http_errors:ratio5m > 0.1"),
    )

    assert check(tmp_path, rules) == []


def test_a_selector_used_twice_is_asked_once(tmp_path: Path) -> None:
    fake = FakePrometheus()
    rules = rules_file(("alert", "A", 'up{job="app"} == 0'), ("alert", "B", 'up{job="app"} == 1'))

    check(tmp_path, rules, fake=fake)

    assert len(fake.asked("/api/v1/series")) == 1


def dashboard(*panels: dict, variables: list[dict] | None = None, title: str = "API") -> dict:
    return {"title": title, "panels": list(panels), "templating": {"list": variables or []}}


def panel(title: str, *exprs: str) -> dict:
    return {"title": title, "type": "timeseries", "datasource": {"type": "prometheus", "uid": "prom"},
            "targets": [{"expr": expr, "refId": chr(65 + index)} for index, expr in enumerate(exprs)]}


def test_a_panel_whose_every_query_reads_nothing_would_show_no_data(tmp_path: Path) -> None:
    board = dashboard(panel("Request rate", "sum(rate(http_request_total[$__rate_interval]))"))

    found = check(tmp_path, dashboards={"api.json": board})

    [selector] = coded(found, "live.selector-no-series")
    [no_data] = coded(found, "live.dashboard-no-data")
    assert selector.message.startswith("`http_request_total` does not exist (no series in the last 1h); `http_requests_total`")
    assert selector.line == line_of(tmp_path / "api.json", "http_request_total[")
    assert selector.subject == "panel 'Request rate' of dashboard 'API'"
    assert no_data.message == "panel 'Request rate' of dashboard 'API' would show No data: `http_request_total` does not exist (no series in the last 1h)"
    assert no_data.line == line_of(tmp_path / "api.json", '"title": "Request rate"')


def test_a_panel_with_one_query_that_reads_something_shows_data(tmp_path: Path) -> None:
    board = dashboard(panel("Mixed", "sum(rate(http_request_total[5m]))", "sum(rate(http_requests_total[5m]))"),
                      panel("Fallback", "sum(rate(http_request_total[5m])) or vector(0)"))

    found = check(tmp_path, dashboards={"api.json": board})

    assert coded(found, "live.dashboard-no-data") == []
    assert len(coded(found, "live.selector-no-series")) == 2


def test_a_query_variable_is_resolved_through_the_api_and_its_stale_value_replaced(tmp_path: Path) -> None:
    fake = FakePrometheus()
    variables = [{"name": "job", "type": "query", "datasource": {"type": "prometheus"},
                  "query": {"query": "label_values(up, job)", "refId": "v"}, "current": {"text": "prod", "value": "prod"}},
                 {"name": "instance", "type": "query", "query": 'label_values(up{job="$job"}, instance)',
                  "multi": True, "includeAll": True, "current": {"text": "All", "value": "$__all"}}]
    board = dashboard(panel("Up", 'up{job="$job", instance=~"$instance"}',
                            'rate(http_requests_total{job="$job"}[$__rate_interval])'), variables=variables)

    found = check(tmp_path, dashboards={"api.json": board}, fake=fake)

    assert found == []
    asked = [request.url.params.get("match[]") for request in fake.asked("/api/v1/label/instance/values")]
    assert asked == ['up{job="app"}']


def test_a_query_that_is_not_promql_is_information_not_a_crash(tmp_path: Path) -> None:
    board = dashboard(panel("Top", "topk_max(5, rate(http_requests_total[5m]))"))

    [finding] = check(tmp_path, dashboards={"vm.json": board})

    assert (finding.code, finding.severity) == ("live.dashboard-query-unread", "info")
    assert "query A is not PromQL" in finding.message


def test_a_target_down_is_an_error_at_its_scrape_config(tmp_path: Path) -> None:
    targets = [UP_TARGETS[0], {"labels": {"job": "node", "instance": "node-exporter:9100"}, "scrapePool": "node",
                               "health": "down", "lastError": "dial tcp: lookup node-exporter: no such host"}]

    [finding] = check(tmp_path, fake=FakePrometheus(targets=targets))

    assert (finding.code, finding.severity, finding.subject) == ("live.target-down", "error", "job node")
    assert finding.message == "target node-exporter:9100 of job `node` is down: dial tcp: lookup node-exporter: no such host"
    assert (finding.file, finding.line) == (str(tmp_path / "prometheus.yml"), line_of(tmp_path / "prometheus.yml", "job_name: node"))


def test_a_target_not_scraped_yet_is_information(tmp_path: Path) -> None:
    targets = [{**UP_TARGETS[0], "health": "unknown"}]

    [finding] = check(tmp_path, fake=FakePrometheus(targets=targets))

    assert (finding.code, finding.severity) == ("live.target-down", "info")


def test_the_number_of_queries_is_bounded_and_what_was_not_checked_is_said(tmp_path: Path) -> None:
    fake = FakePrometheus()
    rules = rules_file(*[("alert", f"A{n}", f'up{{job="j{n}"}} == 0') for n in range(20)])

    found = check(tmp_path, rules, fake=fake, max_queries=10)

    assert len(fake.requests) == 10
    [stopped] = coded(found, "live.not-checked")
    assert stopped.message.startswith("stopped after 10 queries")


def failing(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(answer))


def test_a_prometheus_that_does_not_answer_is_a_run_failure_naming_it(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    (tmp_path / "rules.yml").write_text(rules_file(("alert", "A", "up == 0")))

    with pytest.raises(PrometheusError, match=r"Prometheus at http://127.0.0.1:9090 does not answer: Connection refused"):
        live.findings(discover([tmp_path]), URL, failing(refuse))


def test_a_url_that_is_not_the_prometheus_api_says_so(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(rules_file(("alert", "A", "up == 0")))

    with pytest.raises(PrometheusError, match=r"answered GET /api/v1/targets with HTTP 404.*Hint: the URL must be Prometheus's own base URL"):
        live.findings(discover([tmp_path]), URL, failing(lambda _: httpx.Response(404, text="<html>Grafana</html>")))


def test_counter_metrics_come_from_the_metadata_with_their_series_names() -> None:
    counters = live.counter_metrics(URL, FakePrometheus().client())

    assert counters == {"http_requests", "http_requests_total", "http_request_duration_seconds_bucket",
                        "http_request_duration_seconds_count", "http_request_duration_seconds_sum"}
