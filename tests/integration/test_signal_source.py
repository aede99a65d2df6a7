"""The signal source in its real image, scraped by a real Prometheus through `scrape_configs()`: a programmed
counter's rate is what rate() returns, a gauge's value arrives, a down job's `up` is 0; and (negative controls)
a job not programmed down is up, a series not programmed is absent.

Both images come from a compose file written here, through the harness's own image builder, as a stack
that declares a signal source would have them built.
"""

from __future__ import annotations

import io
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker.models.containers import Container

from harness import engine, polling
from harness.errors import StackError
from harness.prometheus import PrometheusClient
from harness.signals import SignalProgram, SignalSourceClient, scrape_configs
from harness.stack import prepare_images
from harness.stackfile import load_stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LABELS = engine.run_labels("test-signal-source")
JOBS = ["signal", "node", "db"]
PROGRAM = SignalProgram.model_validate({
    "series": [
        {"name": "orders_total", "kind": "counter", "rate": 5, "labels": {"status": "ok"}},
        {"name": "queue_depth", "kind": "gauge", "value": 42},
        {"name": "node_load1", "kind": "gauge", "value": 1, "job": "node"},
        {"name": "pg_up", "kind": "gauge", "value": 1, "job": "db"},
    ],
    "down_jobs": ["node"],
})


def compose(tmp_path: Path) -> Path:
    """A two-service stack: Prometheus and the signal source, built from the repository's recipes."""
    services = {
        "signal-source": {
            "image": "monitoring-harness/signal-source:0.1",
            "build": {"context": str(ROOT / "harness" / "signal_source"),
                      "dockerfile": "../../compose/images/signal-source/Dockerfile"},
            "ports": ["127.0.0.1::9300"],
            "x-harness": {"role": "signal_source", "ready": {"http": "/healthz", "port": 9300}},
        },
        "prometheus": {
            "image": "prom/prometheus:v2.42.0",
            "build": {"context": str(ROOT / "compose" / "images" / "prometheus")},
            "x-harness": {"role": "prometheus"},
        },
    }
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump({"name": "signal-test", "services": services}))
    return path


def prometheus_config(source: str) -> bytes:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": scrape_configs(JOBS, f"{source}:9300"),
    }
    return yaml.safe_dump(config).encode()


def with_file(container: Container, folder: str, name: str, content: bytes) -> None:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(content), 0o644
        tar.addfile(info, io.BytesIO(content))
    container.put_archive(folder, archive.getvalue())


def published(container: Container, port: int) -> str:
    container.reload()
    return f"http://127.0.0.1:{container.attrs['NetworkSettings']['Ports'][f'{port}/tcp'][0]['HostPort']}"


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SignalSourceClient, PrometheusClient]]:
    """The signal source (programmed with PROGRAM) and a Prometheus scraping its three jobs every second."""
    engine.configure_testcontainers()
    resolved, _ = prepare_images(load_stack(compose(tmp_path_factory.mktemp("signal"))))
    client = engine.client()
    suffix = secrets.token_hex(3)
    network = client.networks.create(f"harness-test-signal-source-{suffix}", labels=LABELS)
    containers: list[Container] = []
    try:
        source = client.containers.run(
            resolved["signal-source"].tag, name=f"signal-source-{suffix}", detach=True, labels=LABELS,
            network=network.name,
            ports={"9300/tcp": ("127.0.0.1", None)},
        )
        containers.append(source)
        prometheus = client.containers.create(
            resolved["prometheus"].tag, labels=LABELS, network=network.name,
            ports={"9090/tcp": ("127.0.0.1", None)},
        )
        containers.append(prometheus)
        # On a user-defined network a container's name resolves to it (a generated one, with `_`, does not).
        with_file(prometheus, "/etc/prometheus", "prometheus.yml", prometheus_config(source.name))
        prometheus.start()
        signals = SignalSourceClient(published(source, 9300))
        polling.wait_for(lambda: signals.current() is not None, timeout=20, on_error=(StackError,),
                         describe="the signal source answers GET /program")
        signals.program(PROGRAM)
        yield signals, PrometheusClient(published(prometheus, 9090))
    finally:
        for container in containers:
            container.remove(force=True)
        network.remove()


def value(prometheus: PrometheusClient, query: str) -> float | None:
    result = prometheus.query(query)
    return float(result[0]["value"][1]) if result else None


def wait_for_value(prometheus: PrometheusClient, query: str, timeout: float = 30) -> float:
    try:
        found: Any = polling.wait_for(lambda: value(prometheus, query), timeout=timeout, interval=0.5,
                                      on_error=(StackError,), describe=f"Prometheus answers {query}")
    except polling.Timeout as error:
        targets = [(t["labels"].get("job"), t["health"], t.get("lastError")) for t in prometheus.targets()]
        raise AssertionError(f"{error}; Prometheus's targets (job, health, last error): {targets}") from error
    return float(found)


def test_a_programmed_counter_rate_is_what_prometheus_rate_returns(scraped: Any) -> None:
    _, prometheus = scraped
    # Five scrapes into the window, so rate() reads a full 5 s of the counter.
    wait_for_value(prometheus, 'count_over_time(orders_total{job="signal",status="ok"}[5s]) >= 5')

    assert value(prometheus, 'rate(orders_total{status="ok"}[5s])') == pytest.approx(5.0, rel=0.1)


def test_a_programmed_gauge_value_arrives(scraped: Any) -> None:
    _, prometheus = scraped

    assert wait_for_value(prometheus, 'queue_depth{job="signal"}') == 42


def test_a_job_programmed_down_is_not_up(scraped: Any) -> None:
    _, prometheus = scraped

    assert wait_for_value(prometheus, 'up{job="node"}') == 0
    assert value(prometheus, "node_load1") is None


def test_a_job_not_programmed_down_is_up(scraped: Any) -> None:
    _, prometheus = scraped

    assert wait_for_value(prometheus, 'up{job="db"}') == 1
    assert value(prometheus, 'pg_up{job="db"}') == 1


def test_a_series_not_programmed_is_absent(scraped: Any) -> None:
    _, prometheus = scraped
    wait_for_value(prometheus, 'up{job="signal"} == 1')

    assert value(prometheus, "orders_failed_total") is None
    assert value(prometheus, '{job="signal", __name__!~"up|scrape_.*|orders_total|queue_depth"}') is None
