"""The sample app with PostgreSQL, Redis and both exporters, built and run for real; every
fault the app can cause, proven by what moves on its own /metrics.

One stack for the module: the images built from compose/images/, a private network, PostgreSQL
(alias ``postgres``), Redis (alias ``redis``), the app, postgres-exporter and redis-exporter, ports
on 127.0.0.1 only. Beside it, two more apps on the same database: one with no REDIS_URL and
renamed metrics, one whose Redis does not exist. Everything carries the harness's labels and is
removed when the module ends, whatever happened.
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

from harness import engine, images
from harness.polling import Timeout, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LABELS = engine.run_labels("test-sample-app")
EXPORTER_DSN = "postgresql://app:app@postgres:5432/app?sslmode=disable"
READY_SECONDS = 60.0
EFFECT_SECONDS = 15.0
MEGABYTE = 1024 * 1024
#: The app under test: a short pool timeout so exhaustion shows in seconds, a busy baseline
#: producer so job counters move fast, and four workers so a backlog drains fast.
APP_ENVIRONMENT = {
    "REDIS_URL": "redis://redis:6379/0",
    "POOL_TIMEOUT_SECONDS": "2",
    "BASELINE_JOBS_PER_SECOND": "10",
    "WORKERS": "4",
}
RENAMED_APP_ENVIRONMENT = {"METRIC_PREFIX": "myapp_", "STATUS_LABEL": "code", "DURATION_UNIT": "milliseconds"}
UNREACHABLE_REDIS_ENVIRONMENT = {"REDIS_URL": "redis://no-such-redis:6379/0"}


@dataclass(frozen=True)
class SampleStack:
    app: httpx.Client
    exporter_url: str
    redis_exporter_url: str
    #: The app without REDIS_URL, with METRIC_PREFIX=myapp_, STATUS_LABEL=code, DURATION_UNIT=milliseconds.
    renamed_app: httpx.Client
    #: The app with a REDIS_URL whose host does not exist.
    app_without_redis: httpx.Client

    def metrics(self) -> str:
        return self.app.get("/metrics").text

    def value(self, name: str, **labels: str) -> float:
        found = metric(self.metrics(), name, **labels)
        assert found is not None, f"{name}{labels or ''} is not on the app's /metrics"
        return found


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
    redis_image = _service_image(docker_client, stack_images, "redis")
    redis_exporter_image = _service_image(docker_client, stack_images, "redis-exporter")
    _remove_leftovers(docker_client)
    containers: list[Any] = []
    network = docker_client.networks.create(f"harness-test-sample-app-{uuid.uuid4().hex[:8]}", labels=LABELS)
    published = {"8000/tcp": ("127.0.0.1", None)}
    try:
        containers.append(_run(docker_client, stack_images["postgres"], "postgres", network, aliases=["postgres"]))
        containers.append(_run(docker_client, redis_image, "redis", network, aliases=["redis"]))
        apps = [
            _run(docker_client, stack_images["app"], name, network, ports=published, environment=environment)
            for name, environment in (
                ("app", APP_ENVIRONMENT),
                ("app-renamed", RENAMED_APP_ENVIRONMENT),
                ("app-without-redis", UNREACHABLE_REDIS_ENVIRONMENT),
            )
        ]
        containers.extend(apps)
        exporter = _run(
            docker_client,
            stack_images["postgres-exporter"],
            "postgres-exporter",
            network,
            ports={"9187/tcp": ("127.0.0.1", None)},
            environment={"DATA_SOURCE_NAME": EXPORTER_DSN},
        )
        redis_exporter = _run(
            docker_client,
            redis_exporter_image,
            "redis-exporter",
            network,
            ports={"9121/tcp": ("127.0.0.1", None)},
            environment={"REDIS_ADDR": "redis://redis:6379"},
        )
        containers.extend([exporter, redis_exporter])
        for container in containers:
            container.reload()  # the published host ports are known once the container runs
        app, renamed, without_redis = (
            httpx.Client(base_url=f"http://127.0.0.1:{_host_port(app, '8000/tcp')}", timeout=15.0) for app in apps
        )
        exporter_url = f"http://127.0.0.1:{_host_port(exporter, '9187/tcp')}"
        redis_exporter_url = f"http://127.0.0.1:{_host_port(redis_exporter, '9121/tcp')}"
        with app, renamed, without_redis:
            for name, client in (("app", app), ("app-renamed", renamed), ("app-without-redis", without_redis)):
                wait_ready(containers, f"{name} /health answers 200", lambda: client.get("/health").status_code == 200)
            wait_ready(
                containers,
                "postgres-exporter reports pg_up 1",
                lambda: metric(httpx.get(f"{exporter_url}/metrics", timeout=5.0).text, "pg_up") == 1.0,
            )
            wait_ready(
                containers,
                "redis-exporter reports redis_up 1",
                lambda: metric(httpx.get(f"{redis_exporter_url}/metrics", timeout=5.0).text, "redis_up") == 1.0,
            )
            yield SampleStack(app, exporter_url, redis_exporter_url, renamed, without_redis)
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


def wait_metric(stack: SampleStack, what: str, name: str, holds: Callable[[float], bool], **labels: str) -> float:
    """Wait until the app's own ``name{labels}`` satisfies ``holds``; returns the value seen."""

    def probe() -> float | None:
        seen = metric(stack.metrics(), name, **labels)
        return seen if seen is not None and holds(seen) else None

    return wait_for(probe, timeout=EFFECT_SECONDS, describe=what, on_error=(httpx.HTTPError,))


