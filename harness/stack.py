"""Bring a stack up on real containers, wait until it is healthy, and take all of it down again.

Data flow: the Compose file (stackfile) -> images (pulled or built) -> configs rendered for this
run (time scale, receivers -> sink, alerts only to the stack's Alertmanager) -> the run's own copies
of the volumes the file declares -> containers on one internal network (no route out), each labelled
with the run id, started in dependency order with the file's mounts (a config folder or file replaced
by its rendering), entrypoint, user and environment, their ports published on 127.0.0.1 by the
publisher -> readiness -> Prometheus has every target up and its Alertmanager discovered. Whatever
happens, `running_stack` removes every container, network and volume.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import docker.errors
from docker.models.containers import Container
from docker.types import Mount as DockerMount
import httpx
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness import checks, configs, engine, evidence, images, interrupts, leftovers, polling, publisher, yamlfile
from harness.alertmanager import AlertmanagerClient
from harness.engine import Engine
from harness.errors import ConfigError, FaultError, ImageBuildError, StackError
from harness.isolation import IsolationChange
from harness.prometheus import PrometheusClient
from harness.receivers import PAGERDUTY_V1_HOST
from harness.redaction import Secrets
from harness.signals import SignalSourceClient
from harness.sinks import SinkClient
from harness.mounts import Mount
from harness.stackfile import HttpReady, LogReady, Service, Stack
from harness.timescale import TimeScale

Progress = Callable[[str], None]
SIDECAR_RECIPE = Path(__file__).with_name("sidecar")
ALERTMANAGER_PORT = 9093
READY_TIMEOUT = 60.0
HEALTHY_TIMEOUT = 60.0


@dataclass(frozen=True)
class OmittedService:
    name: str
    reason: str
    leaves_unverified: str


@dataclass(frozen=True)
class BootFigures:
    images_seconds: float
    start_seconds: float
    healthy_seconds: float
    images: tuple[images.ResolvedImage, ...]


@dataclass
class RunningStack:
    """A live stack: its clients, published URLs and the settings it was rendered with."""

    stack: Stack
    run_id: str
    scale: TimeScale
    prometheus_settings: configs.PrometheusSettings
    alertmanager_settings: configs.AlertmanagerSettings
    urls: dict[str, str]
    containers: dict[str, DockerContainer]
    omitted: list[OmittedService]
    network_name: str = ""
    sidecar_image: str = ""
    boot: BootFigures | None = None
    #: The Docker engine the stack runs on (its ports are published on this machine's 127.0.0.1 all the same).
    engine: Engine = field(default_factory=engine.default)
    prometheus: PrometheusClient = field(init=False)
    alertmanager: AlertmanagerClient = field(init=False)
    sink: SinkClient = field(init=False)
    #: The signal source's client; None when no service has `x-harness: {role: signal_source}`.
    signals: SignalSourceClient | None = field(init=False)

    def __post_init__(self) -> None:
        self.prometheus = PrometheusClient(self.url_of_role("prometheus"))
        self.alertmanager = AlertmanagerClient(self.url_of_role("alertmanager"))
        self.sink = SinkClient(self.url_of_role("sink"))
        self.signals = self._signal_source()

    def _signal_source(self) -> SignalSourceClient | None:
        source = self.stack.with_role("signal_source")
        if source is None or source.name not in self.urls:  # none, or an optional one left out
            return None
        if not self.urls[source.name]:
            raise StackError(f"service {source.name!r} has role signal_source but publishes no port for the harness "
                             "to program it through. Hint: `ports: [\"127.0.0.1::9300\"]`")
        return SignalSourceClient(self.urls[source.name])

    def container(self, service: str) -> Container:
        """The engine's handle on a service's container, or FaultError naming the services there are."""
        if service not in self.containers:
            raise FaultError(f"no service {service!r} in this stack (services: {', '.join(sorted(self.containers))})")
        return self.containers[service].get_wrapped_container()

    def restart_alerting(self) -> None:
        """Restart Prometheus and Alertmanager (together), and wait until the stack is healthy again.

        Prometheus re-sends every resolved alert for 15 minutes (fixed in its rule manager, so not
        scaled), and Alertmanager keeps a group for such an alert; restarting both is the only way
        to give the next scenario an alerting pipeline with no memory of the last one.
        """
        services = [self.stack.by_role(role) for role in ("prometheus", "alertmanager")]
        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            for restarted in pool.map(self._restart, services):  # type: ignore[arg-type]
                _wait_ready(restarted, self.containers[restarted.name], self.urls[restarted.name])
        _wait_healthy(self)

    def _restart(self, service: Service) -> Service:
        try:
            self.container(service.name).restart(timeout=5)
        except docker.errors.APIError as error:
            raise StackError(f"could not restart {service.name}: {error.explanation or error}") from error
        return service

    def service_of_role(self, role: str) -> str:
        return self.stack.by_role(role).name  # type: ignore[arg-type]

    def url_of_role(self, role: str) -> str:
        return self.urls[self.stack.by_role(role).name]  # type: ignore[arg-type]

    @property
    def app_url(self) -> str:
        return self.urls[self.stack.load_target.name]

    def close_clients(self) -> None:
        for client in (self.prometheus, self.alertmanager, self.sink, self.signals):
            if client is not None:
                client.close()


def prepare_images(
    stack: Stack, progress: Progress = lambda _: None, on: Engine | None = None,
) -> tuple[dict[str, images.ResolvedImage], list[OmittedService]]:
    """Resolve every service's image on engine `on`, building what cannot be had; optional services may be left out."""
    base: str | None = None
    resolved: dict[str, images.ResolvedImage] = {}
    omitted: list[OmittedService] = []
    for service in stack.start_order():
        recipe = stack.recipe(service)
        if recipe.context is not None and base is None:
            base = images.ensure_base_image(progress, on)
        try:
            resolved[service.name] = images.resolve(recipe, base or "", progress, on)
        except ImageBuildError as error:
            if not service.harness.optional:
                raise
            omitted.append(OmittedService(service.name, str(error), service.harness.leaves_unverified or "its checks"))
    for service in stack.services.values():
        if service.name in resolved and any(dep in {o.name for o in omitted} for dep in service.depends_on):
            raise StackError(f"service {service.name!r} depends on an optional service that was left out")
    return resolved, omitted


