"""Run history: every gate's per-expectation figures in a local SQLite file, and what they say over time.

    rows_of(report, configs) a finished run's rows: its verdicts, measured times, the scale, and the
                             hashes of each scenario's definition and of the stack's configs
    record(db, rows, ...)    append them
    load(db)                 every recorded expectation, oldest first
    trends(rows)             per (scenario, expectation, scale): its last runs, and the flags:
                             regression  the latest time is slower than the earlier runs by more than
                                         their own run-to-run noise, or the expectation started failing
                             flake       the same scenario on the same configs both passed and failed

Runs are compared only with runs at the same time scale, and a flake only among runs whose scenario
and configs hash the same: a changed rule that now fails is a change, not a flake.
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import InvalidInput

if TYPE_CHECKING:
    from harness.report import RunReport

#: How many earlier runs a trend looks back on.
WINDOW = 10
#: Fewer earlier timed runs than this, and there is no noise to measure: no regression is flagged.
MIN_EARLIER = 3
#: A regression is slower than the median of earlier runs by this many times their spread...
NOISE_FACTOR = 3.0
#: ...and by at least this share of the median (the spread of three equal runs is zero).
MIN_RELATIVE = 0.10

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started TEXT NOT NULL, suite TEXT NOT NULL, passed INTEGER NOT NULL,
    config_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS expectations (
    run_id TEXT NOT NULL REFERENCES runs(run_id), scenario TEXT NOT NULL, expectation TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, measured_s REAL, scale REAL NOT NULL,
    scenario_sha256 TEXT NOT NULL, PRIMARY KEY (run_id, scenario, expectation)
);
"""


@dataclass(frozen=True)
class Row:
    """One expectation of one recorded run."""

    run_id: str
    started: str
    scenario: str
    expectation: str
    kind: str
    status: str
    measured_s: float | None
    scale: float
    scenario_sha256: str
    config_sha256: str


@dataclass(frozen=True)
class Trend:
    """One expectation over its last runs (oldest first), with what stands out."""

    scenario: str
    expectation: str
    scale: float
    rows: tuple[Row, ...]
    regression: str = ""
    flake: str = ""

    @property
    def times(self) -> list[float | None]:
        return [row.measured_s for row in self.rows]

    @property
    def statuses(self) -> str:
        return "".join({"verified": "✓", "failed": "✗", "inconclusive": "?"}.get(row.status, "-") for row in self.rows)


def rows_of(report: RunReport, configs: Iterable[Path]) -> list[Row]:
    """A finished run's rows; `configs` are the stack's files (a folder: all of it), hashed as one."""
    config_sha256 = sha256_of_files(configs)
    return [
        Row(report.run_id, report.started, result.scenario.name, verdict.expectation, verdict.kind, verdict.status,
            verdict.measured_s, result.scale, sha256_of_text(result.scenario.model_dump_json(exclude={"path"})),
            config_sha256)
        for result in report.results for verdict in result.verdicts
    ]


def record(db: Path, rows: Sequence[Row], suite: str, passed: bool) -> None:
    """Append one run's rows (all of one run). A run recorded twice keeps its first record."""
    if not rows:
        return
    first = rows[0]
    with _connect(db) as connection:
        connection.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?)",
                           (first.run_id, first.started, suite, int(passed), first.config_sha256))
        connection.executemany(
            "INSERT OR IGNORE INTO expectations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(row.run_id, row.scenario, row.expectation, row.kind, row.status, row.measured_s, row.scale,
              row.scenario_sha256) for row in rows])


def load(db: Path) -> list[Row]:
    """Every recorded expectation, oldest run first."""
    if not db.is_file():
        raise InvalidInput(f"{db}: no history here yet (a gate run with --history {db} starts one)")
    with _connect(db) as connection:
        cursor = connection.execute(
            "SELECT r.run_id, r.started, e.scenario, e.expectation, e.kind, e.status, e.measured_s, e.scale, "
            "e.scenario_sha256, r.config_sha256 FROM expectations e JOIN runs r USING (run_id) "
            "ORDER BY r.started, r.run_id")
        return [Row(*values) for values in cursor.fetchall()]