def put_fault(stack: SampleStack, kind: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = stack.app.put(f"/control/faults/{kind}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def active_faults(stack: SampleStack) -> dict[str, Any]:
    return stack.app.get("/control/faults").json()["active"]


@pytest.fixture
def faults_switched_off(stack: SampleStack) -> Iterator[None]:
    yield
    stack.app.delete("/control/faults").raise_for_status()


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


@pytest.mark.usefixtures("faults_switched_off")
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


@pytest.mark.usefixtures("faults_switched_off")
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
    stack.app.post("/api/orders").raise_for_status()
    text = stack.app.get("/metrics").text

    size = metric(text, "db_pool_size")
    assert size is not None and 2 <= size <= 10
    assert metric(text, "db_pool_in_use") is not None
    assert metric(text, "db_pool_idle") is not None
    assert metric(text, "db_pool_waiting") == 0.0
    assert (metric(text, "db_pool_wait_seconds_count") or 0) >= 1


def test_the_exporter_sees_postgres_up(stack: SampleStack) -> None:
    assert metric(httpx.get(f"{stack.exporter_url}/metrics", timeout=5.0).text, "pg_up") == 1.0


def test_five_hundred_concurrent_requests_all_succeed_without_pool_timeouts(stack: SampleStack) -> None:
    def one(index: int) -> int:
        if index % 4 == 0:
            return stack.app.post("/api/orders", json={"item_id": 1 + index % 20}).status_code
        return stack.app.get("/api/items").status_code

    with ThreadPoolExecutor(max_workers=8) as workers:
        statuses = list(workers.map(one, range(500)))

    assert statuses.count(200) + statuses.count(201) == 500
    assert metric(stack.app.get("/metrics").text, "db_pool_errors_total", reason="timeout") == 0.0


def test_cache_queue_and_business_series_exist_from_the_start(stack: SampleStack) -> None:
    text = stack.metrics()

    for result in ("hit", "miss"):
        assert metric(text, "cache_requests_total", result=result) is not None
    for operation in ("get", "set"):
        assert metric(text, "cache_operation_duration_seconds_count", operation=operation) is not None
    for operation in ("get", "set", "flush"):
        assert metric(text, "cache_errors_total", operation=operation) == 0.0
    for status in ("success", "failure"):
        assert metric(text, "jobs_processed_total", status=status) is not None
    for operation in ("push", "pop", "depth"):
        assert metric(text, "job_queue_errors_total", operation=operation) == 0.0
    assert metric(text, "job_workers_total") == 4.0
    assert metric(text, "job_queue_depth") is not None
    assert metric(text, "job_processing_seconds_count") is not None
    assert (metric(text, "business_active_users_limit"), metric(text, "business_credits_consumed_total")) == (
        200.0,
        0.0,
    )
    assert (metric(text, "process_resident_memory_bytes") or 0) > 0


def test_the_baseline_producer_keeps_the_workers_busy_with_successful_jobs(stack: SampleStack) -> None:
    before = stack.value("jobs_processed_total", status="success")

    wait_metric(stack, "jobs succeed", "jobs_processed_total", lambda done: done >= before + 5, status="success")


def test_item_pages_are_read_through_the_cache(stack: SampleStack) -> None:
    stack.app.get("/api/items", params={"page": 7}).raise_for_status()  # no other test reads page 7
    hits = stack.value("cache_requests_total", result="hit")

    second = stack.app.get("/api/items", params={"page": 7})

    assert second.status_code == 200 and second.json() == {"items": []}
    assert stack.value("cache_requests_total", result="hit") == hits + 1


@pytest.mark.usefixtures("faults_switched_off")
def test_latency_fault_adds_its_delay_to_the_request_duration(stack: SampleStack) -> None:
    labels = {"method": "GET", "route": "/api/items"}
    before = stack.value("http_request_duration_seconds_sum", **labels)

    put_fault(stack, "latency", {"delay_seconds": 0.25, "jitter_seconds": 0.05})
    statuses = [stack.app.get("/api/items").status_code for _ in range(4)]

    assert statuses == [200] * 4
    assert stack.value("http_request_duration_seconds_sum", **labels) >= before + 4 * 0.2


@pytest.mark.usefixtures("faults_switched_off")
def test_pool_hold_exhausts_the_pool_so_requests_queue_time_out_and_answer_503(stack: SampleStack) -> None:
    timeouts = stack.value("db_pool_errors_total", reason="timeout")
    failed = stack.value("http_requests_total", method="POST", route="/api/orders", status="503")

    described = put_fault(stack, "pool_hold", {"seconds": 60})
    wait_metric(stack, "every pooled connection held", "db_pool_in_use", lambda in_use: in_use == 10)
    with ThreadPoolExecutor(max_workers=3) as senders:
        orders = [senders.submit(stack.app.post, "/api/orders") for _ in range(3)]
        waiting = wait_metric(stack, "requests queue for a connection", "db_pool_waiting", lambda waiting: waiting >= 1)
        statuses = [order.result().status_code for order in orders]

    assert described == {"kind": "pool_hold", "connections": "all", "seconds": 60.0}
    assert waiting >= 1
    assert statuses == [503] * 3
    assert stack.value("db_pool_errors_total", reason="timeout") == timeouts + 3
    assert stack.value("http_requests_total", method="POST", route="/api/orders", status="503") == failed + 3
    assert (stack.value("db_pool_wait_seconds_sum") or 0) > 0
    assert active_faults(stack)["pool_hold"]["held"] == 10


@pytest.mark.usefixtures("faults_switched_off")
def test_deleting_pool_hold_gives_the_connections_back_at_once(stack: SampleStack) -> None:
    put_fault(stack, "pool_hold", {"connections": 10, "seconds": 600})
    wait_metric(stack, "every pooled connection held", "db_pool_in_use", lambda in_use: in_use == 10)

    assert stack.app.delete("/control/faults/pool_hold").json() == {"cleared": ["pool_hold"]}

    assert stack.value("db_pool_in_use") == 0.0
    assert stack.app.post("/api/orders").status_code == 201


@pytest.mark.usefixtures("faults_switched_off")
def test_pool_hold_switches_itself_off_when_its_time_is_up(stack: SampleStack) -> None:
    put_fault(stack, "pool_hold", {"connections": 2, "seconds": 0.5})

    wait_for(lambda: "pool_hold" not in active_faults(stack), timeout=EFFECT_SECONDS, describe="pool_hold expires")

    assert stack.value("db_pool_in_use") == 0.0


@pytest.mark.usefixtures("faults_switched_off")
def test_slow_query_makes_database_work_take_its_sleep_longer(stack: SampleStack) -> None:
    labels = {"method": "POST", "route": "/api/orders"}
    before = stack.value("http_request_duration_seconds_sum", **labels)

    put_fault(stack, "slow_query", {"seconds": 0.3})
    statuses = [stack.app.post("/api/orders").status_code for _ in range(3)]

    assert statuses == [201] * 3
    assert stack.value("http_request_duration_seconds_sum", **labels) >= before + 3 * 0.3


@pytest.mark.usefixtures("faults_switched_off")
def test_cache_miss_sends_every_lookup_to_the_database_until_deleted(stack: SampleStack) -> None:
    stack.app.get("/api/items").raise_for_status()
    hits = stack.value("cache_requests_total", result="hit")
    misses = stack.value("cache_requests_total", result="miss")

    put_fault(stack, "cache_miss", {"ratio": 1.0})
    for _ in range(5):
        stack.app.get("/api/items").raise_for_status()

    assert stack.value("cache_requests_total", result="miss") == misses + 5
    assert stack.value("cache_requests_total", result="hit") == hits
    stack.app.delete("/control/faults/cache_miss").raise_for_status()
    for _ in range(2):
        stack.app.get("/api/items").raise_for_status()
    assert stack.value("cache_requests_total", result="hit") >= hits + 1


@pytest.mark.usefixtures("faults_switched_off")
def test_cache_flush_empties_redis_once_and_the_next_read_misses(stack: SampleStack) -> None:
    stack.app.get("/api/items").raise_for_status()
    wait_for(
        lambda: (redis_keys(stack) or 0) >= 1, timeout=EFFECT_SECONDS, describe="redis-exporter sees the cached page"
    )
    misses = stack.value("cache_requests_total", result="miss")

    flushed = put_fault(stack, "cache_flush")
    stack.app.get("/api/items").raise_for_status()

    assert flushed["keys_flushed"] >= 1
    assert stack.value("cache_requests_total", result="miss") == misses + 1
    listing = stack.app.get("/control/faults").json()
    assert "cache_flush" not in listing["active"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", listing["last"]["cache_flush"]["at"])


@pytest.mark.usefixtures("faults_switched_off")
def test_cache_fill_takes_redis_to_its_fraction_of_maxmemory_and_deleting_it_frees_the_memory(
    stack: SampleStack,
) -> None:
    put_fault(stack, "cache_fill", {"fraction": 0.95})
    filled = wait_for(
        lambda: (share := redis_memory_share(stack)) is not None and share >= 0.95 and share,
        timeout=EFFECT_SECONDS, describe="redis-exporter sees Redis at 95% of its maxmemory",
    )
    progress = active_faults(stack)["cache_fill"]

    stack.app.delete("/control/faults/cache_fill").raise_for_status()

    assert filled < 0.99
    assert progress["filler_keys"] > 0 and progress["max_bytes"] == 64 * MEGABYTE
    assert (redis_memory_share(stack) or 1.0) < 0.5


def redis_memory_share(stack: SampleStack) -> float | None:
    """used_memory / maxmemory as redis-exporter reports them."""
    text = httpx.get(f"{stack.redis_exporter_url}/metrics", timeout=5.0).text
    used, maximum = metric(text, "redis_memory_used_bytes"), metric(text, "redis_memory_max_bytes")
    return used / maximum if used is not None and maximum else None


def redis_keys(stack: SampleStack) -> float | None:
    return metric(httpx.get(f"{stack.redis_exporter_url}/metrics", timeout=5.0).text, "redis_db_keys", db="db0")


@pytest.mark.usefixtures("faults_switched_off")
def test_queue_backlog_grows_the_queue_and_it_drains_once_deleted(stack: SampleStack) -> None:
    put_fault(stack, "queue_backlog", {"produce_per_second": 400})
    depth = wait_metric(stack, "the queue grows", "job_queue_depth", lambda depth: depth >= 50)
    produced = active_faults(stack)["queue_backlog"]["produced"]

    stack.app.delete("/control/faults/queue_backlog").raise_for_status()

    assert depth >= 50 and produced >= 50
    wait_metric(stack, "the queue drains", "job_queue_depth", lambda depth: depth == 0)


@pytest.mark.usefixtures("faults_switched_off")
def test_job_failures_fault_makes_jobs_fail_and_deleting_it_lets_them_succeed(stack: SampleStack) -> None:
    failures = stack.value("jobs_processed_total", status="failure")

    put_fault(stack, "job_failures", {"ratio": 1.0})
    wait_metric(stack, "jobs fail", "jobs_processed_total", lambda failed: failed >= failures + 5, status="failure")
    stack.app.delete("/control/faults/job_failures").raise_for_status()
    successes = stack.value("jobs_processed_total", status="success")

    wait_metric(
        stack, "jobs succeed again", "jobs_processed_total", lambda done: done >= successes + 5, status="success"
    )


@pytest.mark.usefixtures("faults_switched_off")
def test_slow_jobs_fault_makes_jobs_take_longer(stack: SampleStack) -> None:
    def jobs_over_half_a_second() -> float:
        text = stack.metrics()
        return (metric(text, "job_processing_seconds_count") or 0) - (
            metric(text, "job_processing_seconds_bucket", le="0.5") or 0
        )

    before = jobs_over_half_a_second()

    put_fault(stack, "slow_jobs", {"seconds": 0.5})

    wait_for(
        lambda: jobs_over_half_a_second() >= before + 4, timeout=EFFECT_SECONDS, describe="jobs over 0.5 s counted"
    )


@pytest.mark.usefixtures("faults_switched_off")
def test_memory_leak_raises_resident_memory_up_to_its_cap_and_deleting_frees_it(stack: SampleStack) -> None:
    before = stack.value("process_resident_memory_bytes")

    put_fault(stack, "memory_leak", {"megabytes_per_second": 256, "cap_megabytes": 96})
    grown = wait_metric(
        stack,
        "resident memory up by ~96 MB",
        "process_resident_memory_bytes",
        lambda rss: rss >= before + 90 * MEGABYTE,
    )
    wait_for(
        lambda: active_faults(stack)["memory_leak"]["held_megabytes"] == 96,
        timeout=EFFECT_SECONDS,
        describe="the leak reaches its cap",
    )
    stack.app.delete("/control/faults/memory_leak").raise_for_status()

    assert grown <= before + (96 + 32) * MEGABYTE
    wait_metric(
        stack, "resident memory back down", "process_resident_memory_bytes", lambda rss: rss <= before + 16 * MEGABYTE
    )


@pytest.mark.usefixtures("faults_switched_off")
def test_business_fault_sets_a_gauge_and_deleting_restores_its_baseline(stack: SampleStack) -> None:
    put_fault(stack, "business", {"gauge": "active_users", "value": 190})
    assert stack.value("business_active_users") == 190.0

    stack.app.delete("/control/faults/business").raise_for_status()

    assert stack.value("business_active_users") == 120.0


@pytest.mark.usefixtures("faults_switched_off")
def test_business_rate_drives_a_counter_until_deleted(stack: SampleStack) -> None:
    before = stack.value("business_signups_total")

    put_fault(stack, "business_rate", {"counter": "signups", "per_second": 50})
    wait_metric(stack, "sign-ups counted", "business_signups_total", lambda total: total >= before + 10)
    stack.app.delete("/control/faults/business_rate").raise_for_status()

    stopped = stack.value("business_signups_total")
    seen: list[float] = []
    wait_for(
        lambda: seen.append(stack.value("business_signups_total")) or len(seen) >= 3,
        timeout=EFFECT_SECONDS,
        describe="three scrapes after the delete",
    )
    assert seen == [stopped] * 3


@pytest.mark.usefixtures("faults_switched_off")
def test_driven_credit_consumption_drains_credits_remaining_until_deleted(stack: SampleStack) -> None:
    put_fault(stack, "business_rate", {"counter": "business_credits_consumed_total", "per_second": 100})
    wait_metric(stack, "credits drain", "business_credits_remaining", lambda credits: credits <= 10_000 - 20)

    stack.app.delete("/control/faults").raise_for_status()

    assert stack.value("business_credits_remaining") == 10_000.0


FAULTS_SET_TWICE = {
    "errors": ({"ratio": 0.1}, {"ratio": 0.2, "status": 503}),
    "latency": ({"delay_seconds": 0.01}, {"delay_seconds": 0.02}),
    "pool_hold": ({"connections": 1, "seconds": 60}, {"connections": 2, "seconds": 60}),
    "slow_query": ({"seconds": 0.01}, {"seconds": 0.02}),
    "cache_miss": ({"ratio": 0.1}, {"ratio": 0.2}),
    "queue_backlog": ({"produce_per_second": 1}, {"produce_per_second": 2}),
    "job_failures": ({"ratio": 0.1}, {"ratio": 0.2}),
    "slow_jobs": ({"seconds": 0.01}, {"seconds": 0.02}),
    "memory_leak": ({"megabytes_per_second": 64, "cap_megabytes": 8}, {"megabytes_per_second": 64, "cap_megabytes": 4}),
    "business": ({"gauge": "active_users", "value": 1}, {"gauge": "credits_remaining", "value": 2}),
    "business_rate": ({"counter": "signups", "per_second": 1}, {"counter": "signups", "per_second": 2}),
}


@pytest.mark.usefixtures("faults_switched_off")
@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [(kind, *bodies) for kind, bodies in FAULTS_SET_TWICE.items()],
    ids=FAULTS_SET_TWICE.keys(),
)
def test_setting_a_fault_twice_replaces_it_and_deleting_all_undoes_it(
    stack: SampleStack, kind: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    put_fault(stack, kind, first)
    replaced = put_fault(stack, kind, second)

    active = active_faults(stack)
    assert list(active) == [kind]
    assert {field: active[kind][field] for field in second} == {field: replaced[field] for field in second}
    assert stack.app.delete("/control/faults").json() == {"cleared": [kind]}
    assert active_faults(stack) == {}


def test_after_every_fault_is_deleted_the_app_is_whole_again(stack: SampleStack) -> None:
    stack.app.delete("/control/faults").raise_for_status()
    text = stack.metrics()

    assert (metric(text, "db_pool_in_use"), metric(text, "business_active_users")) == (0.0, 120.0)
    assert metric(text, "business_credits_remaining") == 10_000.0
    assert stack.app.get("/api/items").status_code == 200 and stack.app.post("/api/orders").status_code == 201


def test_an_unknown_fault_kind_answers_404_listing_the_known_ones(stack: SampleStack) -> None:
    response = stack.app.put("/control/faults/disk_full", json={})

    assert response.status_code == 404
    assert response.json()["error"].startswith("unknown fault kind 'disk_full'; known kinds: business, business_rate")


def test_the_redis_exporter_sees_redis_up(stack: SampleStack) -> None:
    assert metric(httpx.get(f"{stack.redis_exporter_url}/metrics", timeout=5.0).text, "redis_up") == 1.0


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("cache_flush", None),
        ("cache_miss", {"ratio": 1}),
        ("queue_backlog", {"produce_per_second": 5}),
        ("job_failures", {"ratio": 1}),
        ("slow_jobs", {"seconds": 1}),
    ],
)
def test_without_redis_url_cache_and_queue_faults_answer_409(stack: SampleStack, kind: str, body: object) -> None:
    response = stack.renamed_app.put(f"/control/faults/{kind}", json=body)

    assert response.status_code == 409
    assert "REDIS_URL is empty, so the cache and the job queue are off" in response.json()["error"]


def test_without_redis_url_items_come_straight_from_the_database(stack: SampleStack) -> None:
    response = stack.renamed_app.get("/api/items")

    text = stack.renamed_app.get("/metrics").text
    assert response.status_code == 200 and len(response.json()["items"]) == 20
    assert metric(text, "myapp_cache_requests_total", result="miss") == 0.0
    assert metric(text, "myapp_job_workers_total") == 0.0


def test_metric_names_follow_the_prefix_status_label_and_duration_unit_settings(stack: SampleStack) -> None:
    stack.renamed_app.get("/api/items").raise_for_status()
    text = stack.renamed_app.get("/metrics").text

    assert (metric(text, "myapp_http_requests_total", code="200", method="GET", route="/api/items") or 0) >= 1
    assert metric(
        text, "myapp_http_request_duration_milliseconds_bucket", le="5000.0", method="GET", route="/api/items"
    )
    assert metric(text, "myapp_db_pool_wait_milliseconds_count") is not None
    assert metric(text, "myapp_business_active_users") == 120.0
    assert metric(text, "http_requests_total", code="200", method="GET", route="/api/items") is None
    assert (metric(text, "process_resident_memory_bytes") or 0) > 0  # the process collector keeps its names


def test_a_business_gauge_can_be_named_as_the_renamed_app_exposes_it(stack: SampleStack) -> None:
    try:
        response = stack.renamed_app.put(
            "/control/faults/business", json={"gauge": "myapp_business_active_users", "value": 5}
        )
        value = metric(stack.renamed_app.get("/metrics").text, "myapp_business_active_users")
    finally:
        stack.renamed_app.delete("/control/faults")

    assert response.status_code == 200 and value == 5.0


def test_an_app_whose_redis_is_unreachable_starts_serves_and_counts_the_errors(stack: SampleStack) -> None:
    app = stack.app_without_redis

    statuses = [app.get("/api/items").status_code for _ in range(3)]

    assert statuses == [200] * 3
    assert app.get("/health").json() == {"status": "ok"}
    text = app.get("/metrics").text
    assert (metric(text, "cache_errors_total", operation="get") or 0) >= 3
    assert (metric(text, "cache_errors_total", operation="set") or 0) >= 3
    wait_for(
        lambda: (metric(app.get("/metrics").text, "job_queue_errors_total", operation="pop") or 0) >= 1,
        timeout=EFFECT_SECONDS,
        describe="the workers count the unreachable Redis",
    )


def test_a_flush_redis_does_not_answer_fails_with_503_and_is_counted(stack: SampleStack) -> None:
    response = stack.app_without_redis.put("/control/faults/cache_flush")

    assert response.status_code == 503
    assert response.json()["error"].startswith("fault 'cache_flush': Redis did not answer FLUSHALL: ")
    assert metric(stack.app_without_redis.get("/metrics").text, "cache_errors_total", operation="flush") == 1.0


def _service_image(client: Any, stack_images: dict[str, str], service: str) -> str:
    """The default stack's image for ``service`` once the stack lists it; until then, built here from
    compose/images/<service> (the engine's build cache makes a rebuild instant)."""
    if service in stack_images:
        return stack_images[service]
    tag = f"harness/{service}:test"
    client.images.build(
        path=str(ROOT / "compose" / "images" / service),
        tag=tag,
        buildargs={"BASE_IMAGE": images.ensure_base_image()},
        labels={engine.MANAGED_LABEL: "true"},
        rm=True,
        forcerm=True,
    )
    return tag


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