def prepare_sidecar_image(progress: Progress = lambda _: None, on: Engine | None = None) -> images.ResolvedImage:
    """The harness's own tools image (tc, stress-ng) that container and network faults attach."""
    recipe = images.ImageRecipe("sidecar", "monitoring-harness/sidecar:0.1", SIDECAR_RECIPE)
    return images.resolve(recipe, images.ensure_base_image(progress, on), progress, on)


def image_tags(stack: Stack, progress: Progress = lambda _: None, on: Engine | None = None) -> list[str]:
    """Every image a run of `stack` uses on engine `on` (prepared as a run would): services', sidecar, base."""
    resolved, _ = prepare_images(stack, progress, on)
    sidecar = prepare_sidecar_image(progress, on)
    return [*(image.tag for image in resolved.values()), sidecar.tag, images.ensure_base_image(progress, on)]


@dataclass(frozen=True)
class RenderedConfigs:
    """The stack's configs as this run renders them, and which host folder replaces which.

    The folders the containers mount hold the real secrets and live in `private` (owner-only,
    outside the run folder); `discard()` removes them once no stack needs them any more.
    """

    prometheus: configs.PrometheusSettings
    alertmanager: configs.AlertmanagerSettings
    mounts: dict[Path, Path]
    #: Every secret value of both configs (and of the files their `*_file` keys name), for evidence to leave out.
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)
    private: Path | None = None
    #: The run folder's redacted copy, with a `prometheus/` and an `alertmanager/` folder.
    evidence: Path | None = None

    def discard(self) -> None:
        if self.private is not None:
            evidence.discard(self.private)

    @property
    def isolation(self) -> tuple[IsolationChange, ...]:
        """What of the user's configs the run leaves out so that nothing leaves the stack."""
        return (*self.prometheus.isolation, *self.alertmanager.isolation)

    @property
    def mounts_by_role(self) -> dict[str, Path]:
        prometheus, alertmanager = self.mounts.values()
        return {"prometheus": prometheus, "alertmanager": alertmanager}

    @property
    def sources_by_role(self) -> dict[str, Path]:
        """The user's folders the rendered ones were made from (what promtool's and amtool's complaints name)."""
        prometheus, alertmanager = self.mounts
        return {"prometheus": prometheus, "alertmanager": alertmanager}


