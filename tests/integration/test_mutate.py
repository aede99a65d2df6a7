"""`harness mutate` on real containers: the narrowed pre-launch suite says NO to broken configs.

One mutation run (target-down at ×40, seven mutants, two side by side) serves the tests of this
module; each test reads one thing a user would look at in its output.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from commands import harness, our_containers

from harness import polling

ROOT = Path(__file__).resolve().parents[2]
KINDS = [
    "severity_changed", "receiver_removed", "matcher_typo", "continue_flipped",
    "alerting_target_moved", "send_resolved_flipped", "rule_file_dropped",
]


@pytest.fixture(scope="module")
def mutation(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    reports = tmp_path_factory.mktemp("mutate")
    result = harness("mutate", "--suite", "scenarios/suites/pre-launch.yml", "--only", "target-down",
                     "--kinds", ",".join(KINDS), "--lanes", "2", reports=reports)
    (run_dir,) = reports.iterdir()
    return result, json.loads((run_dir / "mutation.json").read_text()), reports


def by_kind(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {mutant["kind"]: mutant for mutant in data["mutants"]}


def test_the_baseline_is_verified_before_any_mutant_runs(mutation):
    _, data, _ = mutation
    assert data["baseline"]["verified"] is True
    assert Path(data["baseline"]["report"]).is_file()


def test_routing_and_labelling_mutants_are_killed_by_verdicts_that_name_the_symptom(mutation):
    _, data, _ = mutation
    mutants = by_kind(data)
    killed = {kind for kind, mutant in mutants.items() if mutant["outcome"] == "killed"}
    assert len(killed) >= 5, {kind: (m["outcome"], m["reason"]) for kind, m in mutants.items()}
    assert "pagerduty-critical: nothing arrived" in mutants["receiver_removed"]["reason"]
    assert "pagerduty-critical: nothing arrived" in mutants["matcher_typo"]["reason"]
    assert "slack-critical: nothing arrived" in mutants["continue_flipped"]["reason"]
    assert "also delivered to" in mutants["severity_changed"]["reason"]
    assert "TargetDown reaches exactly" in mutants["alerting_target_moved"]["reason"]


def test_a_rule_file_left_out_is_killed_by_the_static_check_naming_the_missing_rule(mutation):
    _, data, _ = mutation
    dropped = by_kind(data)["rule_file_dropped"]
    assert dropped["outcome"] == "killed_static"
    assert "no alerting rule named 'TargetDown'" in dropped["reason"]


def test_a_survivor_is_reported_with_the_verdicts_that_let_it_through(mutation):
    result, data, _ = mutation
    survivor = by_kind(data)["send_resolved_flipped"]
    assert survivor["outcome"] == "survived"
    assert survivor["reason"].startswith("every verdict passed; the verdicts that concern it passed: ")
    assert "to be caught, an alert_resolves verdict says pagerduty-critical got no resolved notification" in survivor["reason"]
    assert result.returncode == 1  # a survivor: the suite cannot say NO to everything
    assert re.search(r"SURVIVED \d+-send_resolved_flipped", result.stderr)


def test_the_report_gives_the_score_and_what_the_run_cost(mutation):
    result, data, reports = mutation
    assert data["score"]["judged"] == len(KINDS) and data["score"]["errors"] == 0
    assert data["score"]["killed"] == data["score"]["killed_by_verdict"] + data["score"]["killed_static"]
    assert all(mutant["wall_seconds"] > 0 for mutant in data["mutants"])
    (run_dir,) = reports.iterdir()
    markdown = (run_dir / "mutation.md").read_text()
    assert f"**mutation score {data['score']['killed']}/{len(KINDS)}" in markdown
    assert "mutation score" in result.stderr


def test_every_mutant_ran_on_its_own_copy_of_the_stack_and_nothing_is_left_behind(mutation):
    _, data, reports = mutation
    (run_dir,) = reports.iterdir()
    typo = by_kind(data)["matcher_typo"]
    copied = run_dir / "mutants" / typo["name"] / "stack" / "alertmanager" / "alertmanager.yml"
    assert 'severity="criticl"' in copied.read_text()
    assert 'severity="criticl"' not in (ROOT / "compose" / "alertmanager" / "alertmanager.yml").read_text()
    assert our_containers(reports) == []


def test_ctrl_c_during_a_mutation_run_removes_every_stack(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "mutate", "--suite", "scenarios/suites/pre-launch.yml", "--only",
         "target-down", "--kinds", "severity_changed,matcher_typo", "--lanes", "2", "--reports", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stdout is not None
    lines: list[str] = []

    def both_mutants_started() -> bool:
        line = process.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        if not line and process.poll() is not None:
            raise AssertionError("harness mutate ended early:\n" + "".join(lines))
        return "02-matcher_typo: stack healthy" in line

    try:
        polling.wait_for(both_mutants_started, timeout=300, interval=0, describe="the second mutant's stack is healthy")
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, "".join(lines) + output
    assert "Interrupted" in output
    assert our_containers(tmp_path) == []