def trends(rows: Sequence[Row], window: int = WINDOW) -> list[Trend]:
    """Per expectation and scale, its last `window` runs and the flags they raise; in first-seen order."""
    series: dict[tuple[str, str, float], list[Row]] = defaultdict(list)
    for row in rows:
        series[(row.scenario, row.expectation, row.scale)].append(row)
    found = []
    for (scenario, expectation, scale), entries in series.items():
        recent = tuple(entries[-window:])
        found.append(Trend(scenario, expectation, scale, recent, regression(recent), flake(recent)))
    return found


def recent(db: Path, rows: Sequence[Row], window: int = WINDOW) -> dict[str, dict[str, list[dict[str, object]]]]:
    """For each of a run's rows, its expectation's last `window` runs at the same scale (this one last), as
    {scenario: {expectation: [{run_id, status, measured_s}, ...]}}: what the report draws a sparkline of."""
    wanted = {(row.scenario, row.expectation, row.scale) for row in rows}
    found: dict[str, dict[str, list[dict[str, object]]]] = defaultdict(dict)
    for trend in trends([row for row in load(db) if (row.scenario, row.expectation, row.scale) in wanted], window):
        found[trend.scenario][trend.expectation] = [
            {"run_id": row.run_id, "status": row.status, "measured_s": row.measured_s} for row in trend.rows]
    return dict(found)


def regression(rows: Sequence[Row]) -> str:
    """Why the latest run is a regression against the ones before it, or ""."""
    if not rows:
        return ""
    *earlier, latest = rows
    if latest.status != "verified" and earlier and earlier[-1].status == "verified":
        return f"started failing ({latest.status} after {_streak(earlier)} verified run(s))"
    timed = [row.measured_s for row in earlier if row.status == "verified" and row.measured_s is not None]
    if latest.measured_s is None or len(timed) < MIN_EARLIER:
        return ""
    median = statistics.median(timed)
    noise = max(NOISE_FACTOR * statistics.pstdev(timed), MIN_RELATIVE * median)
    if latest.measured_s > median + noise:
        return (f"slower: {latest.measured_s:.1f} s against a median of {median:.1f} s over {len(timed)} run(s), "
                f"beyond their noise (±{noise:.1f} s)")
    return ""


def flake(rows: Sequence[Row]) -> str:
    """Whether runs of the same scenario on the same configs both passed and failed, or ""."""
    by_inputs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        by_inputs[(row.scenario_sha256, row.config_sha256)].add(row.status)
    for statuses in by_inputs.values():
        if "verified" in statuses and statuses - {"verified"}:
            count = sum(1 for row in rows if row.status == "verified")
            return f"flaky: {count} of {len(rows)} run(s) verified on the same scenario and configs"
    return ""


def sparkline(values: Sequence[float | None]) -> str:
    """`▁▃█ ▂`: each value's height between the smallest and the largest; a blank where there is none."""
    known = [value for value in values if value is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(" " if value is None else _BARS[round((value - low) / span * (len(_BARS) - 1))] for value in values)


_BARS = "▁▂▃▄▅▆▇█"


def sha256_of_files(paths: Iterable[Path]) -> str:
    """One hash over the given files' names and contents (a folder: every file under it)."""
    digest = hashlib.sha256()
    for path in sorted(_files(paths)):
        digest.update(str(path).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def sha256_of_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _files(paths: Iterable[Path]) -> list[Path]:
    found = []
    for path in paths:
        if path.is_dir():
            found += [file for file in path.rglob("*") if file.is_file() and not file.is_symlink()]
        elif path.is_file():
            found.append(path)
    return found


def _streak(rows: Sequence[Row]) -> int:
    count = 0
    for row in reversed(rows):
        if row.status != "verified":
            break
        count += 1
    return count


@contextmanager
def _connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the history file, created with its tables; committed if the block ends well."""
    if db.exists() and not db.is_file():
        raise InvalidInput(f"{db}: the history must be a file, and this is a folder")
    db.parent.mkdir(parents=True, exist_ok=True)
    created = not db.exists()
    connection = sqlite3.connect(db)
    if created:
        db.chmod(0o600)  # owner-only, as the run folders beside it are
    try:
        connection.executescript(_SCHEMA)
        yield connection
        connection.commit()
    except sqlite3.DatabaseError as error:
        raise InvalidInput(f"{db}: not a history file the harness can read ({error})") from error
    finally:
        connection.close()
