"""Measure on a live stack the figures harness.limits checks a time scale against.

- Scrape durations, healthy: Prometheus's own `lastScrapeDuration` per target.
- Scrape durations under a scenario's fault: the fault is switched on (the scenario's own
  declaration: PostgreSQL stopped, say), Prometheus is paused, and every scrape target whose
  service depends on the faulted one is fetched from inside the stack network, as Prometheus
  would, waiting up to the real (unscaled) scrape timeout × the margin, so a slow answer is
  measured instead of cut off at the scaled timeout. The same is done healthy first, to show the
  two methods agree. The fault is undone and the stack waits until healthy.
- The host's CPU busy share (from /proc/stat, which node-exporter reads too) every 0.25 s while
  the harness does what it does between scenarios: restart Prometheus and Alertmanager and start
  Locust; and for a couple of seconds while it is idle.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import docker.errors

from harness import engine, limits, polling, publisher
from harness.errors import HarnessError, StackError
from harness.faults import FaultSpec
from harness.load import LoadProfile, LoadRun
from harness.limits import CpuFigure, FaultCondition, Figures, ScrapeFigure
from harness.scenario import Scenario
from harness.stack import RunningStack, _wait_healthy
from harness.stackfile import Stack

Progress = Callable[[str], None]
DIRECT_SAMPLES = 3
CPU_STEP = 0.25
IDLE_SECONDS = 2.0
LOCUST_SECONDS = 3.0


def needs_measuring(scenarios: list[Scenario], prometheus: limits.PrometheusSettings, stack: Stack) -> bool:
    """Whether any scenario has a fault or a rule whose figures a time scale could outrun.

    A fault counts if some service other than Prometheus depends on the one it takes away (an
    exporter watching its server): only such a watcher can answer slower because of it.
    """
    def watched(condition: FaultCondition) -> bool:
        return any(condition.service in service.depends_on and service.harness.role != "prometheus"
                   for service in stack.services.values())

    return any(any(map(watched, limits.fault_conditions(s))) or limits.host_cpu_rules(s, prometheus)
               for s in scenarios)


def measure(live: RunningStack, scenarios: list[Scenario], output_dir: Path, progress: Progress = lambda _: None) -> Figures:
    """Measure what the scenarios' limits need: scrapes (healthy and under their faults), and host CPU."""
    started = polling.monotonic()
    targets = _targets(live)
    scrapes = [ScrapeFigure(job, target, seconds, how="Prometheus lastScrapeDuration")
               for job, target, _, seconds in targets]
    # Longer than any scale could need: what does not answer by then is not faithful even at ×1.
    settings = live.prometheus_settings
    patience = limits.SCRAPE_MARGIN * max((job.timeout.total_seconds() for job in settings.jobs),
                                          default=settings.scrape_timeout.total_seconds()) + 1
    conditions: list[FaultCondition] = []
    for scenario in scenarios:
        conditions += [c for c in limits.fault_conditions(scenario) if c not in conditions]
    for condition in conditions:
        watchers = [(job, target, url) for job, target, url, _ in targets
                    if condition.service in live.stack.services.get(_host(url), _NoService).depends_on]
        if not watchers:
            continue
        for job, target, url in watchers:
            scrapes.append(ScrapeFigure(job, target, *_worst_direct(live, url, patience), how=_DIRECT))
        progress(f"measuring scrapes with {condition.describe()}: {', '.join(t for _, t, _ in watchers)}")
        fault = _fault(condition)
        with _prometheus_paused(live):
            try:
                fault.start(live)
                for job, target, url in watchers:
                    scrapes.append(ScrapeFigure(job, target, *_worst_direct(live, url, patience), how=_DIRECT,
                                                condition=condition))
            finally:
                fault.stop(live)
        _wait_healthy(live)
    cpu = None
    if any(limits.host_cpu_rules(s, live.prometheus_settings) for s in scenarios):
        progress("measuring the host's CPU while the harness is idle, then while it resets the stack")
        cpu = _measure_cpu(live, output_dir)
    return Figures(tuple(scrapes), cpu, polling.monotonic() - started)


_DIRECT = f"worst of up to {DIRECT_SAMPLES} direct GETs from the stack network, Prometheus paused"


@contextlib.contextmanager
def _prometheus_paused(live: RunningStack) -> Iterator[None]:
    """Freeze Prometheus: a scrape it gave up on (at its scaled timeout) still runs in an exporter
    that collects one scrape at a time, so ours would queue behind them and time the queue."""
    container = live.container(live.service_of_role("prometheus"))
    try:
        container.pause()
    except docker.errors.APIError as error:
        raise StackError(f"could not pause Prometheus to time scrapes: {error.explanation or error}") from error
    try:
        yield
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.unpause()


