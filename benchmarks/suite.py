"""Benchmark (not a test): run a suite and print its wall time beside its real-time equivalent.

    .venv/bin/python benchmarks/suite.py [scenarios/suites/pre-launch.yml] [--scale N]

Prints, per scenario: verdict, wall time, and each timed expectation's measured time against its
theoretical window; then the suite's wall time (boot included) and what the same checks take in
real time (each scenario's timeline multiplied by the scale).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness import engine, polling
from harness.gate import run_gate
from harness.scenario import load_suite_file
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", nargs="?", default=str(ROOT / "scenarios/suites/pre-launch.yml"))
    parser.add_argument("--scale", type=float, default=None)
    args = parser.parse_args()
    engine.configure_testcontainers()
    suite, scenarios = load_suite_file(Path(args.suite))
    scale = TimeScale(args.scale or suite.scale or 20.0)
    started = polling.monotonic()
    with tempfile.TemporaryDirectory() as reports:
        run, _ = run_gate(scenarios, suite.name, ROOT / "compose/docker-compose.yml", scale, Path(reports))
    wall = polling.monotonic() - started
    simulated = 0.0
    for result in run.results:
        simulated += result.wall_seconds
        mark = "pass" if result.passed else ("SKIPPED" if result.skipped else "FAIL")
        print(f"{result.scenario.name:<34} {mark:<7} {result.wall_seconds:6.1f} s")
        for verdict in result.verdicts:
            if verdict.measured_s is None or verdict.window is None:
                continue
            print(f"    {verdict.kind:<16} {verdict.measured_s:6.1f} s  window {verdict.window.earliest:.1f}..{verdict.window.latest:.1f} s"
                  f"  (+{verdict.slack_s():.1f} s after the earliest; real time {verdict.measured_s * scale.factor / 60:.1f} min)")
    boot = run.boot.healthy_seconds if run.boot else 0.0
    print(f"\n{len(run.results)} scenarios, {sum(r.passed for r in run.results)} verified, at ×{scale.factor:g}")
    print(f"wall time {wall / 60:.1f} min (stack boot {boot:.1f} s); real-time equivalent {simulated * scale.factor / 3600:.1f} h")


if __name__ == "__main__":
    main()
