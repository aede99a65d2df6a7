"""The Locust processes one load runs in: one process, or Locust's own distributed mode on loopback.

With `workers` > 1 the harness starts a master and that many workers itself, each its own child
(not Locust's `--processes`, which forks the workers under the master): so every process carries
the run's markers with the harness as its parent, and dies with the harness by the same
parent-death signal and parent watch as a single Locust does (harness/locustfile.py). The master
runs the load shape and the run time and writes the aggregated statistics; each worker issues
requests, holds its own share of the request budget (together exactly the budget) and creates
the "flowing" file once its requests complete.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InvalidInput

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: Locust processes a core may carry: more only fight over it (and the app shares the cores).
WORKERS_PER_CORE = 4
#: How long a master waits for its workers to connect before it gives up.
WORKERS_CONNECT_SECONDS = 30
#: A worker ends by itself this long after its master's run time could have ended (it started first).
WORKER_END_SLACK_SECONDS = 10


def most_workers(cores: int | None = None) -> int:
    """The largest worker count this machine takes: 4 a core."""
    return WORKERS_PER_CORE * max(1, cores if cores is not None else os.cpu_count() or 1)


def check_workers(workers: int, where: str, cores: int | None = None) -> int:
    """`workers` if this machine can run that many Locust workers, else InvalidInput naming `where`."""
    limit = most_workers(cores)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= limit:
        count = cores if cores is not None else os.cpu_count() or 1
        raise InvalidInput(
            f"{where}: {workers!r} Locust workers is not possible here; give 1..{limit} "
            f"({WORKERS_PER_CORE} a core, and this machine has {count}). "
            "Hint: 1 runs Locust in one process; more spread it over a master and that many workers."
        )
    return workers


def split_budget(total: int, workers: int) -> tuple[int, ...]:
    """Each worker's share of a request budget: as even as can be, and together exactly `total`."""
    if workers < 1 or total < 0:
        raise ValueError(f"cannot split {total} requests over {workers} workers")
    share, extra = divmod(total, workers)
    return tuple(share + (1 if index < extra else 0) for index in range(workers))


@dataclass(frozen=True)
class LocustRun:
    """What Locust is asked to do, in its own terms."""

    target_url: str
    users: int
    rate_per_user: float
    seconds: int
    max_requests: int
    workers: int = 1
    #: `ramp|spike:USERS:START:END` (harness.load.UserChange.argument), or "" when steady.
    user_change: str = ""


@dataclass(frozen=True)
class Commands:
    """The command line of the process that writes the statistics, and of each worker (none in one process)."""

    main: tuple[str, ...]
    workers: tuple[tuple[str, ...], ...] = ()


def commands(run: LocustRun, csv_prefix: Path, flowing_file: Path, master_port: int | None = None) -> Commands:
    """Command lines for `shape`: one Locust process, or a master on 127.0.0.1:`master_port` and its workers."""
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING",
            "--host", run.target_url, "--rate-per-user", f"{run.rate_per_user:g}", "--flowing-file", str(flowing_file)]
    main = [
        *base, "--headless", "--only-summary", "-u", str(run.users), "-r", str(run.users),
        "-t", f"{run.seconds}s", "--stop-timeout", "1", "--max-requests", str(run.max_requests),
        "--csv", str(csv_prefix), "--csv-full-history", "--exit-code-on-error", "0",
    ]
    if run.user_change:
        main += ["--user-change", run.user_change]
    if run.workers == 1:
        return Commands(tuple(main))
    if master_port is None:
        raise ValueError("a master and its workers need a port to meet on")
    main += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
             "--expect-workers", str(run.workers), "--expect-workers-max-wait", str(WORKERS_CONNECT_SECONDS)]
    # A worker counts flowing after as many requests as it has users; it has about users / workers.
    flowing_after = max(1, run.users // run.workers)
    workers = tuple(
        (*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port),
         "--max-requests", str(share), "--flowing-after", str(flowing_after),
         "--end-after", str(run.seconds + WORKERS_CONNECT_SECONDS + WORKER_END_SLACK_SECONDS))
        for share in split_budget(run.max_requests, run.workers)
    )
    return Commands(tuple(main), workers)


def free_port() -> int:
    """A loopback port nothing listens on now, for a master and its workers to meet on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
