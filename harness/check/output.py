"""`harness check` output: a table grouped by file, JSON, or SARIF 2.1.0 for code scanning in CI."""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.check.findings import Finding
from harness.check.run import CheckResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_table(result: CheckResult, console: Console, show_matrix: bool = True) -> None:
    """Findings grouped by file as `line severity about: what [code]` with the fix below, the routing matrix, a summary."""
    for file, grouped in groupby(result.findings, key=lambda finding: finding.file):
        console.print(f"[bold]{file}[/]", highlight=False)
        for finding in grouped:
            console.print(f"  {finding.line:>4}  [{_STYLE[finding.severity]}]{finding.severity:<7}[/] "
                          f"{escape(finding.subject)}: {escape(finding.message)} [dim]\\[{finding.code}][/]", highlight=False)
            console.print(f"        [dim]fix:[/] {escape(finding.fix)}", highlight=False)
    if result.accepted:
        console.print(f"[bold]accepted[/] in {result.waivers} ({len(result.accepted)}, not counted):", highlight=False)
        for item in result.accepted:
            finding = item.finding
            console.print(f"  [dim]{finding.file}:{finding.line} {finding.severity} {escape(finding.subject)} "
                          f"\\[{finding.code}]: {escape(item.reason)}[/]", highlight=False)
    if show_matrix and result.matrix is not None and result.matrix.rows:
        _print_matrix(result, console)
    counts = result.counts()
    console.print(
        f"{len(result.monitoring.rules)} rules, {len(result.monitoring.rule_files)} rule files, "
        f"{len(result.monitoring.dashboards)} dashboards checked in {result.seconds:.2f} s"
        f"{' (static and live)' if result.live else ' (static)'}: "
        f"[bold red]{counts['error']} error(s)[/], [yellow]{counts['warning']} warning(s)[/], {counts['info']} info"
        + (f", {len(result.accepted)} accepted" if result.accepted else ""),
        highlight=False,
    )


def _print_matrix(result: CheckResult, console: Console) -> None:
    matrix = result.matrix
    assert matrix is not None
    checked = "amtool agrees on every row" if matrix.amtool_checked and all(
        row.amtool == row.receivers for row in matrix.rows) else "not checked with amtool" if not matrix.amtool_checked \
        else "amtool disagrees on some rows (see findings)"
    console.print(f"[bold]routing matrix[/] ({len(matrix.rows)} alerting rules x {len(matrix.receivers)} receivers; "
                  f"{checked})", highlight=False)
    width = max(len(row.alert) for row in matrix.rows)
    for row in matrix.rows:
        maybe = [receiver for receiver in row.possible if receiver not in row.receivers]
        extra = f"  [dim](or {', '.join(maybe)}, depending on {', '.join(row.depends_on)})[/]" if maybe else ""
        console.print(f"  {row.alert:<{width}}  -> {', '.join(row.receivers) or '(nothing)'}{extra}", highlight=False)


def as_json(result: CheckResult) -> str:
    return json.dumps(result.as_json(), indent=2, ensure_ascii=False)


def as_sarif(result: CheckResult) -> str:
    """SARIF 2.1.0: one run, one rule per finding code, one result per finding."""
    codes = sorted({finding.code for finding in result.findings})
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "harness check",
            "rules": [{"id": code, "name": code.replace(".", "/"), "shortDescription": {"text": _example(result, code)}}
                      for code in codes],
        }},
        "results": [_sarif_result(finding) for finding in result.findings],
    }
    return json.dumps({"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [run]}, indent=2, ensure_ascii=False)


def _example(result: CheckResult, code: str) -> str:
    first = next(finding for finding in result.findings if finding.code == code)
    return first.fix


def _sarif_result(finding: Finding) -> dict[str, Any]:
    return {
        "ruleId": finding.code,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": f"{finding.subject}: {finding.message}. Fix: {finding.fix}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": finding.file},
            "region": {"startLine": max(1, finding.line)},
        }}],
    }
