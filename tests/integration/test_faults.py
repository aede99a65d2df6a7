"""Every container, network and sink fault, proven by its effect on the real stack.

Each test switches a fault on, waits for what a user would see move (a target going down in
Prometheus, CPU or memory counted against the container, a scrape getting slower, a delivery
refused and then retried), switches it off, and waits for the stack to be whole again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import polling
from harness.faults import Fault
from harness.faults.container import ContainerKill, ContainerPause, ContainerRestart, ContainerStop, CpuStress, MemoryStress
from harness.errors import FaultError
from harness.faults.network import NetworkBandwidth, NetworkCut, NetworkDelay, NetworkLoss
from harness.faults.sink import SinkOutage
from harness.stack import RunningStack


def value(stack: RunningStack, query: str) -> float | None:
    samples = stack.prometheus.query(query)
    return float(samples[0]["value"][1]) if samples else None


def wait_value(stack: RunningStack, query: str, predicate: object, describe: str, timeout: float = 30) -> float:
    def probe() -> float | None:
        seen = value(stack, query)
        return seen if seen is not None and predicate(seen) else None  # type: ignore[operator]

    return polling.wait_for(probe, timeout=timeout, describe=describe)


@pytest.fixture
def switched_on(harness_stack: RunningStack) -> Iterator[list[Fault]]:
    """Faults a test switches on; all are switched off afterwards, and the stack must be whole again."""
    faults: list[Fault] = []
    yield faults
    for fault in reversed(faults):
        fault.stop(harness_stack)
    polling.wait_for(lambda: not harness_stack.prometheus.unhealthy_targets(), timeout=60,
                     describe="every target up again after the fault")


def switch_on(stack: RunningStack, faults: list[Fault], fault: Fault) -> None:
    fault.start(stack)
    faults.append(fault)


@pytest.mark.parametrize(
    ("fault", "job"),
    [
        pytest.param(ContainerStop(service="node-exporter"), "node", id="stop"),
        pytest.param(ContainerKill(service="postgres-exporter"), "postgres", id="kill"),
        pytest.param(ContainerPause(service="node-exporter"), "node", id="pause"),
        pytest.param(NetworkCut(service="postgres-exporter"), "postgres", id="network-cut"),
    ],
)
def test_fault_takes_the_target_down_and_undoing_it_brings_it_back(
    harness_stack: RunningStack, switched_on: list[Fault], fault: Fault, job: str
) -> None:
    switch_on(harness_stack, switched_on, fault)
    wait_value(harness_stack, f'up{{job="{job}"}}', lambda up: up == 0, f"{job} target down")

    switched_on.remove(fault)
    fault.stop(harness_stack)

    wait_value(harness_stack, f'up{{job="{job}"}}', lambda up: up == 1, f"{job} target up again")


def test_restart_gives_the_app_a_new_process_and_it_serves_again(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    before = value(harness_stack, 'process_start_time_seconds{job="app"}')

    switch_on(harness_stack, switched_on, ContainerRestart(service="app"))

    wait_value(harness_stack, 'process_start_time_seconds{job="app"}', lambda started: started != before,
               "the app's process start time changes", timeout=60)


def kernel_has_netem(stack: RunningStack) -> bool:
    from harness.faults import sidecar

    try:
        sidecar.run_once(stack, "node-exporter", ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
    except FaultError as error:
        return "qdisc kind is unknown" not in str(error)
    sidecar.run_once(stack, "node-exporter", ["tc", "qdisc", "del", "dev", "lo", "root"])
    return True


def test_network_delay_without_netem_in_the_kernel_fails_saying_so(harness_stack: RunningStack) -> None:
    if kernel_has_netem(harness_stack):
        pytest.skip("this kernel has netem; the delay itself is proven by the next test")

    with pytest.raises(FaultError, match="kernel has no netem qdisc"):
        NetworkDelay(service="node-exporter", delay_ms=300).start(harness_stack)


def test_network_delay_slows_the_scrape_of_the_delayed_service(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    if not kernel_has_netem(harness_stack):
        pytest.skip("this engine's kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), so no delay can be injected")
    switch_on(harness_stack, switched_on, NetworkDelay(service="node-exporter", delay_ms=300))
    wait_value(harness_stack, 'scrape_duration_seconds{job="node"}', lambda took: took >= 0.3, "scrape takes >= 300 ms")

    switched_on[-1].stop(harness_stack)

    wait_value(harness_stack, 'scrape_duration_seconds{job="node"}', lambda took: took < 0.3, "scrape fast again")


def test_total_packet_loss_takes_the_target_down_and_undoing_it_brings_it_back(
    harness_stack: RunningStack, switched_on: list[Fault]
) -> None:
    fault = NetworkLoss(service="node-exporter", loss_percent=100)
    switch_on(harness_stack, switched_on, fault)
    wait_value(harness_stack, 'up{job="node"}', lambda up: up == 0, "node target down under 100% loss")

    switched_on.remove(fault)
    fault.stop(harness_stack)

    wait_value(harness_stack, 'up{job="node"}', lambda up: up == 1, "node target up again")


def test_bandwidth_limit_slows_the_scrape_of_the_limited_service(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    fast = wait_value(harness_stack, 'scrape_duration_seconds{job="node"}', lambda took: took > 0, "a node scrape")
    switch_on(harness_stack, switched_on, NetworkBandwidth(service="node-exporter", rate_kbit=256))

    wait_value(harness_stack, 'scrape_duration_seconds{job="node"}', lambda took: took > max(0.2, 5 * fast),
               f"node scrapes much slower than {fast:.3f} s")


def cpu_seconds(stack: RunningStack, service: str) -> float:
    stats = stack.container(service).stats(stream=False)
    return float(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9


def test_cpu_stress_is_counted_against_the_stressed_container(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    switch_on(harness_stack, switched_on, CpuStress(service="node-exporter", workers=1))
    polling.sleep(1)
    start, started = cpu_seconds(harness_stack, "node-exporter"), polling.monotonic()
    polling.sleep(2)

    used = (cpu_seconds(harness_stack, "node-exporter") - start) / (polling.monotonic() - started)

    assert used > 0.5, f"node-exporter used {used:.2f} cores under a 1-worker CPU stress"


def memory_mb(stack: RunningStack, service: str) -> float:
    return float(stack.container(service).stats(stream=False)["memory_stats"]["usage"]) / 2**20


def test_memory_stress_is_held_by_the_stressed_container_and_freed_after(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    baseline = memory_mb(harness_stack, "node-exporter")
    fault = MemoryStress(service="node-exporter", megabytes=200)
    switch_on(harness_stack, switched_on, fault)

    polling.wait_for(lambda: memory_mb(harness_stack, "node-exporter") > baseline + 150, timeout=30,
                     describe="node-exporter's container holds 150+ MB more")
    switched_on.remove(fault)
    fault.stop(harness_stack)

    polling.wait_for(lambda: memory_mb(harness_stack, "node-exporter") < baseline + 50, timeout=30,
                     describe="the memory is freed")


def test_alertmanager_retries_through_a_sink_outage_and_delivers_exactly_once(harness_stack: RunningStack, switched_on: list[Fault]) -> None:
    outage = SinkOutage(receiver_kind="webhook", status_code=503)
    switch_on(harness_stack, switched_on, outage)
    harness_stack.alertmanager.post_alert({"alertname": "TestOutage", "severity": "info", "service": "outage"})
    polling.wait_for(
        lambda: [d for d in harness_stack.sink.deliveries() if "TestOutage" in d.alertnames and not d.accepted],
        timeout=30, describe="a refused delivery of TestOutage",
    )

    switched_on.remove(outage)
    outage.stop(harness_stack)

    polling.wait_for(
        lambda: [d for d in harness_stack.sink.deliveries() if "TestOutage" in d.alertnames and d.accepted],
        timeout=60, describe="TestOutage delivered once the sink is back",
    )
    polling.sleep(3)
    accepted = [d for d in harness_stack.sink.deliveries()
                if "TestOutage" in d.alertnames and d.accepted and d.status == "firing"]
    assert [d.receiver for d in accepted] == ["default-webhook"]
