"""Benchmark (not a test): set-up, boot and detection figures for the default stack.

    .venv/bin/python benchmarks/foundation.py           # warm: images already built
    .venv/bin/python benchmarks/foundation.py --cold    # remove our images first (base included)

Prints: cold set-up (building every image), warm set-up (a second run, nothing to build), stack
boot to all-healthy, and for the high-error-rate scenario the time from fault-on to firing and to
first delivery beside the theoretical earliest time (scaled scrape + evaluation + for + group_wait).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness import bounds, engine, images
from harness.gate import run_gate
from harness.scenario import load_scenario
from harness.stack import prepare_images
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[1]


def timed_images() -> tuple[float, int]:
    started = time.monotonic()
    resolved, _ = prepare_images(load_stack(ROOT / "compose/docker-compose.yml"))
    return time.monotonic() - started, sum(image.source == "built" for image in resolved.values())


def remove_our_images() -> None:
    client = engine.client()
    for image in client.images.list(filters={"label": engine.MANAGED_LABEL}):
        for tag in image.tags:
            client.images.remove(tag, force=True)
    if any(image.tags for image in client.images.list(images.BASE_TAG)):
        client.images.remove(images.BASE_TAG, force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="remove the harness's images first")
    parser.add_argument("--scale", type=float, default=20.0)
    args = parser.parse_args()
    engine.configure_testcontainers()

    if args.cold:
        remove_our_images()
        seconds, built = timed_images()
        print(f"cold set-up (base image + {built} images built): {seconds:6.1f} s")
    seconds, built = timed_images()
    print(f"warm set-up ({built} images built):                {seconds:6.1f} s")

    scale = TimeScale(args.scale)
    scenario = load_scenario(ROOT / "scenarios/high-error-rate.yml")
    with tempfile.TemporaryDirectory() as reports:
        run, path = run_gate([scenario], "benchmark", ROOT / "compose/docker-compose.yml", scale, Path(reports))
        assert run.boot is not None and run.prometheus is not None and run.alertmanager is not None
        print(f"containers started:                        {run.boot.start_seconds:6.1f} s")
        print(f"stack boot to all-healthy:                 {run.boot.healthy_seconds:6.1f} s")
        result = run.results[0]
        for verdict in result.verdicts:
            if verdict.kind in {"alert_fires", "alert_delivered"} and verdict.measured_s:
                what = "fault-on -> firing" if verdict.kind == "alert_fires" else "fault-on -> last expected delivery"
                window = verdict.window
                assert window is not None
                print(f"{what:<42} {verdict.measured_s:6.1f} s  (theoretical {window.earliest:.1f}..{window.latest:.1f} s, "
                      f"+{verdict.slack_s():.1f} s after the earliest; real time {verdict.measured_s * scale.factor / 60:.1f} min)")
        first = [d.t for d in result.timeline.deliveries() if d.status == "firing"]
        if result.moments and first:
            window = bounds.bounds("HighErrorRate", run.prometheus, run.alertmanager, scale).delivered
            took = min(first) - result.moments.fault_start
            print(f"{'fault-on -> first delivery':<42} {took:6.1f} s  (theoretical {window.earliest:.1f}..{window.latest:.1f} s, "
                  f"+{took - window.earliest:.1f} s after the earliest)")
        print(f"scenario verdict: {result.status} in {result.wall_seconds:.1f} s wall time")


if __name__ == "__main__":
    main()
