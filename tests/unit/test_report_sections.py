"""Sections of the report that do not need a recorded run: observer errors stand apart from faults."""

from __future__ import annotations

import json
from pathlib import Path

from builders import alertmanager_settings, prometheus_settings, scenario

from harness import report
from harness.expectations import Verdict
from harness.runner import ScenarioResult


def _written(tmp_path: Path) -> Path:
    result = ScenarioResult(scenario({"type": "metric_present", "query": "up", "within": "1m"}),
                            [Verdict("up is scraped", "metric_present", True, "after 1.0 s")],
                            faults=["app_errors: 50% answer 500"],
                            observer_errors=["Prometheus at http://127.0.0.1:9090/api/v1/alerts: timed out"] * 2)
    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, [result],
                           prometheus=prometheus_settings(), alertmanager=alertmanager_settings())
    report.write(run)
    return tmp_path


def test_observer_errors_have_their_own_section_not_the_faults_line(tmp_path: Path) -> None:
    markdown = (_written(tmp_path) / "report.md").read_text()
    assert "Faults: app_errors: 50% answer 500." in markdown
    assert "Observer errors (2; the polls that could not read the stack, not faults):" in markdown
    assert "- Prometheus at http://127.0.0.1:9090/api/v1/alerts: timed out" in markdown


def test_observer_errors_are_kept_apart_in_the_json_and_the_html(tmp_path: Path) -> None:
    folder = _written(tmp_path)
    (scenario_data,) = json.loads((folder / "report.json").read_text())["scenarios"]
    assert scenario_data["faults"] == ["app_errors: 50% answer 500"]
    assert len(scenario_data["observer_errors"]) == 2
    assert "<h3>Observer errors (2)</h3>" in (folder / "report.html").read_text()
