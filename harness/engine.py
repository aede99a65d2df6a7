"""The Docker engine: one client, our labels, and the sweep of what crashed runs left behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import docker
import docker.errors
from docker.models.containers import Container
import requests.exceptions

from harness import interrupts, polling
from harness.errors import EngineUnavailable

#: Every container, network, volume and image the harness creates carries this label.
MANAGED_LABEL = "dev.monitoring-harness.managed"
#: The run that created a resource, so concurrent runs only remove their own.
RUN_LABEL = "dev.monitoring-harness.run"
#: The process that owns a run; a sweep removes runs whose process is gone.
PID_LABEL = "dev.monitoring-harness.pid"
#: How long a removal keeps retrying what the engine refuses to remove yet (a removal in progress).
REMOVAL_TIMEOUT = 20.0


def configure_testcontainers() -> None:
    """Point testcontainers at 127.0.0.1 and switch off the reaper image, which cannot be pulled here."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    os.environ.setdefault("TC_HOST", "127.0.0.1")


@lru_cache(maxsize=1)
def client() -> docker.DockerClient:
    """A client for the local engine, or EngineUnavailable with a hint."""
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as error:
        raise EngineUnavailable(
            f"no Docker engine answers ({error}). Hint: run scripts/setup, which starts one "
            "on a Debian machine where you are root, or start Docker yourself."
        ) from error
    return engine


def run_labels(run_id: str) -> dict[str, str]:
    global _labelled
    _labelled = True
    return {MANAGED_LABEL: "true", RUN_LABEL: run_id, PID_LABEL: str(os.getpid())}


_labelled = False


def labelled_anything() -> bool:
    """Whether this process has labelled a resource for a run (so there may be something of ours to remove)."""
    return _labelled


@dataclass(frozen=True)
class Removal:
    """What a removal took away, and what it could not (each named, with the reason)."""

    removed: tuple[str, ...] = ()
    left: tuple[str, ...] = ()

    def __add__(self, other: Removal) -> Removal:
        return Removal(self.removed + other.removed, self.left + other.left)


def remove_run(run_id: str) -> Removal:
    """Remove every container, network and volume of one run, to the end even if interrupted again.

    Idempotent: what is already gone is skipped, what the engine is still removing is waited for.
    """
    return _remove(f"{RUN_LABEL}={run_id}", f"run {run_id}")


def remove_owned() -> Removal:
    """Remove every container, network and volume any run of this process created (a last safety net)."""
    return _remove(f"{PID_LABEL}={os.getpid()}", f"process {os.getpid()}")


def sweep_orphans() -> Removal:
    """Remove what runs whose process no longer exists left behind (a killed run, a crash).

    Only resources that name their owning process are swept, so a run never removes another
    live run's containers.
    """
    with interrupts.shielded():
        return sum((remove_run(run_id) for run_id in sorted(orphaned_runs())), Removal())


def orphaned_runs() -> dict[str, list[str]]:
    """Per run whose owning process no longer exists, the names of what it left (containers, networks)."""
    engine = client()
    left: dict[str, list[str]] = {}
    for container in _containers(engine, {"label": MANAGED_LABEL}):
        labels = container.attrs.get("Labels") or {}
        if not _process_alive(labels.get(PID_LABEL, "")):
            left.setdefault(labels.get(RUN_LABEL, ""), []).append(f"container {_name(container)}")
    for network in engine.networks.list(filters={"label": MANAGED_LABEL}):
        labels = network.attrs.get("Labels") or {}
        if not _process_alive(labels.get(PID_LABEL, "")):
            left.setdefault(labels.get(RUN_LABEL, ""), []).append(f"network {network.name}")
    return {run_id: names for run_id, names in left.items() if run_id}


def _remove(label_filter: str, whose: str) -> Removal:
    removed: list[str] = []
    failures: dict[str, str] = {}

    def removal_pass() -> bool:
        """Remove what is listed; True once nothing carries the label any more."""
        found = _labelled_resources(label_filter)
        if not found:
            return True
        for name, remove in found:
            try:
                remove()
                removed.append(name)
                failures.pop(name, None)
            except docker.errors.NotFound:
                failures.pop(name, None)
            except docker.errors.APIError as error:  # e.g. 409, removal already in progress
                failures[name] = str(error.explanation or error)
        return not _labelled_resources(label_filter)

    with interrupts.shielded():
        try:
            try:
                polling.wait_for(removal_pass, timeout=REMOVAL_TIMEOUT, interval=0.5, cancellable=False,
                                 describe=f"nothing of {whose} left")
            except polling.Timeout:
                left = [name for name, _ in _labelled_resources(label_filter)]
                return Removal(tuple(removed), tuple(f"{name} ({failures.get(name, 'still there')})" for name in left))
        except (EngineUnavailable, docker.errors.DockerException, requests.exceptions.RequestException) as error:
            return Removal(tuple(removed), (f"whatever of {whose} is left (the Docker engine did not answer: {error})",))
    return Removal(tuple(removed))


def _labelled_resources(label_filter: str) -> list[tuple[str, Callable[[], object]]]:
    """Containers first: a network cannot go while a container is still attached to it."""
    engine = client()
    filters = {"label": label_filter}
    found: list[tuple[str, Callable[[], object]]] = []
    for container in _containers(engine, filters):
        found.append((f"container {_name(container)}", partial(container.remove, force=True, v=True)))
    for network in engine.networks.list(filters=filters):
        found.append((f"network {network.name}", network.remove))
    for volume in engine.volumes.list(filters=filters):
        found.append((f"volume {volume.name}", partial(volume.remove, force=True)))
    return found


def _containers(engine: docker.DockerClient, filters: dict[str, str]) -> list[Container]:
    """The engine's list as it is, with no inspection of each: a container removed meanwhile (another
    lane's take-down) would make inspecting it fail the whole listing."""
    return engine.containers.list(all=True, sparse=True, filters=filters)  # type: ignore[no-any-return]


def _name(container: Container) -> str:
    names = container.attrs.get("Names") or [container.id or "?"]
    return str(names[0]).lstrip("/")


def _process_alive(pid: str) -> bool:
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
