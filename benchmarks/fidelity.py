"""Benchmark (not a test): the same scenarios at several time scales, side by side.

    .venv/bin/python benchmarks/fidelity.py [--scales 1,10,40,max] [--lanes 2] [--save DIR] [--load DIR]

Each scale is one run of the chosen scenarios (default: high-error-rate, target-down and
queue-backlog-below, one of them a `-below`). For every expectation it prints the verdict and the
measured time in real-time-equivalent seconds (measured × scale), so a faithful compression shows
the same verdicts and times that agree within the scaled pipeline's granularity. A ×1 column
takes about 20 minutes on two lanes; `--save DIR` keeps each column as JSON and `--load DIR` shows
saved columns beside new ones, so the real-time column need run only once. `max` is the highest
scale the measured limits allow for every chosen scenario (scrape answer times on a booted stack,
healthy and under each scenario's own faults, and host CPU where a rule reads it; see
harness/limits.py), looked for up to ×200.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from harness import engine, limits, measurements, polling
from harness.gate import run_gate
from harness.scenario import Scenario, load_scenario
from harness.stack import render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]
CEILING = 200.0
STACK = ROOT / "compose/docker-compose.yml"
SCENARIOS = ("scenarios/high-error-rate.yml", "scenarios/target-down.yml", "scenarios/library/queue-backlog-below.yml")

#: One column: scenario -> expectation -> (status, real-time-equivalent seconds or None).
Column = dict[str, dict[str, tuple[str, float | None]]]


def run_column(paths: list[str], scale: TimeScale, lanes: int) -> tuple[Column, float]:
    scenarios = [load_scenario(ROOT / path) for path in paths]
    started = polling.monotonic()
    with tempfile.TemporaryDirectory() as reports:
        report, _ = run_gate(scenarios, "fidelity", ROOT / "compose/docker-compose.yml", scale, Path(reports), lanes=lanes)
    wall = polling.monotonic() - started
    column: Column = {}
    for result in report.results:
        column[result.scenario.name] = {
            verdict.expectation: (
                verdict.status,
                None if verdict.measured_s is None else round(verdict.measured_s * scale.factor, 1),
            )
            for verdict in result.verdicts
        }
    return column, wall


def highest_faithful_scale(paths: list[str]) -> tuple[float, list[str]]:
    """Boot a stack at ×1, measure what the limits need, and find the highest scale faithful for all."""
    scenarios: list[Scenario] = [load_scenario(ROOT / path) for path in paths]
    stack = load_stack(STACK)
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder)
        rendered = render_configs(stack, run_dir / "configs", TimeScale(1))
        with running_stack(stack, rendered, TimeScale(1), "fidelity-measure", run_dir / "measure", print) as live:
            figures = measurements.measure(live, scenarios, run_dir / "measure", print)
    choices = limits.choose(scenarios, figures, rendered.prometheus, CEILING)
    return min(choice.chosen for choice in choices), [*figures.lines(), *(choice.describe() for choice in choices)]


def show(columns: dict[float, Column], walls: dict[float, float]) -> None:
    scales = sorted(columns)
    header = "".join(f"{'x' + format(scale, 'g'):>22}" for scale in scales)
    print(f"{'scenario / expectation':<64}{header}")
    names = list(dict.fromkeys(name for column in columns.values() for name in column))
    for name in names:
        print(name)
        expectations = list(dict.fromkeys(e for column in columns.values() for e in column.get(name, {})))
        for expectation in expectations:
            cells = []
            for scale in scales:
                status, seconds = columns[scale].get(name, {}).get(expectation, ("-", None))
                shown = f"{status} {seconds:.0f} s" if seconds is not None else status
                cells.append(f"{shown:>22}")
            print(f"  {expectation[:62]:<62}{''.join(cells)}")
    print("wall time " + ", ".join(f"x{scale:g}: {walls[scale] / 60:.1f} min" for scale in scales if scale in walls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,40", help="comma-separated time scales to run")
    parser.add_argument("--scenario", action="append", help="scenario file (repeatable); default: three of ours")
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--save", type=Path, help="write each column as DIR/x<scale>.json")
    parser.add_argument("--load", type=Path, help="show columns saved in DIR beside the new ones")
    args = parser.parse_args()
    engine.configure_testcontainers()
    paths = args.scenario or list(SCENARIOS)
    columns: dict[float, Column] = {}
    walls: dict[float, float] = {}
    if args.load:
        for saved in sorted(args.load.glob("x*.json")):
            data = json.loads(saved.read_text())
            columns[data["scale"]] = {s: {e: tuple(v) for e, v in es.items()} for s, es in data["column"].items()}
            walls[data["scale"]] = data["wall_seconds"]
    for text in filter(None, args.scales.split(",")):
        if text == "max":
            highest, arithmetic = highest_faithful_scale(paths)
            print("\n".join(["highest faithful scale:", *arithmetic, f"-> x{highest:g}"]), flush=True)
            text = str(highest)
        scale = TimeScale(float(text))
        column, wall = run_column(paths, scale, args.lanes)
        columns[scale.factor], walls[scale.factor] = column, wall
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"x{scale.factor:g}.json").write_text(
                json.dumps({"scale": scale.factor, "wall_seconds": wall, "column": column}, indent=2) + "\n"
            )
        print(f"x{scale.factor:g} done in {wall / 60:.1f} min", flush=True)
    show(columns, walls)


if __name__ == "__main__":
    main()
