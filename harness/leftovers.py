"""What runs leave behind when they cannot clean up: containers, networks and volumes, load generators,
and the private folders that hold a stack's real secrets.

`find()` and `sweep()` are about runs whose harness process is gone (killed, crashed): `harness
sweep` and the start of every run use them, and never touch a live run's resources; they look on
the engines they are given (`harness sweep --engine ...`), by default the default one.
`remove_own()` is the last step of a command: whatever of this process's runs is still there
goes, on every engine it used, and what cannot go is named, so that what the command then says
about clean-up is true.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import engine, evidence, interrupts, processes


@dataclass(frozen=True)
class Leftovers:
    """Per dead run, the names of its containers and networks; the load generators no harness owns; private folders."""

    resources: dict[str, list[str]]
    generators: list[processes.MarkedProcess]
    folders: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.resources or self.generators or self.folders)

    def lines(self) -> list[str]:
        lines = [f"left behind by run {run_id}, whose process is gone: {', '.join(names)}"
                 for run_id, names in sorted(self.resources.items())]
        lines += [f"left running by a harness that is gone: {process}" for process in self.generators]
        return lines + [f"left by a harness that is gone, holding the stack's real secrets: {folder}"
                        for folder in self.folders]


def find(engines: Sequence[engine.Engine] | None = None) -> Leftovers:
    """What dead runs left (on `engines`, by default the default one), without removing anything."""
    return Leftovers(engine.orphaned_runs(engines), processes.orphans(), evidence.orphaned_folders())


def sweep(engines: Sequence[engine.Engine] | None = None) -> engine.Removal:
    """Stop the load generators, remove the containers, networks and volumes (on `engines`, by default the
    default one) and the private folders dead runs left."""
    with interrupts.shielded():
        generators = processes.orphans()
        still_running = processes.stop(generators)
        stopped = engine.Removal(tuple(str(p) for p in generators if p not in still_running),
                                 tuple(f"{p} (did not stop)" for p in still_running))
        return stopped + remove_folders(evidence.orphaned_folders()) + engine.sweep_orphans(engines)


def remove_folders(folders: list[Path]) -> engine.Removal:
    """Remove each folder; name the ones that would not go, with the reason."""
    removed, left = [], []
    for folder in folders:
        try:
            shutil.rmtree(folder)
            removed.append(f"private folder {folder}")
        except OSError as error:
            left.append(f"private folder {folder} ({error.strerror or error})")
    return engine.Removal(tuple(removed), tuple(left))


def remove_own() -> engine.Removal:
    """Stop this process's load generators and remove every resource its runs created that is still there,
    on every engine it used."""
    with interrupts.shielded():
        removal = engine.Removal()
        if processes.started_any():
            generators = processes.children()
            still_running = processes.stop(generators)
            removal += engine.Removal(tuple(str(p) for p in generators if p not in still_running),
                                      tuple(f"{p} (did not stop)" for p in still_running))
        if engine.labelled_anything():
            removal += engine.remove_owned()
        return removal
