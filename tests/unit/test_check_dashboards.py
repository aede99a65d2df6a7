"""Grafana dashboards read into panels and Prometheus queries: every layout, every variable syntax, the right lines."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.check import dashboards, templating
from harness.check.selectors import parse
from harness.errors import InvalidInput

SCRAPE = timedelta(seconds=15)


def write(tmp_path: Path, dashboard: dict, name: str = "dashboard.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(dashboard, indent=2))
    return path


def panel(title: str, *exprs: str, datasource: object = None, **extra: object) -> dict:
    targets = [{"expr": expr, "refId": chr(ord("A") + index)} for index, expr in enumerate(exprs)]
    return {"title": title, "type": "timeseries", "datasource": datasource, "targets": targets, **extra}


def expanded(dashboard: dashboards.Dashboard, expr: str) -> str:
    bindings = {variable.name: templating.binding(variable, SCRAPE) for variable in dashboard.variables}
    return templating.expand(expr, bindings, templating.builtins(SCRAPE, dashboard.title))


def test_panels_of_collapsed_rows_and_of_old_rows_are_all_found(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "title": "Mixed layouts",
        "panels": [
            panel("Top", "up"),
            {"type": "row", "title": "Collapsed", "collapsed": True, "panels": [panel("Inside", "up{job='a'}")]},
        ],
        "rows": [{"title": "Old row", "panels": [panel("Old", "up{job='b'}")]}],
    })

    read = dashboards.read(path)

    assert [p.title for p in read.panels] == ["Top", "Inside", "Old"]
    assert [t.expr for p in read.panels for t in p.targets] == ["up", "up{job='a'}", "up{job='b'}"]


def test_a_dashboard_exported_through_the_api_is_unwrapped(tmp_path: Path) -> None:
    path = write(tmp_path, {"dashboard": {"title": "Wrapped", "panels": [panel("P", "up")]}, "meta": {}})

    read = dashboards.read(path)

    assert read.title == "Wrapped"
    assert '"expr": "up"' in path.read_text().splitlines()[read.panels[0].targets[0].line - 1]


def test_loki_and_other_datasources_are_left_out_prometheus_ones_kept(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "title": "Logs and metrics",
        "__inputs": [{"name": "DS_LOGS", "pluginId": "loki"}, {"name": "DS_PROM", "pluginId": "prometheus"}],
        "templating": {"list": [{"name": "loki_ds", "type": "datasource", "query": "loki"}]},
        "panels": [
            panel("typed loki", '{app="x"} |= "error"', datasource={"type": "loki", "uid": "abc"}),
            panel("loki by variable", 'rate({app="x"}[5m])', datasource="$loki_ds"),
            panel("loki by input", 'rate({app="x"}[5m])', datasource="${DS_LOGS}"),
            panel("prometheus by input", "up", datasource={"uid": "${DS_PROM}"}),
            panel("named", "up", datasource="Metrics"),
            panel("default", "up"),
            {"title": "mixed", "datasource": "-- Mixed --", "targets": [
                {"expr": "up", "datasource": {"type": "prometheus", "uid": "p"}},
                {"expr": '{app="x"}', "datasource": {"type": "loki", "uid": "l"}},
            ]},
        ],
    })

    read = dashboards.read(path)

    kept = {p.title: [t.expr for t in p.prometheus_targets] for p in read.panels}
    assert kept == {"typed loki": [], "loki by variable": [], "loki by input": [], "prometheus by input": ["up"],
                    "named": ["up"], "default": ["up"], "mixed": ["up"]}


def test_hidden_and_empty_targets_are_not_queries(tmp_path: Path) -> None:
    path = write(tmp_path, {"title": "T", "panels": [{"title": "P", "targets": [
        {"expr": "up", "hide": True}, {"expr": "  "}, {"expr": "rate(x[5m])"}]}]})

    assert [t.expr for t in dashboards.read(path).panels[0].prometheus_targets] == ["rate(x[5m])"]


def test_the_line_of_a_query_is_the_line_of_its_expr_whatever_the_escaping(tmp_path: Path) -> None:
    expr = 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.5 < 1 & "é"'
    text = json.dumps({"title": "T", "panels": [panel("first", "up"), panel("second", expr)]}, indent=1)
    text = text.replace(">", "\\u003e").replace("<", "\\u003c")  # as Go's encoder writes it
    path = tmp_path / "escaped.json"
    path.write_text(text)

    target = dashboards.read(path).panels[1].targets[0]

    assert target.expr == expr
    assert '"expr"' in text.splitlines()[target.line - 1] and "\\u003e" in text.splitlines()[target.line - 1]


def test_a_panel_is_placed_at_its_title(tmp_path: Path) -> None:
    path = write(tmp_path, {"title": "T", "panels": [panel("Request rate", "up")]})

    line = dashboards.read(path).panels[0].line

    assert path.read_text().splitlines()[line - 1].strip() == '"title": "Request rate",'


def test_a_file_that_is_not_json_is_invalid_input_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"panels": [')

    with pytest.raises(InvalidInput, match="broken.json: not a JSON dashboard"):
        dashboards.read(path)


def variables(*items: dict) -> dict:
    return {"list": list(items)}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param('up{job="$job"}', 'up{job="api"}', id="dollar"),
        pytest.param('up{job="${job}"}', 'up{job="api"}', id="braces"),
        pytest.param('up{job="[[job]]"}', 'up{job="api"}', id="old-brackets"),
        pytest.param('up{job=~"${job:regex}"}', 'up{job=~"api"}', id="regex-format"),
        pytest.param('up{job=~"${job:pipe}"}', 'up{job=~"api"}', id="pipe-format"),
        pytest.param('up{instance=~"$node"}', 'up{instance=~"(a\\\\.1|b\\\\.2)"}', id="multi-is-regex-escaped"),
        pytest.param('up{instance=~"${node:regex}"}', 'up{instance=~"(a\\.1|b\\.2)"}', id="regex-format-one-backslash"),
        pytest.param('up{env=~"$env"}', 'up{env=~".+"}', id="all-with-all-value"),
        pytest.param('up{zone=~"$zone"}', 'up{zone=~"(eu|us)"}', id="all-without-all-value"),
        pytest.param('rate(x[$__rate_interval])', "rate(x[1m])", id="rate-interval"),
        pytest.param('rate(x[$__interval])', "rate(x[15s])", id="interval"),
        pytest.param('increase(x[$__range])', "increase(x[1h])", id="range"),
        pytest.param('x / $__interval_ms', "x / 15000", id="interval-ms"),
        pytest.param('rate(x[$window])', "rate(x[5m])", id="interval-variable"),
        pytest.param('rate(x[$auto])', "rate(x[15s])", id="auto-interval-variable"),
        pytest.param('x{q="$text"}', 'x{q="hello"}', id="textbox"),
        pytest.param('x{c="$const"}', 'x{c="fixed"}', id="constant"),
        pytest.param('label_replace(x, "a", "$1", "b", "(.*)")', 'label_replace(x, "a", "$1", "b", "(.*)")',
                     id="unknown-names-kept"),
        pytest.param('x{pod=~"$pod.*"}', f'x{{pod=~"{templating.UNKNOWN}.*"}}', id="unresolved-query-variable"),
    ],
)
def test_template_variables_expand_as_grafana_would(tmp_path: Path, written: str, expected: str) -> None:
    path = write(tmp_path, {"title": "Vars", "panels": [panel("P", written)], "templating": variables(
        {"name": "job", "type": "query", "query": "label_values(up, job)", "current": {"text": "api", "value": "api"}},
        {"name": "node", "type": "custom", "multi": True, "query": "a.1,b.2",
         "current": {"text": ["a.1", "b.2"], "value": ["a.1", "b.2"]}},
        {"name": "env", "type": "query", "includeAll": True, "allValue": ".+", "query": {"query": "label_values(env)"},
         "current": {"text": "All", "value": "$__all"}},
        {"name": "zone", "type": "custom", "includeAll": True, "query": "eu,us", "current": {"text": ["All"], "value": ["$__all"]}},
        {"name": "window", "type": "interval", "query": "1m,5m", "current": {"text": "5m", "value": "5m"}},
        {"name": "auto", "type": "interval", "query": "1m,5m", "current": {"value": "$__auto_interval_auto"}},
        {"name": "text", "type": "textbox", "query": "hello"},
        {"name": "const", "type": "constant", "query": "fixed"},
        {"name": "pod", "type": "query", "query": "label_values(kube_pod_info, pod)", "current": {}},
    )})

    read = dashboards.read(path)
    result = expanded(read, read.panels[0].targets[0].expr)

    assert result == expected
    parse(result)  # still PromQL


def test_a_current_value_no_longer_offered_gives_way_to_the_first_option() -> None:
    variable = templating.read_variables(variables(
        {"name": "job", "type": "query", "query": "label_values(up, job)", "current": {"value": "gone"}}))[0]

    assert templating.binding(variable.with_options(("app", "node")), SCRAPE).values == ("app",)
    assert templating.binding(variable.with_options(("gone", "node")), SCRAPE).values == ("gone",)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label_values(job)", templating.VariableQuery("label_values", "job")),
        ('label_values(up{env="a"}, instance)', templating.VariableQuery("label_values", "instance", 'up{env="a"}')),
        ("label_names()", templating.VariableQuery("label_names")),
        ("metrics(node_.*)", templating.VariableQuery("metrics", pattern="node_.*")),
        ("query_result(topk(5, up))", None),
    ],
)
def test_query_variables_are_read_for_the_api(query: str, expected: templating.VariableQuery | None) -> None:
    assert templating.variable_query(query) == expected


def test_a_variable_regex_keeps_matches_or_their_group() -> None:
    assert templating.apply_regex(["node-1:9100", "node-2:9100", "db"], "/(node-\\d+):.*/") == ("node-1", "node-2")
    assert templating.apply_regex(["a", "b"], "") == ("a", "b")


KEYS = ["panels", "rows", "targets", "expr", "datasource", "title", "type", "templating", "list", "name", "query",
        "current", "value", "text", "options", "uid", "hide", "refId", "multi", "includeAll", "allValue", "regex",
        "dashboard", "__inputs", "pluginId", "collapsed", "libraryPanel"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["", "$x", "${x:regex}", "[[x]]", "up", "$__all", "loki"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_is_read_as_a_dashboard_or_refused_as_invalid_input(data: object) -> None:
    text = json.dumps(data, indent=1)
    try:
        read = dashboards.parse(text, Path("fuzz.json"))
    except InvalidInput:
        return
    lines = text.count("\n") + 1
    for each in read.panels:
        assert 1 <= each.line <= lines
        for target in each.targets:
            assert 1 <= target.line <= lines
            expanded(read, target.expr)
