"""Benchmark (not a test): run a suite and print its wall time beside its real-time equivalent.

    .venv/bin/python benchmarks/suite.py [scenarios/suites/pre-launch.yml] [--scale N] [--lanes N] [--compare]

Prints, per scenario: verdict, wall time, and each timed expectation's measured time against its
theoretical window; then the suite's wall time (boot included) and what the same checks take in
real time (each scenario's timeline multiplied by the scale). With --compare the suite also runs
in one lane, one scenario after another, and the two runs' verdicts are set side by side.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness import engine, polling
from harness.gate import run_gate
from harness.report import RunReport
from harness.scenario import Scenario, load_suite_file
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]


def run(scenarios: list[Scenario], name: str, scale: TimeScale, lanes: int) -> tuple[RunReport, float]:
    started = polling.monotonic()
    with tempfile.TemporaryDirectory() as reports:
        report, _ = run_gate(scenarios, name, ROOT / "compose/docker-compose.yml", scale, Path(reports), lanes=lanes)
    return report, polling.monotonic() - started


def show(report: RunReport, wall: float, scale: TimeScale) -> None:
    simulated = 0.0
    for result in report.results:
        if result.moments:
            simulated += result.moments.end - result.moments.baseline_start
        mark = result.status.upper()
        print(f"{result.scenario.name:<34} {mark:<7} {result.wall_seconds:6.1f} s")
        for verdict in result.verdicts:
            if not verdict.passed:
                print(f"    {verdict.status.upper()} {verdict.expectation}: {verdict.detail}")
            if verdict.measured_s is None or verdict.window is None:
                continue
            print(f"    {verdict.kind:<16} {verdict.measured_s:6.1f} s  window {verdict.window.earliest:.1f}..{verdict.window.latest:.1f} s"
                  f"  (+{verdict.slack_s():.1f} s after the earliest; real time {verdict.measured_s * scale.factor / 60:.1f} min)")
    boot = report.boot.healthy_seconds if report.boot else 0.0
    lanes = f" in {report.lanes} lanes" if report.lanes > 1 else ""
    print(f"\n{len(report.results)} scenarios, {sum(r.passed for r in report.results)} verified, at ×{scale.factor:g}{lanes}")
    print(f"wall time {wall / 60:.1f} min (stack boot {boot:.1f} s); "
          f"real-time equivalent {simulated * scale.factor / 3600:.1f} h")


def verdicts(report: RunReport) -> dict[str, list[tuple[str, str]]]:
    return {r.scenario.name: [(v.expectation, v.status) for v in r.verdicts] for r in report.results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", nargs="?", default=str(ROOT / "scenarios/suites/pre-launch.yml"))
    parser.add_argument("--scale", type=float, default=None)
    parser.add_argument("--lanes", type=int, default=None)
    parser.add_argument("--compare", action="store_true", help="also run in one lane and compare verdicts")
    args = parser.parse_args()
    engine.configure_testcontainers()
    suite, scenarios = load_suite_file(Path(args.suite))
    scale = TimeScale(args.scale or suite.scale or 20.0)
    lanes = args.lanes or suite.lanes
    report, wall = run(scenarios, suite.name, scale, lanes)
    show(report, wall, scale)
    if args.compare and lanes > 1:
        print("\n--- the same suite in one lane ---")
        sequential, sequential_wall = run(scenarios, suite.name, scale, 1)
        show(sequential, sequential_wall, scale)
        side_by_side, one_after_another = verdicts(report), verdicts(sequential)
        differing = [name for name in side_by_side if side_by_side[name] != one_after_another.get(name)]
        print(f"\n{lanes} lanes {wall / 60:.1f} min, one lane {sequential_wall / 60:.1f} min; "
              f"verdicts differ in {len(differing)} of {len(side_by_side)} scenarios{': ' if differing else ''}"
              f"{', '.join(differing)}")


if __name__ == "__main__":
    main()
