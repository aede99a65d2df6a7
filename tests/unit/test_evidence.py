"""A run folder is evidence: none of the stack's secrets is in any of its files, and only its owner can read it,
while the containers still get the real configs.

The stack is the default one with realistic secrets everywhere (random, assembled at run time, so
no file of the repository holds one); the containers and the scenario are faked, everything that
writes the run folder (rendering, logs, reports, mutant copies) is the real code.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from builders import REPO, delivery
from secret_stack import StackSecrets, leaks, loose_modes, write_secrets

from harness import evidence, gate, mutate, runner, stack
from harness.errors import ConfigError
from harness.expectations import Verdict
from harness.report import RunReport
from harness.runner import ScenarioResult
from harness.scenario import Scenario, load_scenario
from harness.timeline import Timeline
from harness.timescale import TimeScale

TARGET_DOWN = REPO / "scenarios" / "target-down.yml"


def make_secret_stack(folder: Path) -> tuple[Path, StackSecrets]:
    stack_dir = folder / "stack"
    shutil.copytree(REPO / "compose", stack_dir, ignore=shutil.ignore_patterns("images"))
    return stack_dir / "docker-compose.yml", write_secrets(stack_dir)


@pytest.fixture
def secret_stack(tmp_path: Path) -> tuple[Path, StackSecrets]:
    return make_secret_stack(tmp_path)


class FakeContainer:
    def __init__(self, output: str) -> None:
        self.output = output

    def get_logs(self) -> tuple[bytes, bytes]:
        return self.output.encode(), b""


@dataclass
class FakeRun:
    """What the faked stack saw: the configs mounted into its containers and the private folder they came from."""

    found: StackSecrets
    mounted: dict[str, str] = field(default_factory=dict)
    private: list[Path] = field(default_factory=list)

    @contextlib.contextmanager
    def running_stack(self, stack_spec: Any, rendered: stack.RenderedConfigs, scale: TimeScale, run_id: str,
                      run_dir: Path, progress: Any = None, on: Any = None) -> Iterator[Any]:
        folders = rendered.mounts_by_role
        self.mounted = {"prometheus": (folders["prometheus"] / "prometheus.yml").read_text(),
                        "alertmanager": (folders["alertmanager"] / "alertmanager.yml").read_text()
                        + (folders["alertmanager"] / "secrets" / "pagerduty-critical.key").read_text()}
        assert rendered.private is not None
        self.private.append(rendered.private)
        try:
            yield SimpleNamespace(boot=None, omitted=[])
        finally:
            # What Alertmanager prints when a notification fails: the URL it posted to.
            sink_url = "http://sink:8080/slack/slack-critical/" + self.found.slack_url.removeprefix("https://")
            stack._save_logs({"alertmanager": FakeContainer(
                f'level=error msg="Notify for alerts failed" err="Post \\"{sink_url}\\": context deadline exceeded"\n'
            )}, run_dir / "logs", rendered.secrets)

    def run_scenario(self, live: Any, scenario: Scenario, folder: Path, progress: Any = None) -> ScenarioResult:
        refusal = f"PagerDuty answers 400: routing_key {self.found.routing_key!r} is not a known integration"
        timeline = Timeline.of([delivery(1.0, "TargetDown", "pagerduty-critical", accepted=False, refusal=refusal)])
        return ScenarioResult(
            scenario, [Verdict("TargetDown reaches exactly pagerduty-critical, slack-critical", "alert_delivered", False,
                               f"pagerduty-critical: refused: {refusal}; slack-critical via {self.found.slack_url}")],
            timeline=timeline, error=f"sink log: {self.found.slack_warnings_url} {self.found.service_key}",
        )


@dataclass(frozen=True)
class GateRun:
    run_dir: Path
    reports: Path
    found: StackSecrets
    fake: FakeRun


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    """One gate run (target-down) on the stack full of secrets, with faked containers and scenario."""
    folder = tmp_path_factory.mktemp("gate")
    compose, found = make_secret_stack(folder)
    fake = FakeRun(found)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gate, "running_stack", fake.running_stack)
        patch.setattr(runner, "run_scenario", fake.run_scenario)
        patch.setattr(gate, "_check_live", lambda lane, live: None)
        _, path = gate.run_gate([load_scenario(TARGET_DOWN)], "secrets", compose, TimeScale(40), folder / "reports",
                                scale_limits="off")
    return GateRun(path.parent, folder / "reports", found, fake)


def test_no_file_of_a_run_folder_holds_a_secret_of_the_stack(gate_run: GateRun) -> None:
    written = {path.relative_to(gate_run.run_dir).as_posix() for path in gate_run.run_dir.rglob("*") if path.is_file()}

    assert {"report.md", "report.json", "report.junit.xml", "logs/alertmanager.log", "target-down/timeline.csv",
            "config/alertmanager/alertmanager.yml", "config/alertmanager/secrets/pagerduty-critical.key",
            "config/prometheus/prometheus.yml"} <= written
    assert leaks(gate_run.reports, gate_run.found) == []


def test_only_the_owner_can_read_a_run_folder(gate_run: GateRun) -> None:
    assert loose_modes(gate_run.run_dir) == []


def test_the_containers_mount_the_real_secrets_from_a_private_folder_removed_after_the_run(gate_run: GateRun) -> None:
    found, mounted = gate_run.found, gate_run.fake.mounted

    assert found.routing_key in mounted["alertmanager"]
    assert found.service_key in mounted["alertmanager"]
    assert f"/hooks.slack.com/services/{found.slack_url.split('/services/')[1]}" in mounted["alertmanager"]
    assert found.scrape_password in mounted["prometheus"]
    (private,) = gate_run.fake.private
    assert not private.exists()


def test_the_report_still_tells_which_receiver_points_where(gate_run: GateRun) -> None:
    team_and_hook = gate_run.found.slack_url.split("/services/")[1].rsplit("/", 1)[0]

    markdown = (gate_run.run_dir / "report.md").read_text()

    assert f"| slack-critical | slack | https://hooks.slack.com/services/{team_and_hook}/<redacted, 24 chars> |" in markdown
    assert ("| default-webhook | webhook | https://alerts:<redacted, 14 chars>@incident-bot.acme-corp.net/hooks/"
            "<redacted, 40 chars>?token=<redacted, 32 chars> |") in markdown
    assert "https://metrics-push.acme-corp.net/api/v1/push?api_key=<redacted, 30 chars>" in markdown


def test_the_evidence_copy_of_the_configs_shows_each_secret_field_as_a_marker(gate_run: GateRun) -> None:
    config = gate_run.run_dir / "config"

    am = yaml.safe_load((config / "alertmanager" / "alertmanager.yml").read_text())
    receivers = {receiver["name"]: receiver for receiver in am["receivers"]}
    assert am["global"]["smtp_auth_password"] == "<redacted, 20 chars>"
    assert receivers["pagerduty-database"]["pagerduty_configs"][0]["service_key"] == "<redacted, 32 chars>"
    assert receivers["default-webhook"]["webhook_configs"][0]["http_config"]["authorization"] == {
        "credentials": "<redacted, 40 chars>"}
    assert (config / "alertmanager" / "secrets" / "pagerduty-critical.key").read_text() == "<redacted, 32 chars>\n"
    prometheus = yaml.safe_load((config / "prometheus" / "prometheus.yml").read_text())
    node = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "node")
    assert node["basic_auth"] == {"username": "scraper", "password": "<redacted, 18 chars>"}


def baseline_report(scenarios: list[Scenario], suite: str, compose: Path, scale: TimeScale, reports: Path,
                    *args: Any, **kwargs: Any) -> tuple[RunReport, Path]:
    folder = evidence.make_private(reports / "base")
    result = ScenarioResult(scenarios[0], [Verdict("TargetDown fires", "alert_fires", True, "fired after 3.0 s")])
    path = folder / "report.md"
    path.write_text("verified\n")
    return RunReport("base", suite, str(compose), "now", scale.factor, folder, [result]), path


def test_a_mutation_run_keeps_a_redacted_copy_of_each_mutant_stack_and_no_secret_anywhere(
        secret_stack, tmp_path, monkeypatch) -> None:
    compose, found = secret_stack
    ran_from: list[str] = []

    def gate_run(scenarios, suite, stack_path, scale, reports, *args, **kwargs):
        if "m01" not in args[1]:
            return baseline_report(scenarios, suite, stack_path, scale, reports)
        ran_from.append((stack_path.parent / "alertmanager" / "alertmanager.yml").read_text())
        raise ConfigError(f"amtool check-config rejects the config: unknown receiver in {found.slack_url} "
                          f"(service_key {found.service_key})")

    monkeypatch.setattr(gate, "run_gate", gate_run)
    run, _ = mutate.run_mutation([load_scenario(TARGET_DOWN)], "secrets", compose, TimeScale(40), tmp_path / "reports",
                                 kinds=["receiver_removed"], limit=1)

    assert run.mutants[0].outcome == "killed_static"
    assert found.service_key in ran_from[0]  # the mutant ran from the real configs
    copy = run.directory / "mutants" / run.mutants[0].name / "stack"
    assert "<redacted, 32 chars>" in (copy / "alertmanager" / "alertmanager.yml").read_text()
    assert leaks(tmp_path / "reports", found) == []
    assert loose_modes(run.directory) == []
