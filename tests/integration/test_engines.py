"""Lanes over several Docker engines, as a user meets them: a named engine that does not answer stops the
run before anything starts, and `harness sweep` cleans every engine it is given.

The two-engine gate itself (one lane on each, images copied to the empty one) is
test_cli.py::test_default_gate_verifies_the_default_stack_on_two_stacks_on_two_engines_and_writes_a_report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from commands import ROOT, harness

from harness import engine


def test_a_gate_with_an_engine_that_does_not_answer_exits_2_naming_it_and_starts_nothing(tmp_path: Path) -> None:
    dead = f"unix://{tmp_path}/no-engine.sock"
    good = engine.default()

    result = harness("gate", "--lanes", "2", "--engine", good.url, "--engine", dead, reports=tmp_path / "reports")

    assert result.returncode == 2, result.stderr[-3000:]
    assert f"EngineUnavailable: the Docker engine at {dead} does not answer" in " ".join(result.stderr.split())
    assert "starting" not in result.stderr and "stack healthy" not in result.stderr
    run_id = re.search(r"run (\S+): ", result.stderr).group(1)  # type: ignore[union-attr]
    assert not (tmp_path / "reports" / run_id).exists()
    ours = {"label": f"{engine.RUN_LABEL}"}
    assert [c.name for c in good.client().containers.list(all=True, filters=ours)
            if c.labels[engine.RUN_LABEL].startswith(run_id)] == []
    assert [n.name for n in good.client().networks.list(filters=ours)
            if n.attrs["Labels"][engine.RUN_LABEL].startswith(run_id)] == []


def test_sweep_removes_what_a_killed_run_left_on_every_engine_given(tmp_path: Path,
                                                                   second_engine: engine.Engine) -> None:
    killed = subprocess.Popen(["true"])  # a harness process that has ended
    killed.wait()
    run_id = f"killed-{killed.pid}-{tmp_path.name}"
    labels = {**engine.run_labels(run_id), engine.PID_LABEL: str(killed.pid)}
    left = {on: on.client().networks.create(f"{run_id}-{index}", labels=labels).name
            for index, on in enumerate((engine.default(), second_engine))}
    both = ["--engine", engine.default().url, "--engine", second_engine.url]

    try:
        listed = _harness("sweep", "--check", *both)
        swept = _harness("sweep", *both)
    finally:
        for on in left:
            engine.remove_run(run_id, on)

    assert listed.returncode == 1, listed.stderr
    shown = " ".join(listed.stderr.split())
    assert f"left behind by run {run_id}, whose process is gone:" in shown
    assert f"network {left[engine.default()]}" in shown
    assert f"network {left[second_engine]} on {second_engine.url}" in shown
    assert swept.returncode == 0, swept.stderr
    assert f"network {left[second_engine]} on {second_engine.url}" in " ".join(swept.stderr.split())
    for on, name in left.items():
        assert not on.client().networks.list(names=[name])


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})
