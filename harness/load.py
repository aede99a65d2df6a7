"""Load: Locust, headless, in its own process, against the app's 127.0.0.1 published port.

Locust brings gevent and monkey-patches the process it runs in; keeping it in a child process
keeps that away from the harness. The load is bounded in users, rate, seconds and requests, and
it never outlives the harness: the child stays in the harness's process group (a terminal's
Ctrl-C reaches both), carries the run's markers (harness.processes) and dies with its parent.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from harness import interrupts, polling, processes
from harness.errors import InvalidInput, LoadError
from harness.timeline import Gap

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: Load delivered below this share of the load asked is a shortfall, reported and doubted.
SHORTFALL = 0.95
#: The shortest window over which load asked and delivered are compared.
MIN_COMPARED_SECONDS = 10.0


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

    def __post_init__(self) -> None:
        if not (1 <= self.users <= 200 and 0 < self.rate_per_user <= 100):
            raise InvalidInput(f"load: users must be 1..200 and rate_per_user 0..100, got {self}")
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


class LoadRun:
    """One Locust process; `stop()` ends it (it also ends by itself at its bounds, and when the harness dies).

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
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
            "--host", target_url, "-u", str(profile.users), "-r", str(profile.users),
            "-t", f"{max(1, round(profile.max_seconds))}s", "--stop-timeout", "1",
            "--rate-per-user", str(profile.rate_per_user), "--max-requests", str(profile.max_requests),
            "--csv", str(self._csv_prefix), "--csv-full-history", "--exit-code-on-error", "0", "--loglevel", "WARNING",
            "--flowing-file", str(self._flowing),
        ]
        if profile.change is not None:
            command += ["--user-change", profile.change.argument()]
        try:
            self._process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                             env=processes.environment(run_id))
        except OSError as error:
            raise LoadError(f"could not start Locust: {error}") from error

    def wait_until_flowing(self, timeout: float = 30.0) -> None:
        """Block until requests are completing (Locust takes a moment to start its users)."""

        def flowing() -> bool:
            if self._process.poll() is not None:
                raise LoadError(f"Locust exited (code {self._process.returncode}) before sending load; see {self._log.name}")
            return self._flowing.exists()

        try:
            polling.wait_for(flowing, timeout=timeout, interval=0.1, describe="Locust requests completing")
        except polling.Timeout as error:
            raise LoadError(f"no request completed within {timeout:.0f} s of starting Locust; see {self._log.name}") from error

    def stop(self) -> LoadSummary:
        with interrupts.shielded():
            if self._process.poll() is None:
                self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._log.close()
        return self._summary()

    def running(self) -> bool:
        return self._process.poll() is None

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
