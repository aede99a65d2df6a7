"""Load: Locust, headless, in its own process (or a master and workers), against the app's 127.0.0.1 published port.

Locust brings gevent and monkey-patches the process it runs in; keeping it in child processes
keeps that away from the harness. The load is bounded in users, rate, seconds and requests, and
it never outlives the harness: each child stays in the harness's process group (a terminal's
Ctrl-C reaches them all), carries the run's markers (harness.processes) and dies with its parent.
One Locust process gives about a thousand requests a second; `workers` spreads the load over
Locust's distributed mode (harness.load_processes), with the same bounds across the workers.
"""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from harness import interrupts, load_processes, polling, processes
from harness.errors import InvalidInput, LoadError
from harness.timeline import Gap

#: Load delivered below this share of the load asked is a shortfall, reported and doubted.
SHORTFALL = 0.95
#: The shortest window over which load asked and delivered are compared.
MIN_COMPARED_SECONDS = 10.0
#: How long a Locust process has to end on SIGTERM before it is killed.
STOP_SECONDS = 15.0


@dataclass(frozen=True)
class UserChange:
    """From `start` to `end` seconds after the load starts flowing, users move to `users`.

    A ramp moves evenly over the span and holds; a spike jumps at `start` and drops back at `end`.
    """

    kind: str
    users: int
    start: float
    end: float

    def argument(self) -> str:
        return f"{self.kind}:{self.users}:{self.start:g}:{self.end:g}"


@dataclass(frozen=True)
class LoadProfile:
    users: int = 4
    rate_per_user: float = 5.0
    max_seconds: float = 120.0
    max_requests: int = 5_000
    change: UserChange | None = None
    #: Locust processes issuing the requests: 1 is one process; more is a master and that many workers.
    workers: int = 1

    def __post_init__(self) -> None:
        if not (1 <= self.users <= 200 and 0 < self.rate_per_user <= 100):
            raise InvalidInput(f"load: users must be 1..200 and rate_per_user 0..100, got {self}")
        load_processes.check_workers(self.workers, "load: workers")
        if self.change is not None and not (1 <= self.change.users <= 200 and 0 <= self.change.start <= self.change.end):
            raise InvalidInput(f"load: a {self.change.kind} needs 1..200 users and a start before its end, got {self.change}")

    @property
    def requests_per_second(self) -> float:
        return self.users * self.rate_per_user


@dataclass(frozen=True)
class LoadRecord:
    """What the load generator did: when it went quiet, whether it ran to the end, errors of its own."""

    gaps: tuple[Gap, ...] = ()
    ran_to_end: bool = True
    generator_errors: int = 0
    #: Requests per second asked for, and issued over the judged window (None: not compared).
    asked_rps: float | None = None
    delivered_rps: float | None = None

    @property
    def shortfall(self) -> str:
        """`load asked 2000 req/s and got 1056 req/s (53 %)` when it got less than 95 %, else ""."""
        if self.asked_rps is None or self.delivered_rps is None or self.delivered_rps >= SHORTFALL * self.asked_rps:
            return ""
        return (f"load asked {self.asked_rps:.0f} req/s and got {self.delivered_rps:.0f} req/s "
                f"({100 * self.delivered_rps / self.asked_rps:.0f} %)")


@dataclass(frozen=True)
class LoadSummary:
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    requests_per_second: float
    #: Locust processes that issued the requests (1: one process; more: workers under a master).
    workers: int = 1


