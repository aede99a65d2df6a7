"""Hard stops: Ctrl-C (once or again during the clean-up), SIGTERM during boot, SIGKILL under load.

Whatever the stop, nothing of the run is left once the command (or, after SIGKILL, `harness
sweep`) has ended: no container, no network, no load generator; and what the command says about
it is true.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from commands import ROOT, our_containers, our_load_generators, our_networks, start_harness

from harness import polling

#: A short scenario (its baseline is 1.5 s at ×40); no measuring stack before it.
SHORT_RUN = ("run", str(ROOT / "scenarios" / "target-down.yml"), "--scale", "40", "--scale-limits", "off")
#: Printed once Locust's requests are flowing.
UNDER_LOAD = "target-down: baseline"


def assert_nothing_left(reports: Path) -> None:
    assert our_containers(reports) == []
    assert our_networks(reports) == []
    assert our_load_generators(reports) == []


def test_ctrl_c_pressed_again_twice_during_the_clean_up_leaves_nothing(tmp_path: Path) -> None:
    process, _ = start_harness(*SHORT_RUN, reports=tmp_path, until=UNDER_LOAD)
    assert process.stdout is not None
    os.killpg(process.pid, signal.SIGINT)  # as a terminal sends it: to the harness and Locust
    started = polling.monotonic()
    polling.wait_for(lambda: "removing the stack" in process.stdout.readline(), timeout=60, interval=0,  # type: ignore[union-attr]
                     describe="the clean-up under way")
    os.killpg(process.pid, signal.SIGINT)
    polling.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=120)

    assert process.returncode == 130, output[-3000:]
    assert output.count("SIGINT again: still removing what the run started") == 2, output[-3000:]
    assert "Interrupted: everything the run started has been removed (interrupted 2 more time(s)" in output
    assert polling.monotonic() - started < 10, output[-3000:]
    assert_nothing_left(tmp_path)


def test_sigterm_while_the_stack_boots_exits_130_leaving_nothing(tmp_path: Path) -> None:
    process, _ = start_harness(*SHORT_RUN, reports=tmp_path, until="starting ")
    started = polling.monotonic()
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 130, output[-3000:]
    assert "Interrupted: everything the run started has been removed" in output
    assert polling.monotonic() - started < 10, output[-3000:]
    assert_nothing_left(tmp_path)


def test_a_run_killed_under_load_leaves_no_load_generator_and_sweep_removes_the_rest(tmp_path: Path) -> None:
    process, _ = start_harness(*SHORT_RUN, reports=tmp_path, until=UNDER_LOAD)
    process.kill()
    process.communicate(timeout=30)
    left = our_containers(tmp_path)
    assert left != []
    private = list(Path(tempfile.gettempdir()).glob(f"harness-*-{process.pid}-*"))
    assert private != []  # the configs with the stack's real secrets, mounted by its containers

    polling.wait_for(lambda: our_load_generators(tmp_path) == [], timeout=3, describe="Locust gone with the harness")
    check = subprocess.run([sys.executable, "-m", "harness.cli", "sweep", "--check"], cwd=ROOT, capture_output=True,
                           text=True, env={**os.environ, "COLUMNS": "300"})
    assert check.returncode == 1
    assert all(f"container {name}" in check.stderr for name in left), check.stderr
    assert all(str(folder) in check.stderr for folder in private), check.stderr
    result = subprocess.run([sys.executable, "-m", "harness.cli", "sweep"], cwd=ROOT, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert_nothing_left(tmp_path)
    assert [folder for folder in private if folder.exists()] == []
