"""A real run on a stack full of secrets: none of them is left in its folder, and deliveries still verify (the
sink, answering as Slack and PagerDuty do, accepted the real webhook URL and routing key)."""

from __future__ import annotations

import json
from pathlib import Path

from commands import ROOT, copy_of_default_stack, harness, our_containers, run_folder
from secret_stack import leaks, loose_modes, write_secrets


def test_a_run_on_a_stack_full_of_secrets_delivers_and_leaves_none_in_its_folder(tmp_path: Path) -> None:
    stack = copy_of_default_stack(tmp_path)
    found = write_secrets(stack)
    reports = tmp_path / "reports"

    result = harness("run", str(ROOT / "scenarios" / "target-down.yml"), "--stack", str(stack / "docker-compose.yml"),
                     "--scale", "40", reports=reports)

    run_dir = run_folder(reports)
    report = json.loads((run_dir / "report.json").read_text())
    (scenario,) = report["scenarios"]
    verified = [verdict["expectation"] for verdict in scenario["verdicts"] if verdict["passed"]]
    assert "TargetDown reaches exactly pagerduty-critical, slack-critical" in verified, result.stderr[-3000:]
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run_dir / "logs" / "alertmanager.log").is_file()
    assert leaks(reports, found) == []
    assert loose_modes(run_dir) == []
    assert found.routing_key not in result.stdout + result.stderr
    assert our_containers(reports) == []
