"""The sample app, PostgreSQL and postgres-exporter images, built and run for real.

One stack for the module: the three images built from compose/images/, a private network,
PostgreSQL (alias ``postgres``), the app and the exporter, ports on 127.0.0.1 only. Everything
carries the harness's labels and is removed when the module ends, whatever happened.
"""

from __future__ import annotations


import re

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import engine

from harness.polling import Timeout, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LABELS = engine.run_labels("test-sample-app")
EXPORTER_DSN = "postgresql://app:app@postgres:5432/app?sslmode=disable"
READY_SECONDS = 60.0


@dataclass(frozen=True)
class SampleStack:
    app: httpx.Client
    exporter_url: str


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    import docker
    import docker.errors

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine answers: {error}. Hint: scripts/setup starts one.")
    yield client
    client.close()


@pytest.fixture(scope="module")
def stack(docker_client: Any, stack_images: dict[str, str]) -> Iterator[SampleStack]:
    _remove_leftovers(docker_client)
    containers: list[Any] = []
    network = docker_client.networks.create(f"harness-test-sample-app-{uuid.uuid4().hex[:8]}", labels=LABELS)
    try:
        containers.append(_run(docker_client, stack_images["postgres"], "postgres", network, aliases=["postgres"]))
        app = _run(docker_client, stack_images["app"], "app", network, ports={"8000/tcp": ("127.0.0.1", None)})
        containers.append(app)
        exporter = _run(
            docker_client,
            stack_images["postgres-exporter"],
            "postgres-exporter",
            network,
            ports={"9187/tcp": ("127.0.0.1", None)},
            environment={"DATA_SOURCE_NAME": EXPORTER_DSN},
        )
        containers.append(exporter)
        for container in containers:
            container.reload()  # the published host ports are known once the container runs
        app_url = f"http://127.0.0.1:{_host_port(app, '8000/tcp')}"
        exporter_url = f"http://127.0.0.1:{_host_port(exporter, '9187/tcp')}"
        with httpx.Client(base_url=app_url, timeout=15.0) as client:
            wait_ready(containers, "app /health answers 200", lambda: client.get("/health").status_code == 200)
            wait_ready(
                containers,
                "postgres-exporter reports pg_up 1",
                lambda: metric(httpx.get(f"{exporter_url}/metrics", timeout=5.0).text, "pg_up") == 1.0,
            )
            yield SampleStack(client, exporter_url)
    finally:
        for container in containers:
            container.remove(force=True, v=True)
        network.remove()


def wait_ready(containers: list[Any], what: str, probe: Callable[[], bool]) -> None:
    """Wait until ``probe`` holds; on timeout, fail with the containers' last log lines."""
    try:
        wait_for(probe, timeout=READY_SECONDS, describe=what, on_error=(httpx.HTTPError,))
    except Timeout as error:
        for container in containers:
            container.reload()
        logs = "\n".join(
            f"--- {container.labels.get('dev.monitoring-harness.service')} ({container.status}):\n"
            + container.logs(tail=15).decode(errors="replace")
            for container in containers
        )
        pytest.fail(f"{error}\n{logs}")


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text exposition, or None if the series is absent."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or "")) == labels:
            return float(found.group(2))
    return None


def requests_total(stack: SampleStack, method: str, route: str, status: str) -> float | None:
    return metric(stack.app.get("/metrics").text, "http_requests_total", method=method, route=route, status=status)


@pytest.fixture
def errors_switched_off(stack: SampleStack) -> Iterator[None]:
    yield
    stack.app.delete("/control/faults")


def test_items_come_from_the_database(stack: SampleStack) -> None:
    response = stack.app.get("/api/items")

    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 20
    assert items[0] == {"id": 1, "name": "item 01"}


def test_an_order_is_inserted_and_answers_201(stack: SampleStack) -> None:
    first = stack.app.post("/api/orders", json={"item_id": 3, "quantity": 2})
    second = stack.app.post("/api/orders")

    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["item_id"] == 3
    assert second.json()["id"] > first.json()["id"]


def test_the_request_counter_counts_item_requests(stack: SampleStack) -> None:
    before = requests_total(stack, "GET", "/api/items", "200")

    for _ in range(5):
        stack.app.get("/api/items").raise_for_status()

    assert before is not None
    assert requests_total(stack, "GET", "/api/items", "200") == before + 5


def test_error_and_pool_error_series_exist_at_zero_before_any_error(stack: SampleStack) -> None:
    text = stack.app.get("/metrics").text

    for method, route, ok in (("GET", "/api/items", "200"), ("POST", "/api/orders", "201")):
        for status in (ok, "500", "503"):
            assert metric(text, "http_requests_total", method=method, route=route, status=status) is not None
    for reason in ("timeout", "connection", "query_timeout"):
        assert metric(text, "db_pool_errors_total", reason=reason) == 0.0