class _NoService:
    depends_on: list[str] = []


def _targets(live: RunningStack) -> list[tuple[str, str, str, float]]:
    """(job, instance, scrape URL, last scrape duration) of every active target."""
    return [
        (t["labels"].get("job", "?"), t["labels"].get("instance", "?"), t.get("scrapeUrl", ""),
         float(t.get("lastScrapeDuration", 0.0)))
        for t in live.prometheus.targets()
    ]


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _fault(condition: FaultCondition) -> FaultSpec:
    from pydantic import TypeAdapter

    return TypeAdapter(FaultSpec).validate_python({"kind": condition.kind, "service": condition.service})


def _worst_direct(live: RunningStack, url: str, patience: float) -> tuple[float, bool]:
    """The slowest of a few GETs of `url`, timed inside the publisher container on the stack network,
    and whether it gave up (no answer within `patience` seconds; then it stops trying)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    path = parts.path or "/metrics"
    if parts.query:
        path += "?" + parts.query
    # Prometheus tells the target its timeout; an exporter may bound its work by it, so say it too.
    request = (f"GET {path} HTTP/1.0\\r\\nHost: {host}:{port}\\r\\n"
               f"X-Prometheus-Scrape-Timeout-Seconds: {patience:g}\\r\\n\\r\\n")
    one = (f"exec 3<>/dev/tcp/{host}/{port} || exit 3; printf '{request}' >&3; "
           "read -r status <&3; cat <&3 >/dev/null; echo \"$status\"")
    script = (
        f"for i in $(seq {DIRECT_SAMPLES}); do s=$(date +%s%N); "
        f"status=$(timeout {patience:g} bash -c {shlex.quote(one)}) || status=\"failed $?\"; "
        "e=$(date +%s%N); echo \"$(( (e - s) / 1000 )) $status\"; case $status in failed*) break;; esac; done"
    )
    container = _publisher(live)
    try:
        code, output = container.exec_run(["bash", "-c", script])
    except docker.errors.APIError as error:
        raise StackError(f"could not time a scrape of {url}: {error.explanation or error}") from error
    times = []
    for line in output.decode(errors="replace").splitlines():
        micros, _, status = line.partition(" ")
        if micros.isdigit():
            times.append((int(micros) / 1e6, status.startswith("failed")))
    if not times:
        raise StackError(f"could not time a scrape of {url} (exit {code}): {output.decode(errors='replace')[:200]}")
    return max(times)


def _publisher(live: RunningStack):  # type: ignore[no-untyped-def]
    found = live.engine.client().containers.list(filters={"label": f"{publisher.PUBLISHER_LABEL}={live.network_name}"})
    if not found:
        raise StackError(f"no port publisher on network {live.network_name} to time scrapes from")
    return found[0]


class _CpuRecorder:
    """Host CPU busy share every `step` seconds, from /proc/stat, in a background thread."""

    def __init__(self, step: float = CPU_STEP) -> None:
        self.step = step
        self.samples: list[float] = []
        self._stopped = threading.Event()
        self._last = _cpu_times()
        self._thread = threading.Thread(target=polling.repeat_until_stopped,
                                        args=(self._sample, step, self._stopped), daemon=True)

    def _sample(self) -> None:
        busy, total = _cpu_times()
        if total > self._last[1]:
            self.samples.append((busy - self._last[0]) / (total - self._last[1]))
        self._last = (busy, total)

    def __enter__(self) -> _CpuRecorder:
        self._last = _cpu_times()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join()


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores; busy is everything but mode idle, as the CPU rules count it."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields[:8]) - fields[3], sum(fields[:8])


def _measure_cpu(live: RunningStack, output_dir: Path) -> CpuFigure:
    with _CpuRecorder() as idle:
        polling.sleep(IDLE_SECONDS)
    with _CpuRecorder() as active:
        live.restart_alerting()
        load = LoadRun(live.app_url, LoadProfile(2, 2.0, LOCUST_SECONDS + 30, 200, None), output_dir / "load",
                       run_id=live.run_id)
        try:
            load.wait_until_flowing()
            polling.sleep(LOCUST_SECONDS)
        finally:
            with contextlib.suppress(HarnessError):
                load.stop()
    idle_share = sum(idle.samples) / len(idle.samples) if idle.samples else 0.0
    return CpuFigure(CPU_STEP, tuple(active.samples), idle_share,
                     "restarting Prometheus and Alertmanager and starting Locust", os.cpu_count() or 1)