class LoadRun:
    """One Locust process, or a master and its workers; `stop()` ends them (they also end by themselves
    at their bounds, and when the harness dies).

    Stop it in the thread that started it: Linux sends the parent-death signal when that thread ends.
    """

    def __init__(self, target_url: str, profile: LoadProfile, output_dir: Path, *, run_id: str) -> None:
        host = urlparse(target_url).hostname
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise InvalidInput(f"load target {target_url} is not a loopback address; load goes to 127.0.0.1 only")
        self.profile = profile
        output_dir.mkdir(parents=True, exist_ok=True)
        self._csv_prefix = output_dir / "locust"
        self._flowing = output_dir / "flowing"
        self._flowing.unlink(missing_ok=True)
        self._log = (output_dir / "locust.log").open("w")
        locust_run = load_processes.LocustRun(
            target_url, profile.users, profile.rate_per_user, max(1, round(profile.max_seconds)), profile.max_requests,
            profile.workers, profile.change.argument() if profile.change is not None else "",
        )
        port = load_processes.free_port() if profile.workers > 1 else None
        planned = load_processes.commands(locust_run, self._csv_prefix, self._flowing, port)
        self._workers: list[subprocess.Popen[bytes]] = []
        environment = processes.environment(run_id)
        try:
            self._process = subprocess.Popen(planned.main, stdout=self._log, stderr=subprocess.STDOUT, env=environment)
            for command in planned.workers:
                self._workers.append(subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                                      env=environment))
        except OSError as error:
            self._end_processes()
            raise LoadError(f"could not start Locust: {error}") from error

    def wait_until_flowing(self, timeout: float = 30.0) -> None:
        """Block until requests are completing (Locust takes a moment to start its users and workers)."""

        def flowing() -> bool:
            if self._process.poll() is not None:
                raise LoadError(f"Locust exited (code {self._process.returncode}) before sending load; see {self._log.name}")
            for index, worker in enumerate(self._workers):
                if worker.poll() is not None:
                    raise LoadError(f"Locust worker {index + 1} of {len(self._workers)} exited (code {worker.returncode}) "
                                    f"before sending load; see {self._log.name}")
            return self._flowing.exists()

        try:
            polling.wait_for(flowing, timeout=timeout, interval=0.1, describe="Locust requests completing")
        except polling.Timeout as error:
            raise LoadError(f"no request completed within {timeout:.0f} s of starting Locust; see {self._log.name}") from error

    def stop(self) -> LoadSummary:
        self._end_processes()
        return self._summary()

    def _end_processes(self) -> None:
        """End the master (or the one process) first, so that it stops handing out users, then the workers.

        Locust ends at once on SIGTERM while a shape drives it, without telling its workers (its
        statistics files are written every second, so nothing of them is lost); a worker ends within
        a second of its own SIGTERM.
        """
        with interrupts.shielded():
            started = [process for process in [getattr(self, "_process", None), *self._workers] if process is not None]
            for process in started:
                if process.poll() is None:
                    process.terminate()
            for process in started:
                try:
                    process.wait(timeout=STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self._log.close()

    def running(self) -> bool:
        """Whether load is still being issued: the process that writes the statistics, and any worker, runs.

        A master may outlive workers that have all spent their budget (Locust's master misses a quit
        when two arrive at once); the load has ended all the same, and `stop()` ends the master.
        """
        return self._process.poll() is None and (not self._workers or any(w.poll() is None for w in self._workers))

    def record(self, start: float, end: float, ran_to_end: bool, steady_until: float | None = None) -> LoadRecord:
        """Whether requests kept being issued from `start` to `end` (wall clock), read from Locust's history.

        Failed requests count as issued: a fault may make the app fail them; what must not happen is
        the generator going quiet. Exceptions in the generator's own code are counted apart. The
        load delivered is compared with the load asked from `start` to `steady_until` (the fault's
        start): a fault that slows the app slows closed-loop users too, as it would real ones, and
        that is the fault's effect, not a shortfall of the generator.
        """
        counts = _issued_over_time(Path(f"{self._csv_prefix}_stats_history.csv"))
        allowed = max(3.0, 3.0 / self.profile.requests_per_second)
        # A ramp or spike asks a varying load; only a steady one is compared with what it got.
        steady = self.profile.change is None
        return LoadRecord(
            gaps=tuple(issuing_gaps(counts, start, end, allowed)),
            ran_to_end=ran_to_end,
            generator_errors=_rows(Path(f"{self._csv_prefix}_exceptions.csv")),
            asked_rps=self.profile.requests_per_second if steady else None,
            delivered_rps=issued_rate(counts, start, steady_until or end) if steady else None,
        )

    def _summary(self) -> LoadSummary:
        stats = Path(f"{self._csv_prefix}_stats.csv")
        try:
            polling.wait_for(lambda: stats.exists() or None, timeout=5, describe="Locust stats file")
        except polling.Timeout as error:
            raise LoadError(f"Locust wrote no statistics; see {self._log.name}") from error
        with stats.open() as handle:
            for row in csv.DictReader(handle):
                if row["Name"] == "Aggregated":
                    return LoadSummary(
                        requests=int(row["Request Count"]),
                        failures=int(row["Failure Count"]),
                        median_ms=_number(row["Median Response Time"]),
                        p95_ms=_number(row["95%"]),
                        requests_per_second=_number(row["Requests/s"]),
                        workers=self.profile.workers,
                    )
        raise LoadError(f"Locust statistics in {stats} have no Aggregated row")


def request_budget(users: int, rate_per_user: float, seconds: float) -> int:
    """Requests enough for `users` at `rate_per_user` over `seconds`, with room to spare: load must outlast the run."""
    return int(users * rate_per_user * seconds * 1.5) + 1_000


def issued_rate(counts: list[tuple[float, int]], start: float, end: float) -> float | None:
    """Requests issued per second between the first and last history rows inside [start, end].

    A generator that stopped early (its request budget spent, say) has no rows near `end`: the rate
    is then taken up to `end`, so the silence counts against it. None with fewer than two rows.
    """
    inside = [(t, total) for t, total in counts if start <= t <= end]
    if len(inside) < 2 or end - start < MIN_COMPARED_SECONDS:
        return None  # too short a window for history rows a second or two apart to say anything
    (first_t, first), (last_t, last) = inside[0], inside[-1]
    span = max(last_t, end - 5.0) - first_t  # Locust writes its history every second or two
    return (last - first) / span if span > 0 else None


def issuing_gaps(counts: list[tuple[float, int]], start: float, end: float, allowed: float) -> list[Gap]:
    """Spans inside [start, end] longer than `allowed` seconds in which the request count did not grow.

    Only spans between two history rows: Locust writes its history in batches, so the stretch after
    its last row is unknown, and whether the generator was still running at the end is asked apart.
    """
    gaps = []
    last_growth = start
    previous = None
    for t, total in counts:
        if previous is not None and total > previous:
            if t - last_growth > allowed and t > start:
                gaps.append(Gap(max(last_growth, start), "load", f"no request issued for {t - last_growth:.1f} s",
                                min(t, end)))
            last_growth = max(last_growth, t)
        previous = total
    return [gap for gap in gaps if gap.overlaps(start, end)]


def _issued_over_time(path: Path) -> list[tuple[float, int]]:
    """(unix time, requests issued so far) per history row of Locust's aggregated statistics."""
    if not path.exists():
        return []
    with path.open() as handle:
        return [(float(row["Timestamp"]), int(row["Total Request Count"])) for row in csv.DictReader(handle)
                if row.get("Name") == "Aggregated"]


def _rows(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open() as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _number(text: str) -> float:
    """Locust writes `N/A` where it has no figure (no successful request, say)."""
    try:
        return float(text)
    except ValueError:
        return 0.0
