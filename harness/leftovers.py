"""What runs leave behind when they cannot clean up: containers, networks and volumes, and load generators.

`find()` and `sweep()` are about runs whose harness process is gone (killed, crashed): `harness
sweep` and the start of every run use them, and never touch a live run's resources. `remove_own()`
is the last step of a command: whatever of this process's runs is still there goes, and what
cannot go is named, so that what the command then says about clean-up is true.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import engine, interrupts, processes


@dataclass(frozen=True)
class Leftovers:
    """Per dead run, the names of its containers and networks; and the load generators no harness owns."""

    resources: dict[str, list[str]]
    generators: list[processes.MarkedProcess]

    def __bool__(self) -> bool:
        return bool(self.resources or self.generators)

    def lines(self) -> list[str]:
        lines = [f"left behind by run {run_id}, whose process is gone: {', '.join(names)}"
                 for run_id, names in sorted(self.resources.items())]
        return lines + [f"left running by a harness that is gone: {process}" for process in self.generators]


def find() -> Leftovers:
    """What dead runs left, without removing anything."""
    return Leftovers(engine.orphaned_runs(), processes.orphans())


def sweep() -> engine.Removal:
    """Stop the load generators and remove the containers, networks and volumes that dead runs left."""
    with interrupts.shielded():
        generators = processes.orphans()
        still_running = processes.stop(generators)
        stopped = engine.Removal(tuple(str(p) for p in generators if p not in still_running),
                                 tuple(f"{p} (did not stop)" for p in still_running))
        return stopped + engine.sweep_orphans()


def remove_own() -> engine.Removal:
    """Stop this process's load generators and remove every resource its runs created that is still there."""
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
