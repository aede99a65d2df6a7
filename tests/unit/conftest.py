import sys
from pathlib import Path

# Test modules import their shared builders as `builders`, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

import pytest

#: Lines a test wants a reader of the test output to see (where a screenshot is, how long rendering took).
_NOTES: list[str] = []


@pytest.fixture
def note() -> object:
    """`note("...")` prints the line in pytest's summary at the end of the run, passed or not."""
    return _NOTES.append


def pytest_terminal_summary(terminalreporter: object) -> None:
    if _NOTES:
        terminalreporter.section("report evidence")  # type: ignore[attr-defined]
        for line in _NOTES:
            terminalreporter.write_line(line)  # type: ignore[attr-defined]
