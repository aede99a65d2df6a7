"""The Docker engine: one client, our labels, and the sweep of what crashed runs left behind."""

from __future__ import annotations

import os
from functools import lru_cache

import docker
import docker.errors

from harness.errors import EngineUnavailable

#: Every container, network, volume and image the harness creates carries this label.
MANAGED_LABEL = "dev.monitoring-harness.managed"
#: The run that created a resource, so concurrent runs only remove their own.
RUN_LABEL = "dev.monitoring-harness.run"
#: The process that owns a run; a sweep removes runs whose process is gone.
PID_LABEL = "dev.monitoring-harness.pid"


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
    return {MANAGED_LABEL: "true", RUN_LABEL: run_id, PID_LABEL: str(os.getpid())}


def remove_run(run_id: str) -> int:
    """Remove every container, network and volume of one run. Returns how many were removed."""
    return _remove(f"{RUN_LABEL}={run_id}")


def sweep_orphans() -> int:
    """Remove what runs whose process no longer exists left behind (a killed run, a crash).

    Only resources that name their owning process are swept, so a run never removes another
    live run's containers.
    """
    return sum(remove_run(run_id) for run_id in orphaned_runs())


def orphaned_runs() -> set[str]:
    """Run ids with containers or networks whose owning process no longer exists."""
    engine = client()
    dead_runs: set[str] = set()
    for container in engine.containers.list(all=True, filters={"label": MANAGED_LABEL}):
        pid = container.labels.get(PID_LABEL, "")
        if not _process_alive(pid):
            dead_runs.add(container.labels.get(RUN_LABEL, ""))
    for network in engine.networks.list(filters={"label": MANAGED_LABEL}):
        network.reload()
        if not _process_alive(network.attrs.get("Labels", {}).get(PID_LABEL, "")):
            dead_runs.add(network.attrs["Labels"].get(RUN_LABEL, ""))
    return {run_id for run_id in dead_runs if run_id}


def _remove(label_filter: str) -> int:
    engine = client()
    removed = 0
    for container in engine.containers.list(all=True, filters={"label": label_filter}):
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    for network in engine.networks.list(filters={"label": label_filter}):
        try:
            network.remove()
            removed += 1
        except docker.errors.NotFound:
            pass
    for volume in engine.volumes.list(filters={"label": label_filter}):
        try:
            volume.remove(force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    return removed


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
