"""Docker engines: a client per engine, our labels, and the removal of what runs left behind on each.

A run's lanes may be spread over several engines (harness.engines); everything here takes the
`Engine` to talk to, and the default is the one `DOCKER_HOST` names (or Docker's own socket).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

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
#: Where docker-py and the docker CLI look when DOCKER_HOST is not set.
DEFAULT_URL = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class Engine:
    """One Docker engine, by the URL its clients connect to (`unix:///run/x.sock`, `tcp://127.0.0.1:2375`)."""

    url: str

    @property
    def is_default(self) -> bool:
        return self.url == default().url

    def client(self) -> docker.DockerClient:
        """This engine's client (one per engine and process), or EngineUnavailable naming the URL."""
        return client(self)

    def testcontainers_kw(self) -> dict[str, Any]:
        """`docker_client_kw` for testcontainers, which otherwise reads DOCKER_HOST: lanes run in threads
        side by side, so the engine is passed to each client rather than set in the environment."""
        return {} if self.is_default else {"environment": {"DOCKER_HOST": self.url}}

    def where(self, name: str) -> str:
        """`name`, and on which engine where it is not the default one (for messages listing leftovers)."""
        return name if self.is_default else f"{name} on {self.url}"


def default() -> Engine:
    """The engine DOCKER_HOST names, or Docker's default socket."""
    return Engine(os.environ.get("DOCKER_HOST") or DEFAULT_URL)


