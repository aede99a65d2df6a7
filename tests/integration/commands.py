"""The `harness` command run as a user runs it, and what its runs left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import engine, polling, processes

ROOT = Path(__file__).resolve().parents[2]


def harness(*args: str, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args, "--reports", str(reports)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )


def start_harness(*args: str, reports: Path, until: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `harness ARGS --reports REPORTS`; return once a line of its output contains `until`, with the lines so far.

    It runs in a process group of its own, as a command typed in a terminal does, so a test can
    press Ctrl-C the way a terminal does: to the harness and its load generator at once.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args, "--reports", str(reports)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"}, start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []

    def reached() -> bool:
        line = process.stdout.readline()  # type: ignore[union-attr]
        lines.append(line)
        if not line and process.poll() is not None:
            raise AssertionError(f"harness {args[0]} ended before saying {until!r}:\n" + "".join(lines))
        return until in line

    try:
        polling.wait_for(reached, timeout=300, interval=0, describe=f"harness {args[0]} says {until!r}")
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, lines


def run_ids(reports: Path) -> set[str]:
    """The runs that wrote to `reports` (one folder per run id); their lanes' ids start with it."""
    return {folder.name for folder in reports.iterdir() if folder.is_dir()} if reports.is_dir() else set()


def run_folder(reports: Path) -> Path:
    """The one run folder in `reports` (beside it, the history file the run appended to)."""
    (folder,) = [path for path in reports.iterdir() if path.is_dir()]
    return folder


def our_containers(reports: Path, on: engine.Engine | None = None) -> list[str]:
    """Containers of the runs that wrote to `reports` (on engine `on`, by default the default one)."""
    runs = run_ids(reports)
    return [c.name for c in engine.client(on).containers.list(all=True, filters={"label": engine.MANAGED_LABEL})
            if any(c.labels.get(engine.RUN_LABEL, "").startswith(run) for run in runs)]


def copy_of_default_stack(tmp_path: Path) -> Path:
    """The default stack's folder copied under tmp_path, with the build contexts it names."""
    stack = tmp_path / "compose"
    shutil.copytree(ROOT / "compose", stack)
    shutil.copytree(ROOT / "harness" / "sink_service", tmp_path / "harness" / "sink_service")
    shutil.copytree(ROOT / "harness" / "sample_app", tmp_path / "harness" / "sample_app")
    return stack


def our_networks(reports: Path, on: engine.Engine | None = None) -> list[str]:
    runs = run_ids(reports)
    return [n.name for n in engine.client(on).networks.list(filters={"label": engine.MANAGED_LABEL})
            if any((n.attrs.get("Labels") or {}).get(engine.RUN_LABEL, "").startswith(run) for run in runs)]


def our_load_generators(reports: Path) -> list[str]:
    """Load generator processes (by their marker) of the runs that wrote to `reports`, still running."""
    runs = run_ids(reports)
    return [str(p) for p in processes.marked() if any(p.run_id.startswith(run) for run in runs)]
