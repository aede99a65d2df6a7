"""The harness says NO on a real stack: a broken inhibit rule fails, a blind observer is inconclusive, never passed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from commands import ROOT, harness, our_containers, run_folder


def copy_of_the_default_stack(folder: Path) -> Path:
    """The default stack's files in `folder`, to break on purpose; returns its compose file."""
    shutil.copytree(ROOT / "compose", folder / "compose")
    for service in ("sink_service", "sample_app"):
        shutil.copytree(ROOT / "harness" / service, folder / "harness" / service)
    return folder / "compose" / "docker-compose.yml"


def report_of(reports: Path) -> dict[str, Any]:
    run_dir = run_folder(reports)
    return json.loads((run_dir / "report.json").read_text())


def verdicts_of(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    (scenario,) = report["scenarios"]
    return {v["kind"] + " " + v["expectation"]: (v["status"], v["detail"]) for v in scenario["verdicts"]}


def test_an_inhibit_rule_broken_by_an_extra_equal_label_fails_not_delivered_because_inhibited(tmp_path: Path) -> None:
    stack = copy_of_the_default_stack(tmp_path / "stack")
    config_path = stack.parent / "alertmanager" / "alertmanager.yml"
    config = yaml.safe_load(config_path.read_text())
    twin = next(r for r in config["inhibit_rules"] if r["target_matchers"] == ['alertname="ElevatedErrorRate"'])
    twin["equal"] = ["service", "severity"]  # the twins differ in severity, so this never inhibits
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    result = harness("run", "scenarios/library/error-rate-inhibition.yml", "--stack", str(stack), "--scale", "40",
                     reports=tmp_path / "reports")

    verdicts = verdicts_of(report_of(tmp_path / "reports"))
    status, detail = verdicts["alert_not_delivered ElevatedErrorRate is not delivered to any receiver (inhibited)"]
    assert status == "failed"
    assert detail.startswith("delivered to email-oncall, slack-warnings")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "NOT VERIFIED" in result.stdout + result.stderr
    assert our_containers(tmp_path / "reports") == []


def test_a_prometheus_outage_during_a_silent_scenario_is_inconclusive_not_a_pass(tmp_path: Path) -> None:
    scenario = yaml.safe_load((ROOT / "scenarios/library/error-rate-below.yml").read_text())
    scenario["name"] = "error-rate-below-blind"
    scenario["faults"].append({"at": "6m", "duration": "3m", "fault": {"kind": "container_stop", "service": "prometheus"}})
    path = tmp_path / "blind.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))

    result = harness("run", str(path), "--scale", "40", reports=tmp_path / "reports")

    report = report_of(tmp_path / "reports")
    status, detail = verdicts_of(report)["alert_silent HighErrorRate stays silent"]
    assert status == "inconclusive"
    assert "prometheus unreadable from" in detail
    assert report["scenarios"][0]["status"] == "inconclusive"
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "INCONCLUSIVE" in result.stdout + result.stderr
    assert our_containers(tmp_path / "reports") == []