def configure_testcontainers() -> None:
    """Point testcontainers at 127.0.0.1 and switch off the reaper image, which cannot be pulled here."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    os.environ.setdefault("TC_HOST", "127.0.0.1")


_clients: dict[str, docker.DockerClient] = {}
_clients_lock = threading.Lock()
#: The engines this process made clients for: where its runs may have left something.
_used: set[str] = set()


def client(engine: Engine | None = None) -> docker.DockerClient:
    """A client for `engine` (default: the default engine), made once per engine, or EngineUnavailable with a hint."""
    engine = engine or default()
    with _clients_lock:
        if engine.url not in _clients:
            _clients[engine.url] = connect(engine)
            _used.add(engine.url)
        return _clients[engine.url]


def connect(engine: Engine, timeout: float = 60) -> docker.DockerClient:
    """A new client for `engine` that has answered a ping, or EngineUnavailable naming the URL and what failed."""
    try:
        if engine.is_default:
            made = docker.from_env(timeout=int(timeout))  # also honours DOCKER_TLS_VERIFY / DOCKER_CERT_PATH
        else:
            made = docker.DockerClient(base_url=engine.url, timeout=int(timeout))
        made.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        hint = ("Hint: run scripts/setup, which starts one on a Debian machine where you are root, or start "
                "Docker yourself." if engine.is_default else
                "Hint: start that engine (for tests: scripts/second-engine) or leave its --engine out.")
        raise EngineUnavailable(f"the Docker engine at {engine.url} does not answer ({error}). {hint}") from error
    return made


def used() -> list[Engine]:
    """The engines this process has talked to (at least the default), the default first."""
    return sorted({Engine(url) for url in _used} | {default()}, key=lambda e: (not e.is_default, e.url))


def run_labels(run_id: str) -> dict[str, str]:
    """The labels of everything a run creates: ours, the run's, and this process's."""
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


def remove_run(run_id: str, engine: Engine | None = None) -> Removal:
    """Remove every container, network and volume of one run on `engine`, to the end even if interrupted again.

    Idempotent: what is already gone is skipped, what the engine is still removing is waited for.
    """
    return _remove(f"{RUN_LABEL}={run_id}", f"run {run_id}", engine or default())


def remove_owned(engines: Iterable[Engine] | None = None) -> Removal:
    """Remove every container, network and volume any run of this process created (a last safety net).

    On `engines`, by default every engine this process talked to.
    """
    whose = f"process {os.getpid()}"
    return sum((_remove(f"{PID_LABEL}={os.getpid()}", whose, engine) for engine in (used() if engines is None else engines)),
               Removal())


def sweep_orphans(engines: Iterable[Engine] | None = None) -> Removal:
    """Remove what runs whose process no longer exists left behind (a killed run, a crash), on each engine.

    Only resources that name their owning process are swept, so a run never removes another
    live run's containers.
    """
    removal = Removal()
    with interrupts.shielded():
        for engine in engines or [default()]:
            try:
                orphans = orphaned_runs([engine])
            except EngineUnavailable as error:
                removal += Removal(left=(f"whatever is left on {engine.url} ({error})",))
                continue
            removal += sum((remove_run(run_id, engine) for run_id in sorted(orphans)), Removal())
    return removal


def orphaned_runs(engines: Iterable[Engine] | None = None) -> dict[str, list[str]]:
    """Per run whose owning process no longer exists, the names of what it left (containers, networks, volumes),
    on each engine."""
    left: dict[str, list[str]] = {}
    for engine in engines or [default()]:
        docker_client = client(engine)
        for container in _containers(docker_client, {"label": MANAGED_LABEL}):
            labels = container.attrs.get("Labels") or {}
            if not _process_alive(labels.get(PID_LABEL, "")):
                left.setdefault(labels.get(RUN_LABEL, ""), []).append(engine.where(f"container {_name(container)}"))
        for network in docker_client.networks.list(filters={"label": MANAGED_LABEL}):
            labels = network.attrs.get("Labels") or {}
            if not _process_alive(labels.get(PID_LABEL, "")):
                left.setdefault(labels.get(RUN_LABEL, ""), []).append(engine.where(f"network {network.name}"))
        for volume in docker_client.volumes.list(filters={"label": MANAGED_LABEL}):
            labels = volume.attrs.get("Labels") or {}
            if not _process_alive(labels.get(PID_LABEL, "")):
                left.setdefault(labels.get(RUN_LABEL, ""), []).append(engine.where(f"volume {volume.name}"))
    return {run_id: names for run_id, names in left.items() if run_id}


def _remove(label_filter: str, whose: str, engine: Engine) -> Removal:
    removed: list[str] = []
    failures: dict[str, str] = {}

    def removal_pass() -> bool:
        """Remove what is listed; True once nothing carries the label any more."""
        found = _labelled_resources(label_filter, engine)
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
        return not _labelled_resources(label_filter, engine)

    with interrupts.shielded():
        try:
            try:
                polling.wait_for(removal_pass, timeout=REMOVAL_TIMEOUT, interval=0.5, cancellable=False,
                                 describe=f"nothing of {whose} left")
            except polling.Timeout:
                left = [name for name, _ in _labelled_resources(label_filter, engine)]
                return Removal(tuple(removed), tuple(f"{name} ({failures.get(name, 'still there')})" for name in left))
        except (EngineUnavailable, docker.errors.DockerException, requests.exceptions.RequestException) as error:
            return Removal(tuple(removed), (f"whatever of {whose} is left (the Docker engine at {engine.url} did not "
                                            f"answer: {error})",))
    return Removal(tuple(removed))


def _labelled_resources(label_filter: str, engine: Engine) -> list[tuple[str, Callable[[], object]]]:
    """Containers first: a network cannot go while a container is still attached to it."""
    docker_client = client(engine)
    filters = {"label": label_filter}
    found: list[tuple[str, Callable[[], object]]] = []
    for container in _containers(docker_client, filters):
        found.append((engine.where(f"container {_name(container)}"), partial(container.remove, force=True, v=True)))
    for network in docker_client.networks.list(filters=filters):
        found.append((engine.where(f"network {network.name}"), network.remove))
    for volume in docker_client.volumes.list(filters=filters):
        found.append((engine.where(f"volume {volume.name}"), partial(volume.remove, force=True)))
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
