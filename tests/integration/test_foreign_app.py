"""A stack whose app is the user's own image: app faults are skipped, saying why; others still work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness import runner
from harness.gate import new_run_id
from harness.scenario import Scenario
from harness.stack import RunningStack, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def foreign_app_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The default stack with the sample app replaced by an image that knows nothing of the harness."""
    folder = tmp_path_factory.mktemp("foreign")
    shutil.copytree(ROOT / "compose", folder / "compose")
    shutil.copytree(ROOT / "harness" / "sink_service", folder / "harness" / "sink_service")
    compose = yaml.safe_load((folder / "compose/docker-compose.yml").read_text())
    compose["services"]["app"] = {
        **compose["services"]["node-exporter"],
        "ports": ["127.0.0.1::9100"],
        "x-harness": {"role": "app", "ready": {"http": "/metrics", "port": 9100}},
    }
    compose["services"].pop("grafana")
    (folder / "compose/docker-compose.yml").write_text(yaml.safe_dump(compose))
    prometheus = folder / "compose/prometheus/prometheus.yml"
    prometheus.write_text(prometheus.read_text().replace("app:8000", "app:9100"))
    stack = load_stack(folder / "compose/docker-compose.yml")
    scale = TimeScale(20)
    with running_stack(stack, render_configs(stack, folder / "run", scale), scale, new_run_id(), folder / "run") as live:
        yield live


def test_app_fault_on_a_foreign_app_is_skipped_saying_why(foreign_app_stack: RunningStack, tmp_path: Path) -> None:
    scenario = Scenario.model_validate({
        "name": "errors-on-a-foreign-app",
        "load": {"users": 1, "rate_per_user": 1},
        "baseline": "10s",
        "faults": [{"duration": "1m", "fault": {"kind": "app_errors", "ratio": 0.5}}],
        "expectations": [{"type": "no_alerts"}],
    })

    result = runner.run_scenario(foreign_app_stack, scenario, tmp_path)

    assert result.skipped is not None and "has no harness control API" in result.skipped
    assert "Container, network and sink faults still work" in result.skipped
    assert not result.passed and result.error is None


def test_container_fault_on_a_foreign_app_still_works(foreign_app_stack: RunningStack, tmp_path: Path) -> None:
    scenario = Scenario.model_validate({
        "name": "pause-a-foreign-app",
        "load": {"users": 1, "rate_per_user": 1},
        "baseline": "10s",
        "faults": [{"duration": "2m", "fault": {"kind": "container_pause", "service": "app"}}],
        "recovery": "1m",
        "expectations": [{"type": "alert_fires", "alert": "TargetDown", "within": "2m"}],
    })

    result = runner.run_scenario(foreign_app_stack, scenario, tmp_path)

    assert result.skipped is None and result.error is None
    assert result.verdicts[0].passed, result.verdicts[0].detail
