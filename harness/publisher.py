"""Publish the stack's ports on 127.0.0.1 through one forwarding container.

The stack's network is `internal`: nothing on it has a route out. Docker publishes no port of a
container that is only on an internal network (moby/moby#36174; seen here on engine 20.10), so
one container of the harness's sidecar image sits on the stack network *and* on a small ordinary
network of its own, publishes one 127.0.0.1 port per service port, and forwards each (socat) to
its service by network alias. It is the only container with a route out, it runs nothing but
those forwards, and it does not route packets for others (ip_forward off).
"""

from __future__ import annotations

import contextlib
import shlex
import socket
from dataclasses import dataclass

import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.models.networks import Network

from harness import engine, interrupts
from harness.engine import Engine
from harness.errors import StackError

PUBLISHER_LABEL = "dev.monitoring-harness.publisher"
FIRST_LISTEN_PORT = 20000


@dataclass(frozen=True)
class Forward:
    """127.0.0.1:`host_port` on the host reaches `service`:`port` on the stack network."""

    service: str
    port: int
    host_port: int
    listen_port: int


@dataclass
class Publisher:
    container: Container
    network: Network
    forwards: tuple[Forward, ...]

    def url(self, service: str, port: int) -> str:
        for forward in self.forwards:
            if (forward.service, forward.port) == (service, port):
                return f"http://127.0.0.1:{forward.host_port}"
        raise StackError(f"service {service!r}: port {port} is not published; add it to `ports:`")


def plan(ports: dict[str, list[int]]) -> tuple[Forward, ...]:
    """One forward per service port, each on a free loopback port that stays fixed for the run.

    A fixed host port survives a service's stop/start fault; so does the publisher, which no fault touches.
    """
    forwards = []
    for service, service_ports in ports.items():
        for port in service_ports:
            forwards.append(Forward(service, port, _free_loopback_port(), FIRST_LISTEN_PORT + len(forwards)))
    return tuple(forwards)


def start(image: str, stack_network: str, forwards: tuple[Forward, ...], run_id: str, on: Engine | None = None) -> Publisher:
    """Start the publisher for `forwards` on `stack_network` (on engine `on`); StackError if the engine refuses."""
    client = engine.client(on)
    labels = {**engine.run_labels(run_id), PUBLISHER_LABEL: stack_network}
    edge = client.networks.create(f"{stack_network}-published", labels=labels)
    container: Container | None = None
    try:
        container = client.containers.create(
            image, ["bash", "-c", _script(forwards)], network=edge.name, labels=labels,
            ports={f"{f.listen_port}/tcp": ("127.0.0.1", f.host_port) for f in forwards},
            sysctls={"net.ipv4.ip_forward": "0"},
        )
        client.networks.get(stack_network).connect(container)
        container.start()
    except docker.errors.APIError as error:
        if container is not None:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
        with contextlib.suppress(docker.errors.APIError):
            edge.remove()
        raise StackError(f"could not start the port publisher ({image}): {error.explanation or error}") from error
    return Publisher(container, edge, forwards)


def stop(publisher: Publisher) -> None:
    """Remove the publisher and its network, to the end though interrupted again; what is gone is skipped."""
    with interrupts.shielded():
        with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
            publisher.container.remove(force=True)
        with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
            publisher.network.remove()


def _script(forwards: tuple[Forward, ...]) -> str:
    # socat opens the target in each forked child, so the alias is resolved per connection and a
    # restarted service with a new address is found again.
    lines = [
        f"socat TCP-LISTEN:{f.listen_port},fork,reuseaddr TCP:{shlex.quote(f.service)}:{f.port} &" for f in forwards
    ]
    return "\n".join([*lines, "wait -n", "exit 1"])


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
