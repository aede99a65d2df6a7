"""Processes the harness starts on the host (the load generator), and the sweep of those a dead harness left.

Each carries two variables in its environment: the run it belongs to and the harness process that
started it. It dies with that process by itself (harness/locustfile.py: a parent-death signal and a
watch on its parent); should that ever fail, a sweep finds it in /proc by its marker and stops it.
A process is left behind when its parent is no longer the harness process that started it.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from harness import polling

RUN_ENV = "HARNESS_RUN_ID"
PARENT_ENV = "HARNESS_PARENT_PID"
PROC = Path("/proc")
STOP_TIMEOUT = 5.0

_started = False


@dataclass(frozen=True)
class MarkedProcess:
    """A process a harness started: its pid, its run, the harness process that started it, its parent now."""

    pid: int
    run_id: str
    starter: int
    parent: int
    command: str

    @property
    def orphaned(self) -> bool:
        return self.parent != self.starter

    def __str__(self) -> str:
        return f"load generator pid {self.pid} of run {self.run_id} ({self.command[:80]})"


def environment(run_id: str) -> dict[str, str]:
    """The environment for a process this harness starts for `run_id`: ours plus the two markers."""
    global _started
    _started = True
    return {**os.environ, RUN_ENV: run_id, PARENT_ENV: str(os.getpid())}


def started_any() -> bool:
    return _started


def marked(proc: Path = PROC) -> list[MarkedProcess]:
    """Every live process carrying the markers (unreadable or vanished ones are skipped)."""
    found = []
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            variables = dict(item.partition(b"=")[::2] for item in (entry / "environ").read_bytes().split(b"\0"))
            if RUN_ENV.encode() not in variables:
                continue
            state, parent = _state_and_parent(entry)
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError):
            continue
        if state != "Z":
            found.append(MarkedProcess(int(entry.name), variables[RUN_ENV.encode()].decode(errors="replace"),
                                       int(variables.get(PARENT_ENV.encode(), b"0") or 0), parent, command))
    return found


def orphans(proc: Path = PROC) -> list[MarkedProcess]:
    """Marked processes whose harness is gone."""
    return [process for process in marked(proc) if process.orphaned]


def children(proc: Path = PROC) -> list[MarkedProcess]:
    """Marked processes this harness process started and that still run."""
    return [process for process in marked(proc) if process.starter == os.getpid() and not process.orphaned]


def stop(processes: list[MarkedProcess], proc: Path = PROC, timeout: float = STOP_TIMEOUT) -> list[MarkedProcess]:
    """SIGTERM each, SIGKILL what still runs after `timeout`; return those that could not be stopped."""
    for process in processes:
        _signal(process.pid, signal.SIGTERM)

    def ended() -> bool:
        return not [process for process in processes if _alive(process.pid, proc)]

    try:
        polling.wait_for(ended, timeout=timeout, interval=0.1, cancellable=False, describe="load generators ended")
    except polling.Timeout:
        for process in processes:
            _signal(process.pid, signal.SIGKILL)
        try:
            polling.wait_for(ended, timeout=2.0, interval=0.1, cancellable=False, describe="load generators killed")
        except polling.Timeout:
            pass
    return [process for process in processes if _alive(process.pid, proc)]


def _state_and_parent(entry: Path) -> tuple[str, int]:
    # The command name in parentheses may hold spaces and parentheses: split after the last ")".
    fields = (entry / "stat").read_text().rpartition(")")[2].split()
    return fields[0], int(fields[1])


def _alive(pid: int, proc: Path) -> bool:
    """Running, and not a zombie waiting for its parent to read its exit status."""
    try:
        return _state_and_parent(proc / str(pid))[0] != "Z"
    except (OSError, ValueError, IndexError):
        return False


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
