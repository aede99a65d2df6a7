"""The gate runs `harness check` on its stack first; its findings are in the report and errors fail the gate."""

from __future__ import annotations

import json
from pathlib import Path

from builders import alertmanager_settings, prometheus_settings, scenario

from harness import report
from harness.check.run import check
from harness.expectations import Verdict
from harness.runner import ScenarioResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"


def verified_run(tmp_path: Path, case: str) -> report.RunReport:
    result = ScenarioResult(scenario({"type": "alert_resolves", "alert": "ApiDown", "within": "10m"}),
                            [Verdict("ApiDown resolves", "alert_resolves", True, "resolved after 3.0 s")])
    return report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, [result],
                            prometheus=prometheus_settings(), alertmanager=alertmanager_settings(),
                            config_check=check([FIXTURES / case]))


def test_an_error_level_finding_fails_a_run_whose_scenarios_all_verified(tmp_path: Path) -> None:
    run = verified_run(tmp_path, "wiring/no-alertmanager")
    assert all(result.passed for result in run.results)
    assert not run.passed
    markdown = report.write(run).read_text()
    assert "**Verdict: FAIL**" in markdown
    assert "## Config check" in markdown
    assert "no-alertmanager/prometheus.yml:1` | alerting | the config has no \\`alerting.alertmanagers\\`" in markdown


def test_clean_configs_leave_the_verdict_to_the_scenarios(tmp_path: Path) -> None:
    run = verified_run(tmp_path, "clean")
    assert run.passed
    markdown = report.write(run).read_text()
    assert "**0 error(s)**, 0 warning(s)" in markdown
    assert "| ApiDown | pagerduty-platform |" in markdown


def test_report_json_carries_the_findings_and_the_routing_matrix(tmp_path: Path) -> None:
    run = verified_run(tmp_path, "routing/route-never-matches")
    report.write(run)
    data = json.loads((tmp_path / "report.json").read_text())
    assert [finding["code"] for finding in data["config_check"]["findings"]] == ["routing.route-never-matches"]
    assert data["config_check"]["routing_matrix"]["amtool_checked"] is True
    assert data["passed"] is True


def test_a_mutant_run_is_refused_before_any_stack_starts_when_the_check_finds_an_error(tmp_path: Path) -> None:
    import shutil

    import pytest

    from harness import gate
    from harness.errors import ConfigError
    from harness.scenario import load_scenario
    from harness.timescale import TimeScale

    root = Path(__file__).resolve().parents[2]
    stack = tmp_path / "compose"
    shutil.copytree(root / "compose", stack, ignore=shutil.ignore_patterns("images"))
    (stack / "prometheus" / "disk.yml").write_text(
        "groups:\n  - name: disk\n    rules:\n      - alert: DiskFull\n        expr: node_filesystem_avail_bytes < 1e9\n")
    with pytest.raises(ConfigError, match=r"harness check finds errors .*disk.yml:1: rule file disk.yml: no `rule_files`"):
        gate.run_gate([load_scenario(root / "scenarios" / "target-down.yml")], "s", stack / "docker-compose.yml",
                      TimeScale(40), tmp_path / "reports", refuse_on_check_errors=True)