def render_configs(stack: Stack, run_dir: Path, scale: TimeScale) -> RenderedConfigs:
    """Render Prometheus's and Alertmanager's folders for this run.

    The containers mount the real rendering, in a private folder (0700, outside the run folder:
    the sink checks the keys' and webhook URLs' shape, so they must stay real); the run folder
    gets `config/`, a copy with every secret replaced by a marker, as evidence.
    """
    private = evidence.private_folder("harness-configs-")
    try:
        prometheus_source, prometheus_mount = config_mount(stack, stack.by_role("prometheus"), "prometheus.yml")
        alertmanager_source, alertmanager_mount = config_mount(stack, stack.by_role("alertmanager"), "alertmanager.yml")
        prometheus = configs.render_prometheus(prometheus_source, private / "prometheus", scale, stack_alertmanager(stack))
        alertmanager = configs.render_alertmanager(alertmanager_source, private / "alertmanager", scale)
        secrets = prometheus.secrets | alertmanager.secrets
        for name, mount in (("prometheus", prometheus_mount), ("alertmanager", alertmanager_mount)):
            evidence.open_to_containers(private / name)
            secrets = evidence.copy_redacted(private / name, run_dir / "config" / name, {mount: "."}, secrets)
    except BaseException:
        evidence.discard(private)
        raise
    return RenderedConfigs(
        prometheus, alertmanager,
        {prometheus_source: private / "prometheus", alertmanager_source: private / "alertmanager"}, secrets, private,
        run_dir / "config",
    )


def stack_alertmanager(stack: Stack) -> str:
    """The stack's Alertmanager as Prometheus reaches it on the stack network: alias and port."""
    service = stack.by_role("alertmanager")
    ready = service.harness.ready
    port = ready.port if isinstance(ready, HttpReady) else (service.container_ports() or [ALERTMANAGER_PORT])[0]
    return f"{service.name}:{port}"


