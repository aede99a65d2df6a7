"""Benchmark (not a test): run a suite N times in a row and measure how much its verdicts and times move.

    .venv/bin/python benchmarks/flakes.py [scenarios/suites/pre-launch.yml] [--runs 5] [--scale N] [--lanes N]
                                          [--only NAME ...] [--save runs.json] [--reports DIR]

Prints, per scenario: how many runs agreed on every verdict (status of each expectation), the
verdicts that moved, and for each timed expectation (fires, delivered, resolves) the spread of its
measured time over the runs (min / median / max, and max - min). Any disagreement is a bug to find:
the same stack and the same load must give the same verdicts. `--save` keeps every run's figures,
`--reports` every run's report folder (the evidence to find the bug with). A run the gate could not
finish (a broken stack, say) is counted as a run whose scenarios all disagree, and the next one starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness import engine, polling
from harness.errors import HarnessError
from harness.progress import Transient
from harness.gate import run_gate
from harness.scenario import load_suite_file
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]


def one_run(suite_path: Path, only: list[str], scale: float | None, lanes: int | None, reports: Path) -> dict[str, Any]:
    suite, scenarios = load_suite_file(suite_path)
    if only:
        scenarios = [s for s in scenarios if s.name in only or set(only) & set(s.tags)]
    factor = TimeScale(scale or suite.scale or 20.0)
    started = polling.monotonic()
    try:
        report, _ = run_gate(scenarios, suite.name, ROOT / "compose/docker-compose.yml", factor, reports,
                             progress=_log, lanes=lanes or suite.lanes)
    except HarnessError as error:
        traceback.print_exc()
        return {"wall_seconds": polling.monotonic() - started, "error": f"{type(error).__name__}: {error}",
                "scenarios": {}}
    return {
        "wall_seconds": polling.monotonic() - started,
        "run_id": report.run_id,
        "scenarios": {
            result.scenario.name: {
                "status": result.status,
                "verdicts": {v.expectation: v.status for v in result.verdicts},
                "times": {v.expectation: v.measured_s for v in result.verdicts if v.measured_s is not None},
            }
            for result in report.results
        },
    }


def _log(message: str) -> None:
    if not isinstance(message, Transient):
        print(f"  {time.strftime('%H:%M:%S')} {message}", flush=True)


def summarise(runs: list[dict[str, Any]]) -> int:
    """Print agreement and spreads; return the number of scenarios whose verdicts moved."""
    names = list(dict.fromkeys(name for run in runs for name in run["scenarios"]))
    for number, run in enumerate(runs, start=1):
        if run.get("error"):
            print(f"run {number} did not finish: {run['error']}")
    moved = 0
    for name in names:
        seen = [run["scenarios"].get(name) for run in runs]
        verdict_sets = [json.dumps(entry["verdicts"], sort_keys=True) if entry else "missing" for entry in seen]
        agreeing = max(verdict_sets.count(value) for value in set(verdict_sets))
        moved += agreeing != len(runs)
        print(f"{name:<34} {agreeing}/{len(runs)} runs agree")
        if agreeing != len(runs):
            statuses: dict[str, list[str]] = defaultdict(list)
            for entry in seen:
                for expectation, status in (entry or {}).get("verdicts", {}).items():
                    statuses[expectation].append(status)
            for expectation, values in statuses.items():
                if len(set(values)) > 1:
                    print(f"    MOVED {expectation}: {', '.join(values)}")
        times: dict[str, list[float]] = defaultdict(list)
        for entry in seen:
            for expectation, measured in (entry or {}).get("times", {}).items():
                times[expectation].append(measured)
        for expectation, values in times.items():
            print(f"    {expectation[:70]:<70} {min(values):6.1f} / {statistics.median(values):6.1f} / "
                  f"{max(values):6.1f} s  (spread {max(values) - min(values):.1f} s)")
    walls = [run["wall_seconds"] for run in runs]
    print(f"\n{len(runs)} runs, wall {min(walls) / 60:.1f}..{max(walls) / 60:.1f} min; verdicts moved in {moved} of "
          f"{len(names)} scenarios")
    return moved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", nargs="?", type=Path, default=ROOT / "scenarios/suites/pre-launch.yml")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=None)
    parser.add_argument("--lanes", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None, help="keep each run's report folder here")
    args = parser.parse_args()
    engine.configure_testcontainers()
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        reports = args.reports or Path(scratch)
        for number in range(1, args.runs + 1):
            print(f"run {number}/{args.runs} ...", flush=True)
            runs.append(one_run(args.suite, args.only, args.scale, args.lanes, reports))
            print(f"run {number}/{args.runs}: {runs[-1].get('error') or 'finished'} "
                  f"({runs[-1]['wall_seconds'] / 60:.1f} min)", flush=True)
            if args.save:
                args.save.write_text(json.dumps(runs, indent=2))
    return 1 if summarise(runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
