from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import engine
from harness.stack import prepare_images
from harness.stackfile import load_stack

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = ROOT / "compose" / "docker-compose.yml"
SECOND_ENGINE = ROOT / "scripts" / "second-engine"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_images() -> dict[str, str]:
    """Image tag per service of the default stack, pulled or built (cached) as a run would."""
    engine.configure_testcontainers()
    resolved, _ = prepare_images(load_stack(DEFAULT_STACK))
    return {name: image.tag for name, image in resolved.items()}


@pytest.fixture(scope="session")
def second_engine() -> Iterator[engine.Engine]:
    """A second Docker engine on this machine (scripts/second-engine), standing in for a second host.

    Started empty for the session; afterwards stopped, with its data root removed.
    """
    if os.geteuid() != 0:
        pytest.skip("a second dockerd needs root (scripts/second-engine)")
    started = subprocess.run([str(SECOND_ENGINE), "start"], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        subprocess.run([str(SECOND_ENGINE), "purge"], capture_output=True, timeout=120)
        raise AssertionError(f"scripts/second-engine start failed (exit {started.returncode}):\n{started.stderr}")
    try:
        yield engine.Engine(started.stdout.strip())
    finally:
        purged = subprocess.run([str(SECOND_ENGINE), "purge"], capture_output=True, text=True, timeout=120)
        assert purged.returncode == 0, purged.stderr
