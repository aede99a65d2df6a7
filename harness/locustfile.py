"""The load Locust runs against the sample app: reads and writes at a fixed rate per user.

Runs in Locust's own process (gevent), never imported by the harness. Bounded three times: the
run time (--run-time, which Locust does not arm when a shape class drives the users, so the shape
enforces it; a worker has --end-after, as its master may be gone), --max-requests, after which the
run stops itself, and the life of the harness process that started it (HARNESS_PARENT_PID): Linux's
parent-death signal, and a watch on the parent pid where that is not available. The number of users is steady, or ramps or spikes (--user-change) on a
clock that starts when requests begin to flow, which is when the harness starts the scenario's baseline.

In Locust's distributed mode (harness/load_processes.py) the same file runs in a master and its
workers, each started by the harness. Requests, and so the request budget and the "flowing" file,
are the workers' (each holds its share of --max-requests); the master runs the shape and the run
time, and learns when requests began to flow from the file's time. A worker reports its statistics
to the master every second, so the master's history has no gaps longer than that.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust import FastHttpUser, LoadTestShape, constant_throughput, events, task

# Every 3 s by default: the master's history would then stand still for 3 s at a time, which reads as
# the load going quiet. Read by the workers' report loop on every round.
locust.runners.WORKER_REPORT_INTERVAL = 1.0
# A worker whose master is gone (killed apart from the harness) stops after this long, not after a minute.
locust.runners.MASTER_HEARTBEAT_TIMEOUT = 10

PR_SET_PDEATHSIG = 1
PARENT_WATCH_SECONDS = 1.0


def _die_with_parent() -> int:
    """Ask the kernel to kill this process when the harness dies, even by SIGKILL; return the harness's pid."""
    parent = int(os.environ.get("HARNESS_PARENT_PID", "0") or 0)
    if not parent:
        return 0
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the harness died before the request above took effect
        os._exit(0)
    return parent


_PARENT = _die_with_parent()


def _watch_parent() -> None:
    # A second guard for systems without prctl; Locust's own greenlet loop, not the harness's clock.
    while os.getppid() == _PARENT:
        gevent.sleep(PARENT_WATCH_SECONDS)
    sys.stderr.write(f"the harness process {_PARENT} is gone; stopping the load\n")
    os._exit(0)


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--rate-per-user", type=float, default=2.0, help="requests per second per user")
    parser.add_argument("--max-requests", type=int, default=10_000, help="stop after this many requests")
    parser.add_argument("--flowing-file", default="", help="created once requests are flowing")
    parser.add_argument("--user-change", default="", help="ramp|spike:USERS:START:END, seconds after flowing")
    parser.add_argument("--flowing-after", type=int, default=0, help="requests before flowing (default: --users)")
    parser.add_argument("--end-after", type=float, default=0.0,
                        help="a worker's own bound: end this many seconds after starting, whatever its master does")


_sent = 0
#: Requests begun, answered or not: a user sends only while this is under the budget, so users that
#: are behind their schedule cannot overshoot it in the moment before the run quits.
_begun = 0
_flowing_since: float | None = None
#: Requests this process may send, requests completed before the load counts as flowing (every user
#: has started), the file that says so: from this process's own command line, read once at start.
#: A master sends its custom options to its workers with every spawn, which would replace a worker's
#: share of the budget with the whole of it.
_budget = 10_000
_flowing_after = 1
_flowing_file = ""
_quitting = False


@events.request.add_listener
def _count(**_: Any) -> None:
    global _sent, _flowing_since, _quitting
    _sent += 1
    environment = _environment
    if _sent == _flowing_after and _flowing_file:
        _flowing_since = time.monotonic()
        Path(_flowing_file).touch()
    if environment is not None and environment.runner is not None and _sent >= _budget and not _quitting:
        _quitting = True
        # Not from this user's own greenlet: stopping the users kills it, and the quit with it.
        gevent.spawn(environment.runner.quit)


def _flowing_moment() -> float | None:
    """When requests began to flow (monotonic clock): seen here, or, on a master, when a worker made the file."""
    global _flowing_since
    if _flowing_since is None and _flowing_file:
        try:
            made = os.stat(_flowing_file).st_mtime
        except OSError:
            return None
        _flowing_since = time.monotonic() - max(0.0, time.time() - made)
    return _flowing_since


_environment: Any = None


@events.init.add_listener
def _remember(environment: Any, **_: Any) -> None:
    global _environment, _budget, _flowing_after, _flowing_file
    _environment = environment
    options = environment.parsed_options
    AppUser.wait_time = constant_throughput(options.rate_per_user)
    _budget = options.max_requests
    _flowing_after = options.flowing_after or max(1, options.num_users or 1)
    _flowing_file = options.flowing_file
    if _PARENT:
        gevent.spawn(_watch_parent)
    if options.end_after:
        gevent.spawn_later(options.end_after, _end_worker, options.end_after)


def _end_worker(seconds: float) -> None:
    sys.stderr.write(f"this worker has run for its {seconds:g} s; stopping the load\n")
    os._exit(0)


class AppUser(FastHttpUser):
    """geventhttpclient, not requests: several times the requests per core on loopback (benchmarks/load.py).

    Failures count as with requests' client (an answer of 400 or more, or no answer), and a JSON
    body is sent with its content type.
    """

    wait_time = constant_throughput(2.0)

    @task(3)
    def read_items(self) -> None:
        if _may_begin():
            self.client.get("/api/items", name="/api/items")

    @task(1)
    def place_order(self) -> None:
        if _may_begin():
            self.client.post("/api/orders", json={"item_id": 1, "quantity": 1}, name="/api/orders")


def _may_begin() -> bool:
    """Take one request of this process's budget; none is left once the budget is spent."""
    global _begun
    if _begun >= _budget:
        return False
    _begun += 1
    return True


class ScenarioShape(LoadTestShape):
    """Steady at --users, or one ramp or spike, until --run-time has passed."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options
        if options.run_time and self.get_run_time() >= options.run_time:
            return None  # Locust arms --run-time only after a shape has finished
        base = options.num_users or 1
        flowing_since = _flowing_moment()
        if not options.user_change or flowing_since is None:
            return base, base
        kind, users, start, end = options.user_change.split(":")
        target, begin, finish = int(users), float(start), float(end)
        elapsed = time.monotonic() - flowing_since
        if elapsed < begin:
            return base, base
        if kind == "spike":
            return (target, target) if elapsed < finish else (base, base)
        share = 1.0 if finish <= begin else min(1.0, (elapsed - begin) / (finish - begin))
        return round(base + (target - base) * share), max(base, target)
