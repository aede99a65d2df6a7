"""Sidecar containers that bring tools to a target: into its network namespace or its cgroup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import docker.errors
import requests.exceptions
from docker.models.containers import Container

from harness import engine
from harness.errors import FaultError

if TYPE_CHECKING:
    from harness.stack import RunningStack


def run_once(stack: RunningStack, target: str, command: list[str]) -> str:
    """Run a tool in the target's network namespace with NET_ADMIN; return its output."""
    container = stack.container(target)
    created: Container | None = None
    try:
        created = stack.engine.client().containers.create(
            stack.sidecar_image, command, network_mode=f"container:{container.id}", cap_add=["NET_ADMIN"],
            labels={**engine.run_labels(stack.run_id), "dev.monitoring-harness.sidecar": target},
        )
        created.start()
        status = created.wait(timeout=60)
        output = created.logs(stdout=True, stderr=True).decode(errors="replace").strip()
    except (docker.errors.APIError, requests.exceptions.RequestException) as error:
        raise FaultError(f"could not attach a sidecar to {target!r}: {error}") from error
    finally:
        remove(created)
    if status.get("StatusCode") != 0:
        raise FaultError(f"{' '.join(command)} in the network of {target!r} failed: {output}")
    return output


def start_in_cgroup(stack: RunningStack, target: str, command: list[str]) -> Container:
    """Start a tool inside the target's cgroup, so what it uses counts as the target's own CPU/memory."""
    container = stack.container(target)
    container.reload()
    parent = container.attrs["HostConfig"].get("CgroupParent") or "/docker"
    if "systemd" in str(stack.engine.client().info().get("CgroupDriver", "")):
        raise FaultError(
            f"stress in {target!r} needs the cgroupfs cgroup driver (this engine uses systemd); "
            "the sidecar cannot join the target's cgroup"
        )
    created: Container | None = None
    try:
        created = stack.engine.client().containers.create(
            stack.sidecar_image, command, cgroup_parent=f"{parent}/{container.id}",
            pid_mode=f"container:{container.id}",
            labels={**engine.run_labels(stack.run_id), "dev.monitoring-harness.sidecar": target},
        )
        created.start()
    except docker.errors.APIError as error:
        remove(created)
        raise FaultError(f"could not start stress in the cgroup of {target!r}: {error.explanation or error}") from error
    return created


def remove(container: Container | None) -> None:
    if container is None:
        return
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
