"""Killed, killed by a static check, survived or error: the classification of one mutant's run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from builders import write

from harness.errors import ConfigError, InvalidInput, StackError
from harness.expectations import Verdict
from harness.mutants import Applied, StackFiles, Symptom
from harness.mutants.routing import nothing_arrived
from harness.mutants.rules import misrouted, not_firing
from harness.mutate import MutantRun, MutationRun, classify, copy_stack
from harness.mutation_report import summary, to_data, to_markdown

DELIVERED = "TargetDown reaches exactly pagerduty-critical, slack-critical"


def verdict(expectation: str, kind: str, passed: bool, detail: str, **extra: float) -> Verdict:
    return Verdict(expectation, kind, passed, detail, **extra)


@dataclass(frozen=True)
class StatusVerdict:
    """A verdict as the witness-based layer will give it: with a status that may be inconclusive."""

    expectation: str
    kind: str
    passed: bool
    detail: str
    status: str
    deadline_s: float | None = None
    measured_s: float | None = None


def test_a_failed_verdict_showing_the_symptom_kills_the_mutant():
    verdicts = [
        verdict("TargetDown goes pending, then firing", "alert_fires", True, "firing after 3.1 s"),
        verdict(DELIVERED, "alert_delivered", False, "pagerduty-critical: nothing arrived; slack-critical: 3.4 s"),
    ]
    result = classify(nothing_arrived(["pagerduty-critical"], "its route is gone"), verdicts)
    assert result.outcome == "killed"
    assert result.reason == f"{DELIVERED}: pagerduty-critical: nothing arrived; slack-critical: 3.4 s"


def test_a_failure_for_another_reason_is_not_a_kill():
    verdicts = [verdict(DELIVERED, "alert_delivered", False, "slack-critical: nothing arrived; pagerduty-critical: 3 s")]
    result = classify(nothing_arrived(["pagerduty-critical"], "its route is gone"), verdicts)
    assert result.outcome == "survived"
    assert result.reason.startswith("failed, but not with the symptom: " + DELIVERED)
    assert "to be caught, a delivery verdict says pagerduty-critical: nothing arrived" in result.reason


def test_a_run_where_everything_passed_survives_and_says_which_verdicts_concerned_the_mutant():
    verdicts = [
        verdict(DELIVERED, "alert_delivered", True, "pagerduty-critical: 3 s; slack-critical: 3 s"),
        verdict("TargetDown resolves, with resolved notifications where asked for", "alert_resolves", True,
                "pagerduty-critical: none expected (send_resolved: false)"),
    ]
    symptom = Symptom("an alert_resolves verdict says pagerduty-critical got no resolved notification",
                      frozenset({"alert_resolves"}), ("pagerduty-critical",), ("pagerduty-critical: no resolved",))
    result = classify(symptom, verdicts)
    assert result.outcome == "survived"
    assert result.reason.startswith(f"every verdict passed; the verdicts that concern it passed: {DELIVERED}; TargetDown resolves")


def test_a_survivor_no_verdict_concerns_says_so():
    verdicts = [verdict("no alert fires and nothing is delivered", "no_alerts", True, "nothing firing")]
    result = classify(not_firing("ActiveUsersNearLimit", "threshold made harder to reach"), verdicts)
    assert result.reason.startswith("every verdict passed; no verdict concerns it.")


def test_the_symptom_must_be_in_a_verdict_about_the_mutated_alert():
    other = verdict("HighErrorRate goes pending, then firing", "alert_fires", False, "never fired (last state: never active)")
    assert classify(not_firing("TargetDown", "x10"), [other]).outcome == "survived"
    mine = verdict("TargetDown goes pending, then firing", "alert_fires", False, "never fired (last state: pending)")
    assert classify(not_firing("TargetDown", "x10"), [other, mine]).outcome == "killed"


def test_a_verdict_of_the_wrong_expectation_type_does_not_kill():
    silent = verdict("TargetDown stays silent", "alert_silent", False, "went firing 3.0 s into the run")
    assert classify(not_firing("TargetDown", "x10"), [silent]).outcome == "survived"


def test_a_late_verdict_kills_a_mutant_that_declares_lateness():
    late = verdict("TargetDown goes pending, then firing", "alert_fires", False, "pending after 1.0 s; firing after 9.0 s",
                   deadline_s=3.0, measured_s=9.0)
    assert classify(not_firing("TargetDown", "for x10"), [late]).outcome == "killed"
    assert classify(misrouted("TargetDown", "severity"), [late]).outcome == "survived"


def test_an_inconclusive_verdict_is_not_a_kill_even_if_its_text_matches():
    unsure = StatusVerdict(DELIVERED, "alert_delivered", False, "pagerduty-critical: nothing arrived", "inconclusive")
    result = classify(nothing_arrived(["pagerduty-critical"], "gone"), [unsure])
    assert result.outcome == "survived"
    assert "inconclusive (not a kill)" in result.reason


def test_a_failed_verdict_with_a_status_still_kills():
    failed = StatusVerdict(DELIVERED, "alert_delivered", False, "pagerduty-critical: nothing arrived", "failed")
    assert classify(nothing_arrived(["pagerduty-critical"], "gone"), [failed]).outcome == "killed"


def test_a_config_the_tools_reject_is_killed_by_static_check():
    error = ConfigError("amtool check-config rejects the config rendered in /r/config/alertmanager:\n    FAILED: bad matcher")
    result = classify(nothing_arrived(["pagerduty-critical"], "gone"), [], error=error)
    assert result.outcome == "killed_static"
    assert result.reason.startswith("refused before any scenario ran: ConfigError: amtool check-config rejects")


def test_a_refused_deadline_is_killed_by_static_check():
    error = InvalidInput("target-down.yml: expectations.0 (alert_fires TargetDown): within 120 s is shorter than the 630 s")
    assert classify(not_firing("TargetDown", "for x10"), [], error=error).outcome == "killed_static"


def test_a_set_up_failure_naming_the_symptom_is_killed_by_static_check():
    error = StackError("the stack never became healthy: ... Targets not up: node/node-exporter:9101 (down)")
    symptom = Symptom("node is down", refusals=("node/node-exporter:9101",))
    assert classify(symptom, [], error=error).outcome == "killed_static"


def test_a_set_up_failure_unrelated_to_the_mutant_is_an_error_not_a_kill():
    error = StackError("service 'postgres' never became ready: timeout")
    result = classify(Symptom("node is down", refusals=("node/node-exporter:9101",)), [], error=error)
    assert result.outcome == "error"
    assert "StackError: service 'postgres' never became ready" in result.reason


def run_of(*outcomes: str, tmp_path: Path) -> MutationRun:
    symptom = nothing_arrived(["slack-critical"], "x")
    mutants = [MutantRun(n, Applied("receiver_removed", "alertmanager/alertmanager.yml", f"route.routes[{n}]",
                                    "route to slack-critical removed", symptom), outcome, f"reason {n}", 30.0 + n)
               for n, outcome in enumerate(outcomes, 1)]
    return MutationRun("r1", "pre-launch", "compose/docker-compose.yml", 40, 2, tmp_path, ["target-down"],
                       True, 25.0, mutants=mutants, wall_seconds=120.0)


def test_the_score_counts_static_kills_and_leaves_errors_out(tmp_path):
    run = run_of("killed", "killed_static", "survived", "error", tmp_path=tmp_path)
    assert run.score == (2, 3)
    assert summary(run) == ("mutation score 2/3 (67%): 1 killed by a verdict, 1 by a static check, 1 survived, "
                            "1 error(s) not counted")
    data = to_data(run)
    assert data["score"] == {"killed": 2, "judged": 3, "ratio": 0.667, "killed_by_verdict": 1, "killed_static": 1,
                             "survived": 1, "errors": 1}
    assert data["mutants"][2]["outcome"] == "survived" and data["mutants"][2]["wall_seconds"] == 33.0


def test_the_markdown_report_says_why_each_survivor_survived(tmp_path):
    text = to_markdown(run_of("killed", "survived", tmp_path=tmp_path))
    assert "## 2. receiver_removed: SURVIVED" in text
    assert "- why: reason 2" in text
    assert "- killed by: reason 1" in text


COMPOSE = """
    services:
      app:
        image: example/app:1
        build: {context: ../app-src}
        volumes: ["./data:/data"]
        x-harness: {role: app}
      sink: {image: example/sink:1, x-harness: {role: sink}}
      alertmanager:
        image: prom/alertmanager:v0.25.0
        volumes: ["./alertmanager:/etc/alertmanager:ro"]
        x-harness: {role: alertmanager}
      prometheus:
        image: prom/prometheus:v2.42.0
        build: ../images/prometheus
        volumes: ["./prometheus:/etc/prometheus:ro"]
        x-harness: {role: prometheus}