@contextlib.contextmanager
def running_stack(
    stack: Stack,
    rendered: RenderedConfigs,
    scale: TimeScale,
    run_id: str,
    run_dir: Path,
    progress: Progress = lambda _: None,
    on: Engine | None = None,
) -> Iterator[RunningStack]:
    """Start the stack for one run on engine `on` (default: the default engine) and yield it; on any exit,
    Ctrl-C included, remove all of it."""
    on = on or engine.default()
    engine.configure_testcontainers()
    swept = leftovers.sweep([on])
    if swept.removed:
        progress(f"removed what an earlier, killed run left behind: {', '.join(swept.removed)}")
    if swept.left:
        progress(f"could not remove what an earlier, killed run left behind: {', '.join(swept.left)}")
    started = polling.monotonic()
    resolved, omitted = prepare_images(stack, progress, on)
    sidecar = prepare_sidecar_image(progress, on)
    images_seconds = polling.monotonic() - started

    containers: dict[str, DockerContainer] = {}
    network = Network(docker_client_kw=on.testcontainers_kw(),
                      docker_network_kw={"labels": engine.run_labels(run_id), "internal": True})
    forwards = publisher.plan({name: stack.services[name].container_ports() for name in resolved})
    published: publisher.Publisher | None = None
    live: RunningStack | None = None
    try:
        progress("checking the rendered configs with promtool and amtool")
        prometheus_service, alertmanager_service = stack.by_role("prometheus"), stack.by_role("alertmanager")
        sources = rendered.sources_by_role
        checks.check_prometheus(resolved[prometheus_service.name].tag, rendered.mounts_by_role["prometheus"], run_id,
                                sources["prometheus"], on)
        checks.check_alertmanager(resolved[alertmanager_service.name].tag, rendered.mounts_by_role["alertmanager"],
                                  run_id, sources["alertmanager"], on)
        network.create()
        create_volumes(stack, run_id, on)
        started = polling.monotonic()
        if forwards:
            published = publisher.start(sidecar.tag, network.name, forwards, run_id, on)
        for service in stack.start_order():
            if service.name not in resolved:
                continue
            progress(f"starting {service.name} ({resolved[service.name].tag})")
            container = _container(stack, service, resolved[service.name].tag, network, run_id, scale, rendered.mounts,
                                   on)
            containers[service.name] = container
            try:
                container.start()
            except docker.errors.APIError as error:
                raise StackError(f"service {service.name!r} did not start: {error.explanation or error}") from error
        start_seconds = polling.monotonic() - started
        urls: dict[str, str] = {}
        for name, container in containers.items():
            urls[name] = _published_url(stack.services[name], published)
            _wait_ready(stack.services[name], container, urls[name])
        live = RunningStack(
            stack, run_id, scale, rendered.prometheus, rendered.alertmanager, urls, containers, omitted,
            network.name, sidecar.tag, engine=on,
        )
        progress("waiting for Prometheus to scrape every target and find Alertmanager")
        _wait_healthy(live)
        live.boot = BootFigures(
            images_seconds, start_seconds, polling.monotonic() - started, tuple(resolved.values())
        )
        yield live
    finally:
        with interrupts.shielded():
            _take_down(live, containers, published, network, run_id, run_dir, progress, rendered.secrets, on)


def _take_down(
    live: RunningStack | None,
    containers: dict[str, DockerContainer],
    published: publisher.Publisher | None,
    network: Network,
    run_id: str,
    run_dir: Path,
    progress: Progress,
    secrets: Secrets,
    on: Engine,
) -> None:
    """Remove what the run started on engine `on`, each step whatever became of the last; say what could not go."""
    progress(f"removing the stack of run {run_id}")
    if live is not None:
        live.close_clients()
    _save_logs(containers, run_dir / "logs", secrets)
    if containers:
        # Side by side: the engine takes seconds for some (a tmpfs, a busy process), and this is Ctrl-C's wait.
        with ThreadPoolExecutor(max_workers=len(containers), thread_name_prefix="remove") as pool:
            pool.map(_remove_container, containers.values())
    if published is not None:
        with contextlib.suppress(Exception):
            publisher.stop(published)
    with contextlib.suppress(Exception):
        network.remove()
    # The engine may have finished a create the interrupt cut short: remove by label what is still there.
    removal = engine.remove_run(run_id, on)
    if removal.left:
        progress(f"could not remove {', '.join(removal.left)}. Hint: `harness sweep` removes them once this "
                 "process has ended")


def _remove_container(container: DockerContainer) -> None:
    with contextlib.suppress(Exception):
        container.stop(force=True, delete_volume=True)


