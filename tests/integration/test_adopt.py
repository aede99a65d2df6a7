"""`harness adopt` on a team's rules written in the style of public collections, then the generated suite on real containers.

One adoption (search on a real Prometheus through the signal source) serves the module; the gate
runs its suite as written, and again after a routing defect is planted in the adopted stack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from commands import harness, our_containers, run_folder


ROOT = Path(__file__).resolve().parents[2]
TEAM = ROOT / "tests" / "fixtures" / "adopt-public-style"
DRIVABLE = {"HostHighCpuLoad", "HostOutOfMemory", "PostgresqlDown", "RedisTooManyConnections", "RedisMissing",
            "ApiTargetDown", "ApiHighErrorRate", "ApiSlowRequests", "PodCrashLooping"}


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("adopt") / "adopted"
    result = subprocess.run([sys.executable, "-m", "harness.cli", "adopt", str(TEAM), "--out", str(out), "--scale", "40"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert (out / "adopt.json").is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return result, out, json.loads((out / "adopt.json").read_text())


def test_every_drivable_rule_gets_a_fires_and_a_silent_scenario(adopted) -> None:
    _, out, summary = adopted

    assert set(summary["generated"]) == DRIVABLE
    scenarios = {path.name for path in (out / "scenarios").iterdir()}
    assert {"apihigherrorrate-fires.yml", "apihigherrorrate-silent.yml"} <= scenarios
    assert len(scenarios) == 2 * len(DRIVABLE)


def test_a_calendar_rule_is_reported_not_drivable_with_the_reason(adopted) -> None:
    _, _, summary = adopted

    assert "calendar (hour)" in summary["not_drivable"]["HostClockOutsideBusinessHours"]


def test_a_rule_that_can_never_fire_is_reported_by_the_search_and_the_command_says_no(adopted) -> None:
    result, _, summary = adopted

    assert "stayed silent at every intensity tried" in summary["never_fired_and_stayed_silent"]["JobsGoingBackwards"]
    assert result.returncode == 1
    assert "never fired and stayed silent JobsGoingBackwards" in result.stdout + result.stderr


def test_the_routing_matrix_sends_the_error_rate_page_to_pagerduty_and_slack(adopted) -> None:
    _, out, _ = adopted

    fires = yaml.safe_load((out / "scenarios" / "apihigherrorrate-fires.yml").read_text())
    delivered = next(e for e in fires["expectations"] if e["type"] == "alert_delivered")
    assert delivered["receivers"] == ["pagerduty-critical", "slack-critical"]
    assert fires["faults"][0]["fault"]["kind"] == "signal"


def test_the_generated_suite_verifies_every_rule_on_the_teams_own_routing(adopted, tmp_path: Path) -> None:
    _, out, _ = adopted

    result = harness("gate", "--suite", str(out / "suite.yml"), "--stack", str(out / "compose.yml"), "--lanes", "4",
                     reports=tmp_path / "reports")

    report = json.loads((run_folder(tmp_path / "reports") / "report.json").read_text())
    failed = {s["name"]: [v["detail"] for v in s["verdicts"] if not v["passed"]] for s in report["scenarios"]}
    assert all(not details for details in failed.values()), failed
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert our_containers(tmp_path / "reports") == []


def test_a_page_that_no_longer_reaches_pagerduty_fails_the_generated_suite(adopted, tmp_path: Path) -> None:
    _, out, _ = adopted
    broken = tmp_path / "broken"
    shutil.copytree(out, broken, ignore=shutil.ignore_patterns("search"))
    config_path = broken / "alertmanager" / "alertmanager.yml"
    config = yaml.safe_load(config_path.read_text())
    config["route"]["routes"][0]["matchers"] = ['severity="page"']  # the critical route now matches nothing
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    result = harness("run", str(broken / "scenarios" / "apitargetdown-fires.yml"), "--stack",
                     str(broken / "compose.yml"), "--scale", "40", reports=tmp_path / "reports")

    report = json.loads((run_folder(tmp_path / "reports") / "report.json").read_text())
    (scenario,) = report["scenarios"]
    details = [v["detail"] for v in scenario["verdicts"] if not v["passed"]]
    assert any("pagerduty-critical: nothing arrived" in detail for detail in details), details
    assert result.returncode == 1
    assert our_containers(tmp_path / "reports") == []
