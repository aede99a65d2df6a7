"""Benchmark (not a test): the load this machine delivers through the harness, its ceiling, and the stack's memory.

    .venv/bin/python benchmarks/load.py [--users 100] [--rate-per-user 20] [--seconds 20] [--workers 1 2 4]

Boots the default stack once (the harness's own boot and take-down, Ctrl-C included), then:
- for each Locust worker count (1 is one Locust process, as a run has by default): asks users x
  rate req/s of the harness's load (3 reads of GET /api/items to 1 POST /api/orders), lets it warm
  up, then compares asked with delivered over `--seconds` of steady load, read from Locust's own
  history as a run does; prints p95 and failures over the whole load, and the cores the app, the
  port publisher (socat and docker-proxy), Locust and the whole machine were busy meanwhile;
- wrk on GET /api/items of the same 127.0.0.1 published port for the same seconds (2 threads, 50
  connections): the most the app serves behind its published port, the ceiling for any generator;
- what the machine could carry at the CPU a request took (its cores over that CPU);
- the stack's memory: the resident memory (cgroup RSS) of each container, and the total.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from docker.models.containers import Container

from harness import engine, polling, processes, publisher
from harness.gate import new_run_id
from harness.load import LoadProfile, LoadRun, request_budget
from harness.stack import RunningStack, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]
MIB = 2**20
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
  io.write(string.format("requests %d\\n", summary.requests))
  io.write(string.format("failed %d\\n", errors.status + errors.connect + errors.read + errors.write + errors.timeout))
  io.write(string.format("duration_us %d\\n", summary.duration))
end
"""


@dataclass(frozen=True)
class Row:
    generator: str
    asked_rps: float | None
    delivered_rps: float | None
    p95_ms: float
    failures: int
    requests: int
    cores: dict[str, float]


@dataclass(frozen=True)
class CpuClock:
    """Cumulative CPU seconds per part (app, publisher, Locust) at one moment."""

    at: float
    seconds: dict[str, float]

    def cores_until(self, later: CpuClock) -> dict[str, float]:
        span = later.at - self.at
        return {part: (later.seconds[part] - self.seconds.get(part, 0.0)) / span for part in later.seconds} if span else {}


