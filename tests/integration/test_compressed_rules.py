"""Compression on a real stack: a count is scaled back and fires at ×40 as at ×1; a calendar rule is not verified."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from commands import harness, our_containers, run_folder
from test_verdicts import copy_of_the_default_stack

SIGNUP_RULES = {
    "groups": [{
        "name": "signups",
        "rules": [
            {   # 3 signups a second for ten minutes is 1 800; the rule needs more than 1 200.
                "alert": "SignupsSurge",
                "expr": 'sum(increase(business_signups_total{job="app"}[10m])) > 1200',
                "for": "2m",
                "labels": {"severity": "warning", "service": "app"},
            },
            {   # hour() is the wall clock's: no compressed run keeps its meaning.
                "alert": "SignupsAfterHours",
                "expr": 'sum(rate(business_signups_total{job="app"}[5m])) > 2 and on() hour() >= 0',
                "for": "1m",
                "labels": {"severity": "warning", "service": "app"},
            },
        ],
    }]
}
SCENARIO = {
    "name": "signups-surge",
    "description": "signups at 3/s (a real rate at every scale) for 14 minutes",
    "load": {"users": 2, "rate_per_user": 2},
    "baseline": "1m",
    "faults": [{"at": "0s", "duration": "14m", "fault": {"kind": "business_rate", "counter": "signups", "per_second": 3}}],
    "recovery": "1m",
    "allow_unannounced": ["SignupsSurge", "SignupsAfterHours"],
    "expectations": [
        {"type": "alert_fires", "alert": "SignupsSurge", "within": "14m"},
        {"type": "alert_fires", "alert": "SignupsAfterHours", "within": "10m"},
    ],
}


def test_an_adjusted_count_fires_at_x40_and_a_calendar_rule_is_not_verified_at_that_scale(tmp_path: Path) -> None:
    stack = copy_of_the_default_stack(tmp_path / "stack")
    (stack.parent / "prometheus" / "rules" / "signups.yml").write_text(yaml.safe_dump(SIGNUP_RULES, sort_keys=False))
    scenario = tmp_path / "signups-surge.yml"
    scenario.write_text(yaml.safe_dump(SCENARIO, sort_keys=False))

    result = harness("run", str(scenario), "--stack", str(stack), "--scale", "40", reports=tmp_path / "reports")

    run_dir = run_folder(tmp_path / "reports")
    report = json.loads((run_dir / "report.json").read_text())
    verdicts = {v["expectation"]: (v["status"], v["detail"]) for v in report["scenarios"][0]["verdicts"]}
    compression = {entry["rule"]: entry for entry in report["compression"]["rules"]}
    assert compression["SignupsSurge"]["fidelity"] == "adjusted"
    assert compression["SignupsSurge"]["rewritten"].startswith('sum(((increase(business_signups_total{job="app"}[15s])) * 40))')
    assert verdicts["SignupsSurge goes pending, then firing"][0] == "verified", verdicts
    status, detail = verdicts["SignupsAfterHours goes pending, then firing"]
    assert status == "inconclusive"
    assert detail.startswith("not verified at this scale: SignupsAfterHours is real-time only at ×40")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "real-time only" in (run_dir / "report.md").read_text()
    assert our_containers(tmp_path / "reports") == []
