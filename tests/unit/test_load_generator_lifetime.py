"""A load generator never outlives its bounds or the harness that started it; a sweep stops one that did."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import polling, processes

ROOT = Path(__file__).resolve().parents[2]
#: Nothing listens here: the harness's target is gone, as after a killed run's containers were swept.
DEAD_TARGET = "http://127.0.0.1:9"


def marked_sleeper(run_id: str, starter: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            env={**os.environ, processes.RUN_ENV: run_id, processes.PARENT_ENV: str(starter)})


def dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def of_run(run_id: str) -> list[processes.MarkedProcess]:
    return [process for process in processes.marked() if process.run_id == run_id]


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_a_load_generator_whose_harness_is_gone_is_found_by_its_marker_and_stopped(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    spawned.append(marked_sleeper("unit-orphan", dead_pid()))
    polling.wait_for(lambda: bool(of_run("unit-orphan")), timeout=5, describe="the marked process listed")

    (orphan,) = [process for process in processes.orphans() if process.run_id == "unit-orphan"]
    assert orphan.pid == spawned[0].pid and "time.sleep(60)" in orphan.command

    assert processes.stop([orphan]) == []
    assert spawned[0].wait(timeout=5) == -signal.SIGTERM


def test_the_load_generator_of_a_live_harness_is_not_an_orphan(spawned: list[subprocess.Popen[bytes]]) -> None:
    spawned.append(marked_sleeper("unit-live", os.getpid()))
    polling.wait_for(lambda: bool(of_run("unit-live")), timeout=5, describe="the marked process listed")

    assert [process.run_id for process in processes.orphans()].count("unit-live") == 0
    assert [process.pid for process in processes.children() if process.run_id == "unit-live"] == [spawned[0].pid]


def harness_starting_locust(run_id: str, seconds: float, output: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    """A harness process (standing in for `harness run`) that starts Locust (one process or a master and workers), then waits."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from harness.load import LoadProfile, LoadRun
        profile = LoadProfile(2, 1.0, {seconds}, 1000, workers={workers})
        load = LoadRun({DEAD_TARGET!r}, profile, Path({str(output)!r}), run_id={run_id!r})
        time.sleep(120)
    """)
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def locust_pids(run_id: str) -> list[int]:
    return [process.pid for process in of_run(run_id) if "locust" in process.command]


def test_locust_dies_at_once_when_the_harness_that_started_it_is_killed(tmp_path: Path) -> None:
    harness = harness_starting_locust("unit-killed", 120, tmp_path)
    try:
        polling.wait_for(lambda: bool(locust_pids("unit-killed")), timeout=10, describe="Locust running")
        history = tmp_path / "locust_stats_history.csv"
        polling.wait_for(history.exists, timeout=20, describe="Locust writing its history (load file loaded)")
    finally:
        harness.kill()
        harness.wait()

    polling.wait_for(lambda: not locust_pids("unit-killed"), timeout=3, describe="Locust gone with its harness")


def test_locust_stops_at_its_own_time_limit_though_its_target_is_gone(tmp_path: Path) -> None:
    harness = harness_starting_locust("unit-bounded", 2, tmp_path)
    try:
        polling.wait_for(lambda: bool(locust_pids("unit-bounded")), timeout=10, describe="Locust running")
        polling.wait_for(lambda: not locust_pids("unit-bounded"), timeout=15,
                         describe="Locust ended by its 2 s run time")
    finally:
        harness.kill()
        harness.wait()
    # Requests that got no answer were issued, and failed: the load did not go quiet, the target did.
    with (tmp_path / "locust_stats.csv").open() as handle:
        (total,) = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    assert int(total["Request Count"]) > 0 and total["Failure Count"] == total["Request Count"]


def test_a_master_and_its_workers_are_the_harnesses_children_and_all_die_at_once_with_it(tmp_path: Path) -> None:
    harness = harness_starting_locust("unit-distributed", 120, tmp_path, workers=2)
    try:
        polling.wait_for(lambda: len(locust_pids("unit-distributed")) == 3, timeout=10,
                         describe="a Locust master and 2 workers running")
        polling.wait_for((tmp_path / "flowing").exists, timeout=20, describe="the workers' requests completing")
        assert {process.starter for process in of_run("unit-distributed")} == {harness.pid}
        assert not [process for process in processes.orphans() if process.run_id == "unit-distributed"]
    finally:
        harness.kill()
        harness.wait()

    polling.wait_for(lambda: not locust_pids("unit-distributed"), timeout=3,
                     describe="the master and every worker gone with their harness")
