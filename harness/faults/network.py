"""Network faults: cut a service off the stack network; add latency and loss on its interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import docker.errors
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import FaultError
from harness.faults import sidecar

if TYPE_CHECKING:
    from harness.stack import RunningStack


class NetworkCut(BaseModel):
    """Disconnect a service from the stack network: nothing reaches it, it reaches nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["network_cut"] = "network_cut"
    service: str

    def start(self, stack: RunningStack) -> None:
        container = stack.container(self.service)
        try:
            stack.engine.client().networks.get(stack.network_name).disconnect(container)
        except docker.errors.APIError as error:
            raise FaultError(f"could not cut {self.service!r} off the network: {error.explanation or error}") from error

    def stop(self, stack: RunningStack) -> None:
        container = stack.container(self.service)
        container.reload()
        if stack.network_name in container.attrs["NetworkSettings"]["Networks"]:
            return
        aliases = [self.service] + (["events.pagerduty.com"] if self.service == stack.service_of_role("sink") else [])
        try:
            stack.engine.client().networks.get(stack.network_name).connect(container, aliases=aliases)
        except docker.errors.APIError as error:
            raise FaultError(f"could not reconnect {self.service!r}: {error.explanation or error}") from error

    def describe(self) -> str:
        return f"service {self.service} cut off the network"


class NetworkDelay(BaseModel):
    """Latency, jitter and loss on a service's interface (tc netem, from a sidecar with NET_ADMIN)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["network_delay"] = "network_delay"
    service: str
    delay_ms: int = Field(default=200, ge=0, le=60_000)
    jitter_ms: int = Field(default=0, ge=0, le=60_000)
    loss_percent: float = Field(default=0.0, ge=0, le=100)

    def start(self, stack: RunningStack) -> None:
        command = ["tc", "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", f"{self.delay_ms}ms"]
        if self.jitter_ms:
            command.append(f"{self.jitter_ms}ms")
        if self.loss_percent:
            command += ["loss", f"{self.loss_percent}%"]
        try:
            sidecar.run_once(stack, self.service, command)
        except FaultError as error:
            if "qdisc kind is unknown" in str(error):
                raise FaultError(
                    f"cannot delay {self.service!r}'s network: this engine's kernel has no netem qdisc "
                    "(CONFIG_NET_SCH_NETEM). Hint: network_loss and network_bandwidth work without it."
                ) from error
            raise

    def stop(self, stack: RunningStack) -> None:
        _clear_qdisc(stack, self.service)

    def describe(self) -> str:
        loss = f", {self.loss_percent:g}% loss" if self.loss_percent else ""
        jitter = f" ± {self.jitter_ms} ms" if self.jitter_ms else ""
        return f"{self.delay_ms} ms{jitter} delay{loss} on service {self.service}'s network"


class NetworkLoss(BaseModel):
    """Drop a share of the packets a service receives (iptables `statistic` match, from a sidecar)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["network_loss"] = "network_loss"
    service: str
    loss_percent: float = Field(gt=0, le=100)

    def start(self, stack: RunningStack) -> None:
        probability = f"{self.loss_percent / 100:.4f}"
        script = (
            f"iptables -N {CHAIN} && iptables -I INPUT -j {CHAIN} && "
            f"iptables -A {CHAIN} -m statistic --mode random --probability {probability} -j DROP"
        )
        sidecar.run_once(stack, self.service, ["sh", "-c", script])

    def stop(self, stack: RunningStack) -> None:
        script = f"iptables -D INPUT -j {CHAIN} 2>/dev/null; iptables -F {CHAIN} 2>/dev/null; iptables -X {CHAIN} 2>/dev/null; true"
        sidecar.run_once(stack, self.service, ["sh", "-c", script])

    def describe(self) -> str:
        return f"{self.loss_percent:g}% of packets to service {self.service} dropped"


class NetworkBandwidth(BaseModel):
    """Limit what a service can send to a rate (tc tbf, from a sidecar): big answers become slow."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["network_bandwidth"] = "network_bandwidth"
    service: str
    rate_kbit: int = Field(ge=8, le=10_000_000)

    def start(self, stack: RunningStack) -> None:
        command = ["tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", f"{self.rate_kbit}kbit",
                   "burst", "16kbit", "latency", "60s"]
        sidecar.run_once(stack, self.service, command)

    def stop(self, stack: RunningStack) -> None:
        _clear_qdisc(stack, self.service)

    def describe(self) -> str:
        return f"service {self.service} limited to {self.rate_kbit} kbit/s"


CHAIN = "HARNESS_LOSS"


def _clear_qdisc(stack: RunningStack, service: str) -> None:
    """Put the interface's default queueing back; nothing to do if it already is."""
    try:
        sidecar.run_once(stack, service, ["tc", "qdisc", "del", "dev", "eth0", "root"])
    except FaultError as error:
        if "No such file or directory" not in str(error) and "Cannot delete qdisc" not in str(error):
            raise