"""


def test_the_stack_copy_holds_the_configs_and_points_build_contexts_back_at_the_original(tmp_path):
    stack = tmp_path / "stack"
    write(stack / "docker-compose.yml", COMPOSE)
    write(stack / "prometheus" / "prometheus.yml", "rule_files: [rules/*.yml]\n")
    write(stack / "prometheus" / "rules" / "a.yml", "groups: []\n")
    write(stack / "alertmanager" / "alertmanager.yml", "route: {receiver: x}\nreceivers: [{name: x}]\n")
    (stack / "data").mkdir()
    copy = copy_stack(StackFiles.of(stack / "docker-compose.yml"), tmp_path / "mutant")
    assert (copy.parent / "prometheus" / "rules" / "a.yml").is_file()
    assert (copy.parent / "alertmanager" / "alertmanager.yml").is_file()
    services = yaml.safe_load(copy.read_text())["services"]
    assert services["app"]["build"]["context"] == str((tmp_path / "app-src").resolve())
    assert services["prometheus"]["build"] == str((tmp_path / "images" / "prometheus").resolve())
    assert services["app"]["volumes"] == [f"{(stack / 'data').resolve()}:/data"]
    assert services["prometheus"]["volumes"] == ["./prometheus:/etc/prometheus:ro"]


def fake_gate(calls: list[Path]):
    """A stand-in for gate.run_gate: the baseline passes; a stack whose routes lost slack-critical fails."""
    from harness.report import RunReport
    from harness.runner import ScenarioResult

    def run_gate(scenarios, suite_name, stack_path, scale, reports_dir, progress, run_id, lanes,
                 refuse_on_check_errors=False, shown_stack=None):
        # A mutant runs from a private copy; the report names the redacted copy in its folder.
        calls.append(Path(shown_stack) if shown_stack else stack_path)
        routes = yaml.safe_load((stack_path.parent / "alertmanager" / "alertmanager.yml").read_text())["route"]["routes"]
        routed = "slack-critical" in [route["receiver"] for route in routes]
        detail = "slack-critical: 3.0 s" if routed else "slack-critical: nothing arrived"
        result = ScenarioResult(scenarios[0], [verdict(DELIVERED, "alert_delivered", routed, detail)])
        report = RunReport(run_id, suite_name, str(stack_path), "now", scale.factor, reports_dir / run_id, [result])
        return report, reports_dir / run_id / "report.md"

    return run_gate


def test_each_mutant_runs_the_suite_on_its_own_copy_and_is_classified(tmp_path, monkeypatch):
    from test_mutants import make_stack, silenced_scenario

    from harness import gate
    from harness.mutate import run_mutation
    from harness.timescale import TimeScale

    files = make_stack(tmp_path)
    calls: list[Path] = []
    monkeypatch.setattr(gate, "run_gate", fake_gate(calls))
    run, path = run_mutation([silenced_scenario({"alertname": "TargetDown"})], "s", files.stack.path, TimeScale(40),
                             tmp_path / "reports", lanes=2, kinds=["receiver_removed"], every=True)
    assert calls[0] == files.stack.path and len(calls) == 4
    assert all(call.parent.parent.parent.name == "mutants" for call in calls[1:])
    outcomes = {m.applied.change: m.outcome for m in run.mutants}
    assert outcomes == {"route to pagerduty-critical removed": "survived", "route to slack-critical removed": "killed",
                        "route to slack-warnings removed": "survived"}
    assert json.loads((path.parent / "mutation.json").read_text())["score"]["killed"] == 1


def test_a_baseline_that_is_not_verified_refuses_the_run_and_says_what_failed(tmp_path, monkeypatch):
    from test_mutants import ALERTMANAGER, make_stack, silenced_scenario

    from harness import gate
    from harness.mutate import run_mutation
    from harness.timescale import TimeScale

    files = make_stack(tmp_path, ALERTMANAGER.replace("- receiver: slack-critical", "- receiver: slack-warnings"))
    calls: list[Path] = []
    monkeypatch.setattr(gate, "run_gate", fake_gate(calls))
    with pytest.raises(InvalidInput, match="not verified on the unmutated stack.*slack-critical: nothing arrived"):
        run_mutation([silenced_scenario({"alertname": "TargetDown"})], "s", files.stack.path, TimeScale(40),
                     tmp_path / "reports", kinds=["receiver_removed"])
    assert len(calls) == 1  # no mutant ran
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert json.loads((run_dir / "mutation.json").read_text())["baseline"]["verified"] is False