def config_mount(stack: Stack, service: Service, config_name: str) -> tuple[Path, str]:
    """The host folder holding `config_name` that `service` mounts, and where the container sees it.

    Mounted as a folder (`./prometheus:/etc/prometheus`) or as the file alone
    (`./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml`): either way the file's folder is
    the one the run renders (the rule files it names are rendered beside it).
    """
    for mount in service.volumes:
        if mount.type != "bind":
            continue
        path = mount.source_path
        if path.is_dir():
            candidate = path / config_name
            if candidate.is_file():
                return path, mount.target
            if candidate.exists() or candidate.is_symlink():
                yamlfile.read_text(candidate)  # refuses it, saying why (a folder, a symlink loop, ...)
        elif path.name == config_name and PurePosixPath(mount.target).name == config_name:
            yamlfile.read_text(path)  # refuses what is not a regular file
            return path.parent, str(PurePosixPath(mount.target).parent)
    expected = (stack.directory / f"{service.harness.role}" / config_name)
    raise ConfigError(
        f"{stack.where('services', service.name)}: service {service.name!r} mounts no folder holding {config_name}, "
        f"nor the file itself under that name (there is no {expected}). "
        f"Hint: mount it like `volumes: [\"./{service.harness.role}:/etc/{service.harness.role}:ro\"]` or "
        f"`[\"./{config_name}:/etc/{service.harness.role}/{config_name}\"]`."
    )


def volume_name(run_id: str, declared: str) -> str:
    """The engine's name of a declared volume in one run (a run never shares a volume with another, or with you)."""
    return f"harness-{run_id}-{declared}"


def create_volumes(stack: Stack, run_id: str, on: Engine) -> list[str]:
    """Create the volumes the top level declares, for this run, with the run's labels (removed with the run)."""
    created = []
    for name, declared in stack.volumes.items():
        try:
            engine.client(on).volumes.create(
                name=volume_name(run_id, name), driver=declared.driver, driver_opts=declared.driver_opts,
                labels={**declared.labels, **engine.run_labels(run_id)},
            )
        except docker.errors.APIError as error:
            raise StackError(f"{stack.where('volumes', name)}: the engine would not create volume {name!r} "
                             f"(driver {declared.driver}): {error.explanation or error}") from error
        created.append(name)
    return created


def _mount(mount: Mount, run_id: str, rendered: dict[Path, Path]) -> DockerMount:
    """The engine's form of one mount; a host path under a config folder the run renders is its rendered copy."""
    if mount.type == "tmpfs":
        return DockerMount(mount.target, None, type="tmpfs", read_only=mount.read_only, tmpfs_size=mount.tmpfs_size,
                           tmpfs_mode=mount.tmpfs_mode)
    if mount.type == "volume":
        # An anonymous volume gets the run's labels too, so that a killed run's sweep finds it.
        return DockerMount(mount.target, volume_name(run_id, mount.source) if mount.source else None, type="volume",
                           read_only=mount.read_only, no_copy=mount.nocopy, labels=engine.run_labels(run_id))
    return DockerMount(mount.target, str(_rendered_path(mount.source_path, rendered)), type="bind",
                       read_only=mount.read_only, propagation=mount.propagation)


def _rendered_path(host: Path, rendered: dict[Path, Path]) -> Path:
    for source, copy in rendered.items():
        if host == source or host.is_relative_to(source):
            return copy / host.relative_to(source)
    return host


def _container(
    stack: Stack,
    service: Service,
    image: str,
    network: Network,
    run_id: str,
    scale: TimeScale,
    rendered: dict[Path, Path],
    on: Engine,
) -> DockerContainer:
    aliases = [service.name]
    if service.harness.role == "sink":
        aliases.append(PAGERDUTY_V1_HOST)
    container = (
        DockerContainer(image, docker_client_kw=on.testcontainers_kw())
        .with_network(network)
        .with_network_aliases(*aliases)
    )
    options: dict[str, object] = {"labels": {**engine.run_labels(run_id), "dev.monitoring-harness.service": service.name}}
    if service.tmpfs:
        options["tmpfs"] = dict(entry.split(":", 1) if ":" in entry else (entry, "") for entry in service.tmpfs)
    if service.volumes:
        options["mounts"] = [_mount(mount, run_id, rendered) for mount in service.volumes]
    if service.entrypoint is not None:
        # The API's way of saying "no entrypoint" (Compose's `entrypoint: ""`) is a list holding one empty string.
        options["entrypoint"] = service.entrypoint or [""]
    if service.user is not None:
        options["user"] = service.user
    container.with_kwargs(**options)
    for key, value in service.environment.items():
        container.with_env(key, value)
    command = list(service.command or [])
    if service.harness.role == "prometheus":
        present = {flag.split("=", 1)[0] for flag in command}
        command += [flag for flag in configs.prometheus_flags(scale) if flag.split("=", 1)[0] not in present]
    if command:
        container.with_command(command)
    return container


