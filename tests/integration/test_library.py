"""Library scenarios that prove routing, inhibition, silences and sink outages on a live stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import runner
from harness.scenario import load_scenario
from harness.stack import RunningStack

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


@pytest.mark.parametrize(
    "name", ["latency-warning-routing", "error-rate-inhibition", "silenced-target-down", "pager-outage"]
)
def test_library_scenario_is_verified(harness_stack: RunningStack, tmp_path: Path, name: str) -> None:
    runner.reset(harness_stack)

    result = runner.run_scenario(harness_stack, load_scenario(LIBRARY / f"{name}.yml"), tmp_path)

    assert result.error is None and result.skipped is None, result.error or result.skipped
    assert [v for v in result.verdicts if not v.passed] == []
