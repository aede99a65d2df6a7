"""The recorded run the report tests render: a real gate run's report.json and timelines (see its README)."""

from __future__ import annotations

import shutil
from pathlib import Path

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded-run"
PASSING = ("high-error-rate", "target-down")
FAILING = "wrong-receiver"


def copy_of_recorded_run(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(RECORDED, folder, ignore=shutil.ignore_patterns("README.md"))
    return folder
