from __future__ import annotations

from pathlib import Path

import pytest

from harness import engine
from harness.stack import prepare_images
from harness.stackfile import load_stack

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = ROOT / "compose" / "docker-compose.yml"


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