def container_cpu_seconds(container: Container) -> float:
    stats = container.stats(stream=False, one_shot=True)
    return float(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9


def process_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each pid (gone ones count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def docker_proxies() -> list[int]:
    """The engine's userland proxies: 127.0.0.1 published ports go through them on loopback."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "docker-proxy":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def publisher_container(live: RunningStack) -> Container | None:
    listed = engine.client().containers.list(
        filters={"label": [f"{engine.RUN_LABEL}={live.run_id}", publisher.PUBLISHER_LABEL]})
    return listed[0] if listed else None


def machine_cpu_seconds() -> float:
    """CPU seconds every core of the machine has been busy (not idle, not waiting on I/O) since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_clock(live: RunningStack) -> CpuClock:
    app = live.container(live.service_of_role("app"))
    edge = publisher_container(live)
    locust = [process.pid for process in processes.children()]
    return CpuClock(time.monotonic(), {
        "app": container_cpu_seconds(app),
        "publisher": (container_cpu_seconds(edge) if edge else 0.0) + process_cpu_seconds(docker_proxies()),
        "locust": process_cpu_seconds(locust),
        "machine": machine_cpu_seconds(),
    })


def locust_row(live: RunningStack, workers: int, users: int, rate: float, warmup: float, seconds: float,
               folder: Path) -> Row:
    total = warmup + seconds
    profile = LoadProfile(users, rate, total + 15, request_budget(users, rate, total + 15), workers=workers)
    load = LoadRun(live.app_url, profile, folder, run_id=live.run_id)
    try:
        load.wait_until_flowing(timeout=60)
        polling.sleep(warmup)
        start, before = polling.now(), cpu_clock(live)
        polling.sleep(seconds)
        end, after = polling.now(), cpu_clock(live)
        ran_to_end = load.running()
    finally:
        summary = load.stop()
    record = load.record(start, end, ran_to_end)
    name = "Locust, 1 process" if workers == 1 else f"Locust, {workers} workers"
    return Row(name, record.asked_rps, record.delivered_rps, summary.p95_ms, summary.failures, summary.requests,
               before.cores_until(after))


def wrk_row(live: RunningStack, seconds: float, threads: int, connections: int, folder: Path) -> Row | str:
    """wrk on GET /api/items, or what to do when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return ("wrk is not installed, so the ceiling was not measured. Hint: `apt-get install -y wrk` "
                "(Debian's package), then run this benchmark again.")
    script = folder / "report.lua"
    script.write_text(WRK_REPORT)
    before = cpu_clock(live)
    done = subprocess.run(
        [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "-s", str(script),
         f"{live.app_url}/api/items"],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )
    after = cpu_clock(live)
    if done.returncode != 0:
        return f"wrk failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
    figures = dict(re.findall(r"^(p95_us|requests|failed|duration_us) (\d+)$", done.stdout, re.MULTILINE))
    requests, duration = int(figures["requests"]), int(figures["duration_us"]) / 1e6
    return Row(f"wrk -t{threads} -c{connections}, GET /api/items", None, requests / duration,
               int(figures["p95_us"]) / 1000, int(figures["failed"]), requests, before.cores_until(after))


def resident_mib(container: Container) -> float:
    """The container's resident memory: cgroup v1 `rss` (v2 `anon`), page cache not counted."""
    memory = container.stats(stream=False, one_shot=True)["memory_stats"]
    stats = memory.get("stats", {})
    return float(stats.get("rss", stats.get("anon", memory.get("usage", 0)))) / MIB


def stack_memory(live: RunningStack) -> dict[str, float]:
    containers: dict[str, Container] = {name: live.container(name) for name in live.containers}
    edge = publisher_container(live)
    if edge is not None:
        containers["(port publisher)"] = edge
    with ThreadPoolExecutor(max_workers=len(containers)) as pool:
        return dict(zip(containers, pool.map(resident_mib, containers.values())))


def print_table(rows: list[Row | str], cores: int) -> None:
    print(f"\nload on 127.0.0.1 against the sample app ({cores} cores)")
    print(f"{'generator':<34} {'asked/s':>7} {'delivered/s':>13} {'p95 ms':>6} {'failed':>6} {'requests':>8}  "
          "cores busy: app / publisher / Locust / machine  machine CPU ms a request")
    for row in rows:
        if isinstance(row, str):
            print(f"  {row}")
            continue
        asked = f"{row.asked_rps:.0f}" if row.asked_rps is not None else "-"
        delivered = f"{row.delivered_rps:.0f}" if row.delivered_rps is not None else "?"
        share = f" ({100 * row.delivered_rps / row.asked_rps:.0f} %)" if row.asked_rps and row.delivered_rps else ""
        used = " / ".join(f"{row.cores.get(part, 0.0):.2f}" for part in ("app", "publisher", "locust", "machine"))
        per_request = f"{1000 * row.cores.get('machine', 0.0) / row.delivered_rps:.2f}" if row.delivered_rps else "?"
        print(f"{row.generator:<34} {asked:>7} {delivered + share:>13} {row.p95_ms:>6.0f} {row.failures:>6} "
              f"{row.requests:>8}  {used:>33}  {per_request:>6}")


def print_capacity(rows: list[Row | str], cores: int) -> None:
    """What this machine could carry of each load at the CPU a request took: its cores over that CPU."""
    for row in rows:
        if isinstance(row, Row) and row.delivered_rps and row.cores.get("machine"):
            seconds = row.cores["machine"] / row.delivered_rps
            print(f"  {row.generator}: {1000 * seconds:.2f} ms of CPU a request on the whole machine; "
                  f"{cores} cores carry at most about {cores / seconds:.0f} req/s of it")


def print_memory(memory: dict[str, float]) -> None:
    print("\nstack memory (resident, cgroup RSS), MiB")
    for name, mib in sorted(memory.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {mib:7.1f}")
    print(f"  {'total':<20} {sum(memory.values()):7.1f}")


def guarded(measure: Callable[[], Row | str], what: str) -> Row | str:
    try:
        return measure()
    except Exception as error:  # a benchmark reports every case, even a broken one
        return f"{what}: FAILED: {type(error).__name__}: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rate-per-user", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="steady seconds compared, per generator")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before the comparison starts")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="Locust worker counts to try")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=50)
    args = parser.parse_args()
    engine.configure_testcontainers()
    stack = load_stack(ROOT / "compose/docker-compose.yml")
    scale = TimeScale(20.0)
    rows: list[Row | str] = []
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder)
        with running_stack(stack, render_configs(stack, run_dir, scale), scale, new_run_id(), run_dir) as live:
            print(f"stack up in {live.boot.healthy_seconds:.1f} s; app at {live.app_url}" if live.boot else "stack up",
                  flush=True)
            idle = stack_memory(live)
            for workers in args.workers:
                rows.append(guarded(lambda: locust_row(live, workers, args.users, args.rate_per_user, args.warmup,
                                                       args.seconds, run_dir / f"load-{workers}"),
                                    f"Locust, {workers} worker(s)"))
                print_table(rows[-1:], os.cpu_count() or 1)
            rows.append(guarded(lambda: wrk_row(live, args.seconds, args.wrk_threads, args.wrk_connections, run_dir),
                                "wrk"))
            loaded = stack_memory(live)
    print_table(rows, os.cpu_count() or 1)
    print("\nthe machine's ceiling (everything shares its cores: the app, the stack, the publisher, Locust)")
    print_capacity(rows, os.cpu_count() or 1)
    print_memory(loaded)
    print(f"  (idle, before the load: {sum(idle.values()):.1f} MiB in total)")


if __name__ == "__main__":
    main()