@pytest.mark.usefixtures("errors_switched_off")
def test_errors_fault_at_ratio_one_fails_every_api_request_and_counts_500(stack: SampleStack) -> None:
    items_before = requests_total(stack, "GET", "/api/items", "500")
    orders_before = requests_total(stack, "POST", "/api/orders", "500")

    switched = stack.app.put("/control/faults/errors", json={"ratio": 1.0, "status": 500})
    statuses = [stack.app.get("/api/items").status_code for _ in range(10)]
    statuses += [stack.app.post("/api/orders").status_code for _ in range(5)]

    assert switched.status_code == 200
    assert stack.app.get("/control/faults").json()["active"] == {"errors": {"ratio": 1.0, "status": 500}}
    assert statuses == [500] * 15
    assert requests_total(stack, "GET", "/api/items", "500") == (items_before or 0) + 10
    assert requests_total(stack, "POST", "/api/orders", "500") == (orders_before or 0) + 5


@pytest.mark.usefixtures("errors_switched_off")
def test_api_requests_succeed_again_once_the_errors_fault_is_deleted(stack: SampleStack) -> None:
    stack.app.put("/control/faults/errors", json={"ratio": 1.0}).raise_for_status()
    assert stack.app.get("/api/items").status_code == 500

    deleted = stack.app.delete("/control/faults/errors")

    assert deleted.json() == {"cleared": ["errors"]}
    assert [stack.app.get("/api/items").status_code for _ in range(5)] == [200] * 5
    assert stack.app.get("/control/faults").json()["active"] == {}


def test_a_bad_fault_body_is_refused_with_a_message_naming_the_field(stack: SampleStack) -> None:
    response = stack.app.put("/control/faults/errors", json={"ratio": 1.5})

    assert response.status_code == 422
    assert "'ratio' must be from 0.0 to 1.0, got 1.5" in response.json()["error"]
    assert stack.app.get("/control/faults").json()["active"] == {}


def test_control_and_health_requests_are_not_counted(stack: SampleStack) -> None:
    stack.app.get("/health")
    stack.app.get("/control/faults")

    assert "/control" not in stack.app.get("/metrics").text
    assert 'route="/health"' not in stack.app.get("/metrics").text


def test_pool_gauges_and_wait_histogram_are_exposed(stack: SampleStack) -> None:
    stack.app.get("/api/items").raise_for_status()
    text = stack.app.get("/metrics").text

    size = metric(text, "db_pool_size")
    assert size is not None and 2 <= size <= 10
    assert metric(text, "db_pool_in_use") is not None
    assert metric(text, "db_pool_idle") is not None
    assert metric(text, "db_pool_waiting") == 0.0
    assert (metric(text, "db_pool_wait_seconds_count") or 0) >= 1


def test_the_exporter_sees_postgres_up(stack: SampleStack) -> None:
    assert metric(httpx.get(f"{stack.exporter_url}/metrics", timeout=5.0).text, "pg_up") == 1.0


def test_the_app_serves_fifty_requests_a_second_through_the_pool(stack: SampleStack) -> None:
    def one(index: int) -> int:
        if index % 4 == 0:
            return stack.app.post("/api/orders", json={"item_id": 1 + index % 20}).status_code
        return stack.app.get("/api/items").status_code

    with ThreadPoolExecutor(max_workers=8) as workers:
        statuses = list(workers.map(one, range(500)))

    assert statuses.count(200) + statuses.count(201) == 500
    assert metric(stack.app.get("/metrics").text, "db_pool_errors_total", reason="timeout") == 0.0


def _run(client: Any, image: str, name: str, network: Any, aliases: list[str] | None = None, **options: Any) -> Any:
    endpoint = client.api.create_endpoint_config(aliases=aliases) if aliases else None
    return client.containers.run(
        image,
        detach=True,
        labels={**LABELS, "dev.monitoring-harness.service": name},
        network=network.name,
        networking_config={network.name: endpoint} if endpoint else None,
        **options,
    )


def _host_port(container: Any, port: str) -> str:
    return container.ports[port][0]["HostPort"]


def _remove_leftovers(client: Any) -> None:
    """Remove what a crashed earlier run of this module left (same run label)."""
    run = f"dev.monitoring-harness.run={LABELS['dev.monitoring-harness.run']}"
    for container in client.containers.list(all=True, filters={"label": run}):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": run}):
        network.remove()
