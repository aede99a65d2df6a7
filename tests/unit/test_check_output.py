"""What `harness check` prints and exits with: a table by file, JSON, SARIF; 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"
runner = CliRunner()


def test_clean_configs_exit_0() -> None:
    assert runner.invoke(app, ["check", str(FIXTURES / "clean")]).exit_code == 0


def test_an_error_level_finding_exits_1_and_names_file_line_and_fix() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / "wiring/no-alertmanager")])
    assert result.exit_code == 1
    assert "no-alertmanager/prometheus.yml" in result.stdout
    assert "error" in result.stdout and "fix:" in result.stdout


def test_warnings_alone_exit_0() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / "routing/route-never-matches")])
    assert result.exit_code == 0
    assert "routing.route-never-matches" in result.stdout


def test_unreadable_input_exits_2_with_the_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_an_unknown_format_exits_2() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / "clean"), "--format", "xml"])
    assert result.exit_code == 2


def test_json_lists_findings_and_the_routing_matrix() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / "routing/unknown-receiver"), "--format", "json"])
    report = json.loads(result.stdout)
    assert [finding["code"] for finding in report["findings"]] == ["routing.unknown-receiver"]
    assert report["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert report["routing_matrix"]["receivers"] == ["default-email", "pagerduty-platform", "slack-platform"]


@pytest.mark.parametrize("case", ["wiring/invalid-rule", "routing/route-never-matches"])
def test_sarif_has_one_result_per_finding_with_its_location(case: str) -> None:
    result = runner.invoke(app, ["check", str(FIXTURES / case), "--format", "sarif"])
    sarif = json.loads(result.stdout)
    (run,) = sarif["runs"]
    assert sarif["version"] == "2.1.0"
    (found,) = run["results"]
    assert found["ruleId"] in {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith((".yml", ".yaml"))
    assert location["region"]["startLine"] > 1
    assert found["level"] in {"error", "warning", "note"}


def test_json_can_be_written_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "findings.json"
    result = runner.invoke(app, ["check", str(FIXTURES / "clean"), "--format", "json", "--output", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text())["findings"] == []
