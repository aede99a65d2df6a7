"""The `harness` command as a user runs it: verdicts, exit codes, reports, and nothing left behind.

Interrupted and killed runs: test_hard_stops.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from commands import copy_of_default_stack, harness, our_containers, our_networks

from harness import engine

ROOT = Path(__file__).resolve().parents[2]


def test_default_gate_verifies_the_default_stack_on_two_stacks_on_two_engines_and_writes_a_report(
    tmp_path: Path, second_engine: engine.Engine,
) -> None:
    # One run serves all: the default suite, two lanes (one scenario each) on two Docker engines (the second
    # started empty: the images are copied to it), ×40 (the default ×20 takes twice as long).
    first = engine.default()
    result = harness("gate", "--lanes", "2", "--scale", "40", "--engine", first.url, "--engine", second_engine.url,
                     reports=tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "VERIFIED" in result.stderr
    assert "lane 1: stack healthy" in result.stderr and "lane 2: stack healthy" in result.stderr
    (run_dir,) = [folder for folder in tmp_path.iterdir() if folder.is_dir()]  # beside it: history.sqlite
    report = json.loads((run_dir / "report.json").read_text())
    # The images the second engine missed were copied from the first (a fresh engine misses them all).
    assert all((copy["source"], copy["target"]) == (first.url, second_engine.url) and copy["images"]
               for copy in report["image_copies"])
    assert report["lanes"] == 2
    assert report["engines"] == [first.url, second_engine.url]
    assert [(lane["lane"], lane["engine"]) for lane in report["lane_engines"]] == [(1, first.url), (2, second_engine.url)]
    ran_on = {s["name"]: (s["lane"], s["engine"]) for s in report["scenarios"]}
    assert sorted(ran_on.values()) == [(1, first.url), (2, second_engine.url)]
    for lane in report["lane_engines"]:
        assert all(ran_on[name] == (lane["lane"], lane["engine"]) for name in lane["scenarios"])
    verdicts = {s["name"]: [v["expectation"] for v in s["verdicts"] if v["passed"]] for s in report["scenarios"]}
    assert "HighErrorRate reaches exactly pagerduty-critical, slack-critical" in verdicts["high-error-rate"]
    assert "no alert fires and nothing is delivered" in verdicts["quiet-baseline"]
    markdown = (run_dir / "report.md").read_text()
    assert "**Verdict: PASS**" in markdown
    assert "earliest possible" in markdown
    assert "on 2 stacks side by side" in markdown
    junit = (run_dir / "report.junit.xml").read_text()
    assert 'failures="0"' in junit and "HighErrorRate reaches exactly pagerduty-critical" in junit
    assert report["config_check"]["live"] is True
    assert report["config_check"]["counts"]["error"] == 0
    assert "## Config check (`harness check`, static and live)" in markdown
    # The evidence bundle: one self-contained HTML, a manifest that verifies, and what exactly ran.
    html = (run_dir / "report.html").read_text()
    assert "Decision: SUCCESS" in html and html.count('src="data:image/png;base64,') == 1  # high-error-rate's plot
    verified = subprocess.run([sys.executable, "-m", "harness.cli", "verify-report", str(run_dir)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr
    provenance = report["provenance"]
    assert {info["program"]: bool(info["version"]) for info in provenance["build_info"]} == {
        "prometheus": True, "alertmanager": True}
    assert provenance["images"] and all(image["image_id"].startswith("sha256:") for image in provenance["images"])
    assert {entry["role"] for entry in provenance["files"]} >= {"scenario", "compose", "prometheus", "alertmanager"}
    assert f"on `{second_engine.url}`" in markdown
    assert our_containers(tmp_path) == [] and our_containers(tmp_path, second_engine) == []
    assert our_networks(tmp_path, second_engine) == []


def test_a_rule_file_prometheus_never_loads_fails_the_gate_though_every_scenario_verifies(tmp_path: Path) -> None:
    stack = copy_of_default_stack(tmp_path)
    (stack / "prometheus/disk.yml").write_text(
        "groups:\n  - name: disk\n    rules:\n      - alert: DiskFull\n"
        "        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05\n"
        "        labels: {severity: critical}\n")

    result = harness("run", str(ROOT / "scenarios" / "target-down.yml"), "--stack", str(stack / "docker-compose.yml"),
                     "--scale", "40", reports=tmp_path / "reports")

    assert result.returncode == 1, result.stderr[-3000:]
    assert "pass target-down" in result.stderr
    assert "disk.yml:1: rule file disk.yml: no `rule_files` pattern" in " ".join(result.stderr.split())
    assert "NOT VERIFIED" in result.stderr
    assert our_containers(tmp_path / "reports") == []
    history = subprocess.run([sys.executable, "-m", "harness.cli", "history", "--history",
                              str(tmp_path / "reports" / "history.sqlite")], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "COLUMNS": "250"})
    assert history.returncode == 0, history.stderr
    assert "target-down" in history.stdout and "TargetDown" in history.stdout


def test_a_scenario_asking_for_a_fresh_stack_runs_on_a_new_one(tmp_path: Path) -> None:
    quiet = "load: {users: 1, rate_per_user: 1}\nbaseline: 20s\nexpectations: [{type: metric_present, query: up, within: 20s}]\n"
    first, second = tmp_path / "first.yml", tmp_path / "second.yml"
    first.write_text("name: first\n" + quiet)
    second.write_text("name: second\nfresh_stack: true\n" + quiet)

    result = harness("run", str(first), str(second), reports=tmp_path / "reports")

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("stack healthy") == 2
    assert "resetting the stack" not in result.stderr
    assert our_containers(tmp_path / "reports") == []


def test_scenario_with_a_bad_field_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yml"
    scenario.write_text(
        "name: bad\nexpectations:\n  - type: alert_fires\n    alert: HighErrorRate\n    within: soon\n"
    )

    result = harness("run", str(scenario), reports=tmp_path / "reports")

    assert result.returncode == 2
    assert f"{scenario}:5: expectations.0.within" in result.stderr
    assert "Traceback" not in result.stderr
    assert our_containers(tmp_path / "reports") == []


def test_deadline_shorter_than_the_theoretical_bound_is_refused_with_the_arithmetic(tmp_path: Path) -> None:
    scenario = tmp_path / "impatient.yml"
    scenario.write_text(
        "name: impatient\nexpectations:\n  - type: alert_fires\n    alert: HighErrorRate\n    within: 1m\n"
    )

    result = harness("run", str(scenario), reports=tmp_path / "reports")

    assert result.returncode == 2
    assert f"{scenario}:5: expectations.0.within: 60 s is shorter" in " ".join(result.stderr.split())
    assert ("shorter than the 340 s that alert_fires HighErrorRate can take (scrape 25 s (every 15 s, timeout 10 s; "
            "job app) + evaluation 15 s (group errors) + for 300 s)") in " ".join(result.stderr.split())
    assert our_containers(tmp_path / "reports") == []


def test_unknown_alert_in_a_scenario_is_refused_listing_the_known_ones(tmp_path: Path) -> None:
    scenario = tmp_path / "typo.yml"
    scenario.write_text("name: typo\nexpectations:\n  - type: alert_fires\n    alert: HighErorRate\n    within: 9m\n")

    result = harness("run", str(scenario), reports=tmp_path / "reports")

    assert result.returncode == 2
    assert "no alerting rule named 'HighErorRate'" in " ".join(result.stderr.split())


@pytest.mark.parametrize("command", ["gate", "images"])
def test_missing_stack_file_exits_2_with_its_path(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nope.yml"
    args = [command, "--stack", str(missing)]
    result = subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True)

    assert result.returncode == 2
    assert f"{missing}: stack file not found" in " ".join(result.stderr.split())


def test_rule_file_promtool_rejects_stops_the_run_before_the_stack_starts(tmp_path: Path) -> None:
    stack = copy_of_default_stack(tmp_path)
    (stack / "prometheus/rules/broken.yml").write_text(
        "groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: up == 0\n        labels: {severity: critical}\n        annotations: {summary: '{{ $labels.job '}\n"
    )

    result = harness("gate", "--stack", str(stack / "docker-compose.yml"), reports=tmp_path / "reports")

    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert f"promtool rejects {stack / 'prometheus'} (checked as rendered for the run in" in message
    assert "unclosed action" in message
    assert f'{stack / "prometheus/rules/broken.yml"}: group "broken", rule 1, "Broken"' in message
    assert our_containers(tmp_path / "reports") == []


def test_routing_tree_amtool_rejects_stops_the_run_before_the_stack_starts(tmp_path: Path) -> None:
    stack = copy_of_default_stack(tmp_path)
    routing = stack / "alertmanager/alertmanager.yml"
    routing.write_text(routing.read_text().replace("- receiver: pagerduty-critical", "- receiver: pagerduty-typo", 1))

    result = harness("gate", "--stack", str(stack / "docker-compose.yml"), reports=tmp_path / "reports")

    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert f"amtool rejects {stack / 'alertmanager'} (checked as rendered for the run in" in message
    assert 'undefined receiver "pagerduty-typo"' in message
    assert our_containers(tmp_path / "reports") == []
