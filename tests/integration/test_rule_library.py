"""The default stack's alert rules, proven by promtool from the stack's own Prometheus image.

Every rule file `compose/prometheus/rules/<family>.yml` has promtool unit tests in
`compose/prometheus/tests/<family>_test.yml`: input series that make each rule fire just above its
threshold (once its `for:` has passed) and stay quiet just below it, on no traffic and on a zero
denominator. The same image checks the rule files, the Prometheus config, and the time-compressed
copy the harness renders for a run. By hand, from `compose/prometheus`:

    docker run --rm -v "$PWD:/etc/prometheus:ro" -w /etc/prometheus --entrypoint /bin/promtool \\
        <prometheus image> test rules tests/errors_test.yml
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness import engine, images
from harness.configs import render_prometheus
from harness.stackfile import load_stack
from harness.timescale import TimeScale

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = ROOT / "compose" / "docker-compose.yml"
PROMETHEUS_DIR = ROOT / "compose" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
MOUNT = "/etc/prometheus"
LABELS = engine.run_labels("rule-library")
#: The factor the harness's quick runs use; the rendered rules must still load in real Prometheus.
TIME_SCALE = TimeScale(20)

SEVERITIES = {"critical", "warning"}
TEAMS = {"platform", "database"}
ANNOTATIONS = {"summary", "description", "runbook_url"}


@dataclass(frozen=True)
class Promtool:
    """promtool from one image, run against a folder mounted read-only as /etc/prometheus."""

    image: str

    def run(self, *args: str, folder: Path = PROMETHEUS_DIR, timeout: float = 60.0) -> tuple[int, str]:
        container = engine.client().containers.run(
            self.image,
            entrypoint="/bin/promtool",
            command=list(args),
            volumes={str(folder.resolve()): {"bind": MOUNT, "mode": "ro"}},
            working_dir=MOUNT,
            labels=LABELS,
            detach=True,
        )
        try:
            status = container.wait(timeout=timeout)
            output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        finally:
            container.remove(force=True)
        return int(status["StatusCode"]), output

    def check(self, *args: str, folder: Path = PROMETHEUS_DIR) -> None:
        code, output = self.run(*args, folder=folder)
        assert code == 0, f"promtool {' '.join(args)} (in {folder}) exited {code}:\n{output}"


@pytest.fixture(scope="module")
def promtool() -> Promtool:
    """promtool from the default stack's Prometheus image (built, or taken from the cache)."""
    engine.configure_testcontainers()
    stack = load_stack(DEFAULT_STACK)
    recipe = stack.recipe(stack.by_role("prometheus"))
    base = images.ensure_base_image() if recipe.context is not None else ""
    return Promtool(images.resolve(recipe, base).tag)


def family(rule_file: Path) -> str:
    return rule_file.stem


def unit_tests_of(rule_file: Path) -> Path:
    return PROMETHEUS_DIR / "tests" / f"{family(rule_file)}_test.yml"


def alert_rules(rule_file: Path) -> list[dict]:
    document = yaml.safe_load(rule_file.read_text())
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def alert_checks(tests: Path) -> list[dict]:
    """Every `alert_rule_test` entry of a promtool test file (none when the file is missing)."""
    if not tests.is_file():
        return []
    document = yaml.safe_load(tests.read_text())
    return [check for case in document["tests"] for check in case.get("alert_rule_test") or []]


def relative(path: Path) -> str:
    return path.relative_to(PROMETHEUS_DIR).as_posix()


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=family)
def test_rule_file_passes_its_promtool_unit_tests(promtool: Promtool, rule_file: Path) -> None:
    tests = unit_tests_of(rule_file)
    assert tests.is_file(), f"{relative(rule_file)} has no unit tests. Hint: add {relative(tests)}."

    promtool.check("test", "rules", relative(tests))


def test_every_rule_file_passes_promtool_check_rules(promtool: Promtool) -> None:
    promtool.check("check", "rules", *(relative(path) for path in RULE_FILES))


def test_prometheus_config_passes_promtool_check_config(promtool: Promtool) -> None:
    promtool.check("check", "config", f"{MOUNT}/prometheus.yml")


def test_time_compressed_rules_still_load_in_prometheus(promtool: Promtool, tmp_path: Path) -> None:
    rendered = tmp_path / "prometheus"
    render_prometheus(PROMETHEUS_DIR, rendered, TIME_SCALE)

    promtool.check("check", "config", f"{MOUNT}/prometheus.yml", folder=rendered)


def test_every_alert_fires_in_a_unit_test_and_stays_quiet_in_another() -> None:
    gaps = []
    for rule_file in RULE_FILES:
        checks = alert_checks(unit_tests_of(rule_file))
        for rule in alert_rules(rule_file):
            outcomes = {bool(check.get("exp_alerts")) for check in checks if check["alertname"] == rule["alert"]}
            for fires, missing in ((True, "firing"), (False, "quiet")):
                if fires not in outcomes:
                    gaps.append(f"{relative(rule_file)}: {rule['alert']} has no {missing} case")

    assert not gaps, "\n".join(gaps)


def test_every_alert_carries_routing_labels_and_a_runbook() -> None:
    faults = []
    for rule_file in RULE_FILES:
        for rule in alert_rules(rule_file):
            labels, annotations = rule.get("labels") or {}, rule.get("annotations") or {}
            where = f"{relative(rule_file)}: {rule['alert']}"
            if labels.get("severity") not in SEVERITIES:
                faults.append(f"{where}: severity {labels.get('severity')!r}, expected one of {sorted(SEVERITIES)}")
            if labels.get("team") not in TEAMS:
                faults.append(f"{where}: team {labels.get('team')!r}, expected one of {sorted(TEAMS)}")
            if missing := sorted(ANNOTATIONS - annotations.keys()):
                faults.append(f"{where}: no {', '.join(missing)} annotation")

    assert not faults, "\n".join(faults)