def _published_url(service: Service, published: publisher.Publisher | None) -> str:
    """The base URL on 127.0.0.1 of the service's ready port (or first port); "" if it has none."""
    ready = service.harness.ready
    port = ready.port if isinstance(ready, HttpReady) else (service.container_ports() or [None])[0]
    if port is None:
        return ""
    if published is None:
        raise StackError(f"service {service.name!r}: port {port} is not published; add it to `ports:`")
    return published.url(service.name, port)


def _wait_ready(service: Service, container: DockerContainer, url: str) -> None:
    """Wait until `service` is ready (its HTTP check through `url`, a log line, or just running)."""
    ready = service.harness.ready

    def probe() -> bool:
        container.reload()
        if container.status in {"exited", "dead"}:
            raise StackError(_exited_message(service, container))
        if container.status != "running":
            return False
        if isinstance(ready, HttpReady):
            return httpx.get(f"{url}{ready.http}", timeout=2.0).status_code == 200
        if isinstance(ready, LogReady):
            stdout, stderr = container.get_logs()
            return ready.log in (stdout + stderr).decode(errors="replace")
        return True

    what = f"GET {ready.http} on port {ready.port}" if isinstance(ready, HttpReady) else (
        f"log line {ready.log!r}" if ready else "running")
    try:
        polling.wait_for(probe, timeout=READY_TIMEOUT, describe=f"{service.name} ready ({what})", on_error=(httpx.HTTPError,))
    except polling.Timeout as error:
        raise StackError(f"service {service.name!r} never became ready: {error}\n{_log_tail(container)}") from error


def _wait_healthy(live: RunningStack) -> None:
    try:
        polling.wait_for(
            lambda: not live.prometheus.unhealthy_targets() and bool(live.prometheus.alertmanagers()),
            timeout=HEALTHY_TIMEOUT,
            describe="every Prometheus target up and Alertmanager discovered",
            on_error=(StackError,),
        )
    except polling.Timeout as error:
        down = ", ".join(live.prometheus.unhealthy_targets()) or "none"
        raise StackError(
            f"the stack never became healthy: {error}. Targets not up: {down}. "
            f"Alertmanagers discovered: {live.prometheus.alertmanagers() or 'none'}"
        ) from error


def _exited_message(service: Service, container: DockerContainer) -> str:
    code = container.get_wrapped_container().attrs.get("State", {}).get("ExitCode")
    return f"service {service.name!r} exited (code {code}) before it was ready\n{_log_tail(container)}"


def _log_tail(container: DockerContainer, lines: int = 20) -> str:
    try:
        stdout, stderr = container.get_logs()
    except docker.errors.APIError:
        return "  (no logs)"
    tail = (stdout + stderr).decode(errors="replace").splitlines()[-lines:]
    return "  last log lines:\n    " + "\n    ".join(tail)


def _save_logs(containers: dict[str, DockerContainer], directory: Path, secrets: Secrets) -> None:
    """Each container's output, without the secrets it may print (Alertmanager names a webhook URL
    when a notification fails)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, container in containers.items():
        with contextlib.suppress(Exception):
            stdout, stderr = container.get_logs()
            (directory / f"{name}.log").write_bytes(secrets.scrub_bytes(stdout + stderr))
