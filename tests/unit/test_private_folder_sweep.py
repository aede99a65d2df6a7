"""The private folders that hold a stack's real secrets: a killed run's are found and removed, a live run's never."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import evidence, leftovers


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_private_folder_names_the_process_that_made_it() -> None:
    folder = evidence.private_folder("harness-configs-")
    try:
        assert folder.name.startswith(f"harness-configs-{os.getpid()}-")
        assert folder.stat().st_mode & 0o777 == 0o700
    finally:
        evidence.discard(folder)


def test_a_folder_whose_process_is_gone_is_orphaned(tmp_path: Path, dead_pid: int) -> None:
    orphan = tmp_path / f"harness-configs-{dead_pid}-abc123"
    orphan.mkdir()

    assert evidence.orphaned_folders(tmp_path) == [orphan]


def test_a_folder_of_a_live_process_is_never_orphaned(tmp_path: Path) -> None:
    (tmp_path / f"harness-mutant-{os.getpid()}-abc123").mkdir()

    assert evidence.orphaned_folders(tmp_path) == []


def test_folders_not_named_by_the_harness_are_left_alone(tmp_path: Path, dead_pid: int) -> None:
    (tmp_path / "harness-configs-abc123").mkdir()  # no pid: made by an older harness, or by someone else
    (tmp_path / f"pytest-{dead_pid}-x").mkdir()
    (tmp_path / f"harness-configs-{dead_pid}-file").write_text("not a folder")

    assert evidence.orphaned_folders(tmp_path) == []


def test_removing_orphaned_folders_names_each_one(tmp_path: Path, dead_pid: int) -> None:
    orphan = tmp_path / f"harness-configs-{dead_pid}-abc123"
    (orphan / "alertmanager").mkdir(parents=True)
    (orphan / "alertmanager" / "alertmanager.yml").write_text("routing_key: real-secret\n")

    removal = leftovers.remove_folders([orphan])

    assert removal.removed == (f"private folder {orphan}",)
    assert removal.left == ()
    assert not orphan.exists()


def test_sweep_check_lists_an_orphaned_folder_as_holding_secrets(tmp_path: Path, dead_pid: int) -> None:
    orphan = tmp_path / f"harness-configs-{dead_pid}-abc123"
    found = leftovers.Leftovers({}, [], [orphan])

    assert found
    assert found.lines() == [f"left by a harness that is gone, holding the stack's real secrets: {orphan}"]
