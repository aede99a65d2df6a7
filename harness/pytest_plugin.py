"""pytest plugin: a live monitoring stack as a fixture, for checks of your own.

    def test_my_alert_pages_oncall(harness_stack):
        harness_stack.alertmanager.post_alert({"alertname": "Test", "severity": "critical"})
        ...

`harness_stack` starts the stack once per session (options --harness-stack, --harness-scale) and
removes every container and network at the end, whatever the tests did.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.stack import RunningStack


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "monitoring verification harness")
    group.addoption("--harness-stack", default="compose/docker-compose.yml", help="Compose file of the stack")
    group.addoption("--harness-scale", type=float, default=20.0, help="time compression factor (1 = real time)")


@pytest.fixture(scope="session")
def harness_scale(request: pytest.FixtureRequest) -> float:
    return float(request.config.getoption("--harness-scale"))


@pytest.fixture(scope="session")
def harness_stack(
    request: pytest.FixtureRequest, harness_scale: float, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    stack_path = Path(request.config.rootpath) / request.config.getoption("--harness-stack")
    with stack_running(stack_path, harness_scale, tmp_path_factory.mktemp("harness-run")) as live:
        yield live


@contextlib.contextmanager
def stack_running(stack_path: Path, scale: float, run_dir: Path) -> Iterator[RunningStack]:
    """The stack of `stack_path` at time scale `scale`, removed (with its rendered configs) on any exit."""
    from harness.gate import new_run_id
    from harness.stack import render_configs, running_stack
    from harness.stackfile import load_stack
    from harness.timescale import TimeScale

    stack = load_stack(stack_path)
    rendered = render_configs(stack, run_dir, TimeScale(scale))
    try:
        with running_stack(stack, rendered, TimeScale(scale), new_run_id(), run_dir) as live:
            yield live
    finally:
        rendered.discard()
