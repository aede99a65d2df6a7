"""report.md survives any PromQL: `|`, `||` and backticks stay inside their table cell and code span."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import alertmanager_settings, prometheus_settings, scenario
from markdown_it import MarkdownIt

from harness import report
from harness.expectations import Verdict
from harness.reporting.markdown import cell, code
from harness.runner import ScenarioResult

HOSTILE = [
    'sum(rate(http_requests_total{route=~"/a|/b"}[1m]))',
    "up == 0 || vector(1)",
    "label_replace(up, `dst`, `$1`, `src`, `(.*)`)",
    "x{a=~`p|q`} or y",
    "trailing backslash \\",
]


def _rendered_tables(markdown: str) -> list[list[list[str]]]:
    """Every table of `markdown` as GitHub renders it: rows of cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type in ("th_open", "td_open"):
            inline = tokens[index + 1]
            tables[-1][-1].append("".join(child.content for child in inline.children or []))
    return tables


@pytest.mark.parametrize("promql", HOSTILE)
def test_promql_in_a_table_cell_stays_one_cell_with_its_text(promql: str) -> None:
    markdown = f"| a | b | c |\n|---|---|---|\n| left | {cell(promql)} | right |\n"
    (table,) = _rendered_tables(markdown)
    assert table[1] == ["left", promql, "right"]


@pytest.mark.parametrize("promql", HOSTILE)
def test_promql_in_a_code_span_comes_back_verbatim(promql: str) -> None:
    tokens = MarkdownIt("commonmark").parse(f"as run: {code(promql)}\n")
    spans = [child.content for token in tokens if token.type == "inline" for child in token.children or []
             if child.type == "code_inline"]
    assert spans == [promql.strip() if promql.strip() != promql else promql]


def test_a_verdict_about_hostile_promql_keeps_the_verdict_table_eight_columns_wide(tmp_path: Path) -> None:
    query = 'sum(rate(x{route=~`/a|/b`}[1m])) || up'
    result = ScenarioResult(scenario({"type": "metric_present", "query": "up", "within": "1m"}),
                            [Verdict(f"metric `{query}` is scraped", "metric_present", False,
                                     "the query never returned a series | not once")])
    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, [result],
                           prometheus=prometheus_settings(), alertmanager=alertmanager_settings())

    markdown = report.write(run).read_text()

    verdict_tables = [t for t in _rendered_tables(markdown) if t and t[0][:2] == ["", "expectation"]]
    (table,) = verdict_tables
    assert all(len(row) == 8 for row in table)
    assert table[1][7] == "the query never returned a series | not once"
    assert "/a|/b" in table[1][1]
