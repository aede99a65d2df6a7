"""The `harness` command run as a user runs it, and what its runs left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from harness import engine

ROOT = Path(__file__).resolve().parents[2]


def harness(*args: str, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args, "--reports", str(reports)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )


def our_containers(reports: Path) -> list[str]:
    """Containers of the runs that wrote to `reports` (one folder per run id)."""
    runs = {folder.name for folder in reports.iterdir()} if reports.is_dir() else set()
    return [c.name for c in engine.client().containers.list(all=True, filters={"label": engine.MANAGED_LABEL})
            if any(c.labels.get(engine.RUN_LABEL, "").startswith(run) for run in runs)]


def copy_of_default_stack(tmp_path: Path) -> Path:
    """The default stack's folder copied under tmp_path, with the build contexts it names."""
    stack = tmp_path / "compose"
    shutil.copytree(ROOT / "compose", stack)
    shutil.copytree(ROOT / "harness" / "sink_service", tmp_path / "harness" / "sink_service")
    shutil.copytree(ROOT / "harness" / "sample_app", tmp_path / "harness" / "sample_app")
    return stack
