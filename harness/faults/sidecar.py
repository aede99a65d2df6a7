"""Sidecar containers that bring tools to a target: into its network namespace or its cgroup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import docker.errors
from docker.models.containers import Container

from harness import engine
from harness.errors import FaultError

if TYPE_CHECKING:
    from harness.stack import RunningStack


def run_once(stack: RunningStack, target: str, command: list[str]) -> str:
    """Run a tool in the target's network namespace with NET_ADMIN; return its output."""
    container = stack.container(target)
    try:
        output = engine.client().containers.run(
            stack.sidecar_image, command, remove=True, network_mode=f"container:{container.id}",
            cap_add=["NET_ADMIN"], labels={**engine.run_labels(stack.run_id), "dev.monitoring-harness.sidecar": target},
            stdout=True, stderr=True,
        )
    except docker.errors.ContainerError as error:
        stderr = error.stderr.decode(errors="replace").strip() if isinstance(error.stderr, bytes) else error.stderr
        raise FaultError(f"{' '.join(command)} in the network of {target!r} failed: {stderr}") from error
    except docker.errors.APIError as error:
        raise FaultError(f"could not attach a sidecar to {target!r}: {error.explanation or error}") from error
    return output.decode(errors="replace") if isinstance(output, bytes) else str(output)


def start_in_cgroup(stack: RunningStack, target: str, command: list[str]) -> Container:
    """Start a tool inside the target's cgroup, so what it uses counts as the target's own CPU/memory."""
    container = stack.container(target)
    container.reload()
    parent = container.attrs["HostConfig"].get("CgroupParent") or "/docker"
    if "systemd" in str(engine.client().info().get("CgroupDriver", "")):
        raise FaultError(
            f"stress in {target!r} needs the cgroupfs cgroup driver (this engine uses systemd); "
            "the sidecar cannot join the target's cgroup"
        )
    try:
        return engine.client().containers.run(
            stack.sidecar_image, command, detach=True, cgroup_parent=f"{parent}/{container.id}",
            pid_mode=f"container:{container.id}",
            labels={**engine.run_labels(stack.run_id), "dev.monitoring-harness.sidecar": target},
        )
    except docker.errors.APIError as error:
        raise FaultError(f"could not start stress in the cgroup of {target!r}: {error.explanation or error}") from error


def remove(container: Container | None) -> None:
    if container is None:
        return
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
