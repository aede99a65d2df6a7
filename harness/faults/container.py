"""Container faults: stop, kill, pause or restart any service; CPU and memory stress inside one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import docker.errors
from docker.models.containers import Container
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harness import polling
from harness.errors import FaultError
from harness.faults import sidecar

if TYPE_CHECKING:
    from harness.stack import RunningStack

#: How long a stopped or killed service may take to be running again when the fault ends.
RESTART_TIMEOUT = 30.0


class _ContainerFault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    service: str = Field(description="the stack service to act on, e.g. app, postgres, alertmanager")


class ContainerStop(_ContainerFault):
    """Stop a service (SIGTERM, then SIGKILL after the grace period); start it again at the end."""

    kind: Literal["container_stop"] = "container_stop"
    grace_seconds: int = Field(default=5, ge=0, le=60)

    def start(self, stack: RunningStack) -> None:
        _engine_call(self.service, "stop", lambda c: c.stop(timeout=self.grace_seconds), stack)

    def stop(self, stack: RunningStack) -> None:
        _start_again(stack, self.service)

    def describe(self) -> str:
        return f"service {self.service} stopped"


class ContainerKill(_ContainerFault):
    """Kill a service with a signal (a crash); start it again at the end."""

    kind: Literal["container_kill"] = "container_kill"
    signal: str = "SIGKILL"

    def start(self, stack: RunningStack) -> None:
        _engine_call(self.service, f"kill with {self.signal}", lambda c: c.kill(signal=self.signal), stack)

    def stop(self, stack: RunningStack) -> None:
        _start_again(stack, self.service)

    def describe(self) -> str:
        return f"service {self.service} killed with {self.signal}"


class ContainerPause(_ContainerFault):
    """Freeze every process of a service (it accepts connections but never answers); thaw at the end."""

    kind: Literal["container_pause"] = "container_pause"

    def start(self, stack: RunningStack) -> None:
        _engine_call(self.service, "pause", lambda c: c.pause(), stack)

    def stop(self, stack: RunningStack) -> None:
        container = stack.container(self.service)
        container.reload()
        if container.status == "paused":
            _engine_call(self.service, "unpause", lambda c: c.unpause(), stack)

    def describe(self) -> str:
        return f"service {self.service} paused"


class ContainerRestart(_ContainerFault):
    """Restart a service once, at the fault's start (a deploy, an OOM restart)."""

    kind: Literal["container_restart"] = "container_restart"

    def start(self, stack: RunningStack) -> None:
        _engine_call(self.service, "restart", lambda c: c.restart(timeout=5), stack)

    def stop(self, stack: RunningStack) -> None:
        _start_again(stack, self.service)

    def describe(self) -> str:
        return f"service {self.service} restarted"


class CpuStress(_ContainerFault):
    """Busy CPU workers inside the service's own cgroup (stress-ng in a sidecar)."""

    kind: Literal["cpu_stress"] = "cpu_stress"
    workers: int = Field(default=1, ge=1, le=8)
    load_percent: int = Field(default=100, ge=1, le=100)
    _sidecar: Container | None = PrivateAttr(default=None)

    def start(self, stack: RunningStack) -> None:
        command = ["stress-ng", "--cpu", str(self.workers), "--cpu-load", str(self.load_percent), "--timeout", "3600s"]
        self._sidecar = sidecar.start_in_cgroup(stack, self.service, command)

    def stop(self, stack: RunningStack) -> None:
        sidecar.remove(self._sidecar)
        self._sidecar = None

    def describe(self) -> str:
        return f"{self.workers} CPU worker(s) at {self.load_percent}% inside service {self.service}"


class MemoryStress(_ContainerFault):
    """Allocate and hold memory inside the service's own cgroup (stress-ng in a sidecar)."""

    kind: Literal["memory_stress"] = "memory_stress"
    megabytes: int = Field(ge=1, le=8192)
    _sidecar: Container | None = PrivateAttr(default=None)

    def start(self, stack: RunningStack) -> None:
        command = ["stress-ng", "--vm", "1", "--vm-bytes", f"{self.megabytes}M", "--vm-keep", "--timeout", "3600s"]
        self._sidecar = sidecar.start_in_cgroup(stack, self.service, command)

    def stop(self, stack: RunningStack) -> None:
        sidecar.remove(self._sidecar)
        self._sidecar = None

    def describe(self) -> str:
        return f"{self.megabytes} MB held inside service {self.service}"


def _engine_call(service: str, what: str, action: object, stack: RunningStack) -> None:
    container = stack.container(service)
    try:
        action(container)  # type: ignore[operator]
    except docker.errors.APIError as error:
        raise FaultError(f"could not {what} service {service!r}: {error.explanation or error}") from error


def _start_again(stack: RunningStack, service: str) -> None:
    container = stack.container(service)

    def running() -> bool:
        container.reload()
        if container.status in {"exited", "created"}:
            container.start()
        return container.status == "running"

    try:
        polling.wait_for(running, timeout=RESTART_TIMEOUT, describe=f"service {service} running again",
                         on_error=(docker.errors.APIError,))
    except polling.Timeout as error:
        raise FaultError(f"service {service!r} did not come back after the fault: {error}") from error
