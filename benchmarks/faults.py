"""Benchmark (not a test): for each fault, what it moves, how long until it shows, how long to undo.

    .venv/bin/python benchmarks/faults.py [--scale 20] [--only KIND ...]

Starts the default stack once, then for each fault: switches it on, waits until its effect is seen
(in Prometheus, or in the engine's container statistics), switches it off, and waits until the
effect is gone. Prints one line per fault; times are wall-clock seconds on the compressed stack.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import engine, polling
from harness.faults import Fault
from harness.faults import app as app_faults
from harness.faults.container import ContainerKill, ContainerPause, ContainerRestart, ContainerStop, CpuStress, MemoryStress
from harness.faults.network import NetworkBandwidth, NetworkCut, NetworkLoss
from harness.faults.sink import SinkOutage
from harness.gate import new_run_id
from harness.load import LoadProfile, LoadRun
from harness.stack import RunningStack, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]
Probe = Callable[[RunningStack], float | None]


@dataclass(frozen=True)
class Case:
    fault: Fault
    moves: str
    read: Probe
    on: Callable[[float, float], bool]  # (value now, value before) -> effect seen
    off: Callable[[float, float], bool]
    before: Callable[[RunningStack], None] = lambda stack: None


def prom(query: str) -> Probe:
    def read(stack: RunningStack) -> float | None:
        samples = stack.prometheus.query(query)
        return sum(float(s["value"][1]) for s in samples) if samples else None
    return read


def cores(service: str) -> Probe:
    def read(stack: RunningStack) -> float:
        first = stack.container(service).stats(stream=False)
        second = stack.container(service).stats(stream=False)
        used = second["cpu_stats"]["cpu_usage"]["total_usage"] - first["cpu_stats"]["cpu_usage"]["total_usage"]
        system = second["cpu_stats"]["system_cpu_usage"] - first["cpu_stats"]["system_cpu_usage"]
        return used / system * second["cpu_stats"].get("online_cpus", 1) if system else 0.0
    return read


def megabytes(service: str) -> Probe:
    return lambda stack: stack.container(service).stats(stream=False)["memory_stats"]["usage"] / 2**20


def post_test_alert(stack: RunningStack) -> None:
    stack.alertmanager.post_alert({"alertname": "BenchmarkOutage", "severity": "info", "service": "bench"})


def rate(query: str) -> Probe:
    return prom(f"sum(rate({query}[3s]))")


CASES = [
    Case(ContainerStop(service="node-exporter"), 'up{job="node"}', prom('up{job="node"}'),
         lambda v, b: v == 0, lambda v, b: v == 1),
    Case(ContainerKill(service="postgres-exporter"), 'up{job="postgres"}', prom('up{job="postgres"}'),
         lambda v, b: v == 0, lambda v, b: v == 1),
    Case(ContainerPause(service="node-exporter"), 'up{job="node"}', prom('up{job="node"}'),
         lambda v, b: v == 0, lambda v, b: v == 1),
    Case(ContainerRestart(service="app"), 'process_start_time_seconds{job="app"}',
         prom('process_start_time_seconds{job="app"}'), lambda v, b: v != b, lambda v, b: True),
    Case(CpuStress(service="app", workers=1), "CPU cores used by the app container (engine stats)", cores("app"),
         lambda v, b: v > 0.5, lambda v, b: v < 0.3),
    Case(MemoryStress(service="app", megabytes=200), "MB used by the app container (engine stats)", megabytes("app"),
         lambda v, b: v > b + 150, lambda v, b: v < b + 50),
    Case(NetworkCut(service="postgres-exporter"), 'up{job="postgres"}', prom('up{job="postgres"}'),
         lambda v, b: v == 0, lambda v, b: v == 1),
    Case(NetworkLoss(service="node-exporter", loss_percent=100), 'up{job="node"}', prom('up{job="node"}'),
         lambda v, b: v == 0, lambda v, b: v == 1),
    Case(NetworkBandwidth(service="node-exporter", rate_kbit=256), 'scrape_duration_seconds{job="node"}',
         prom('scrape_duration_seconds{job="node"}'), lambda v, b: v > max(0.2, 5 * b), lambda v, b: v < 2 * b + 0.05),
    Case(SinkOutage(receiver_kind="webhook"), "alertmanager_notifications_failed_total{integration=\"webhook\"}",
         prom('alertmanager_notifications_failed_total{integration="webhook"}'),
         lambda v, b: v > b, lambda v, b: True, before=post_test_alert),
    Case(app_faults.AppErrors(ratio=0.5), 'rate(http_requests_total{status=~"5.."})',
         rate('http_requests_total{job="app",status=~"5.."}'), lambda v, b: v > 1, lambda v, b: v < 0.5),
    Case(app_faults.AppLatency(delay_seconds=0.5), "p95 of http_request_duration_seconds",
         prom('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="app"}[3s])))'),
         lambda v, b: v > 0.4, lambda v, b: v < 0.2),
    Case(app_faults.PoolHold(connections=10, seconds=60), "db_pool_in_use / db_pool_max_size",
         prom('max(db_pool_in_use{job="app"}) / max(db_pool_max_size{job="app"})'),
         lambda v, b: v >= 1, lambda v, b: v < 0.9),
    Case(app_faults.SlowQuery(seconds=0.5), "p95 of http_request_duration_seconds",
         prom('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="app"}[3s])))'),
         lambda v, b: v > 0.4, lambda v, b: v < 0.2),
    Case(app_faults.CacheMiss(ratio=1.0), "cache hit ratio",
         prom('sum(rate(cache_requests_total{job="app",result="hit"}[3s])) / sum(rate(cache_requests_total{job="app"}[3s]))'),
         lambda v, b: v < 0.05, lambda v, b: v > 0.3),
    Case(app_faults.CacheFlush(), 'cache_requests_total{result="miss"} (the next reads miss)',
         prom('sum(cache_requests_total{job="app",result="miss"})'), lambda v, b: v > b, lambda v, b: True),
    Case(app_faults.QueueBacklog(produce_per_second=200), "job_queue_depth", prom('job_queue_depth{job="app"}'),
         lambda v, b: v > 100, lambda v, b: v < 10),
    Case(app_faults.JobFailures(ratio=0.5), 'rate(jobs_processed_total{status="failure"})',
         rate('jobs_processed_total{job="app",status="failure"}'), lambda v, b: v > 0.3, lambda v, b: v < 0.05),
    Case(app_faults.SlowJobs(seconds=1.5), "p95 of job_processing_seconds",
         prom('histogram_quantile(0.95, sum by (le) (rate(job_processing_seconds_bucket{job="app"}[3s])))'),
         lambda v, b: v > 1, lambda v, b: v < 0.5),
    Case(app_faults.MemoryLeak(megabytes_per_second=50, cap_megabytes=200), "process_resident_memory_bytes (MB)",
         prom('process_resident_memory_bytes{job="app"} / 2^20'), lambda v, b: v > b + 150, lambda v, b: v < b + 50),
    Case(app_faults.BusinessGauge(gauge="active_users", value=195), "business_active_users",
         prom('business_active_users{job="app"}'), lambda v, b: v == 195, lambda v, b: v == b),
    Case(app_faults.BusinessRate(counter="credits_consumed", per_second=50), "rate(business_credits_consumed_total)",
         rate('business_credits_consumed_total{job="app"}'), lambda v, b: v > 30, lambda v, b: v < 5),
]


def measure(stack: RunningStack, case: Case) -> str:
    before = polling.wait_for(lambda: case.read(stack), timeout=30, describe="a reading before the fault")
    case.before(stack)
    started = polling.monotonic()
    case.fault.start(stack)
    try:
        polling.wait_for(lambda: (lambda v: v is not None and case.on(v, before))(case.read(stack)), timeout=90,
                         interval=0.1, describe="effect", on_error=(Exception,))
        effect = polling.monotonic() - started
    finally:
        stopped = polling.monotonic()
        case.fault.stop(stack)
    polling.wait_for(lambda: (lambda v: v is not None and case.off(v, before))(case.read(stack)), timeout=90,
                     interval=0.1, describe="undone", on_error=(Exception,))
    undone = polling.monotonic() - stopped
    polling.wait_for(lambda: not stack.prometheus.unhealthy_targets(), timeout=60, describe="stack whole again")
    return f"{case.fault.kind:<18} effect {effect:5.1f} s   undone {undone:5.1f} s   moves {case.moves}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    engine.configure_testcontainers()
    scale = TimeScale(args.scale)
    stack = load_stack(ROOT / "compose/docker-compose.yml")
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder)
        with running_stack(stack, render_configs(stack, run_dir, scale), scale, new_run_id(), run_dir) as live:
            print(f"scrape interval {scale.compress(live.prometheus_settings.scrape_interval).total_seconds():g} s")
            load = LoadRun(live.app_url, LoadProfile(users=2, rate_per_user=5, max_seconds=900), run_dir / "load",
                           run_id=live.run_id)
            try:
                for case in CASES:
                    if args.only and case.fault.kind not in args.only:
                        continue
                    try:
                        print(measure(live, case), flush=True)
                    except Exception as error:  # a benchmark reports every case, even a broken one
                        print(f"{case.fault.kind:<18} FAILED: {error}", flush=True)
            finally:
                summary = load.stop()
                print(f"load: {summary.requests} requests, {summary.requests_per_second:.1f}/s")


if __name__ == "__main__":
    main()
