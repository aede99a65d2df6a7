"""The gate: validate everything, start one stack, run the scenarios on it, write the evidence."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from harness import expectations, report, runner
from harness.errors import HarnessError, InvalidInput
from harness.report import RunReport
from harness.scenario import Scenario
from harness.stack import render_configs, running_stack
from harness.stackfile import Stack, load_stack
from harness.timescale import TimeScale

Progress = Callable[[str], None]


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def check_fault_targets(scenario: Scenario, stack: Stack) -> None:
    """Refuse faults aimed at services the stack does not have, before anything starts."""
    for index, scheduled in enumerate(scenario.faults):
        service = getattr(scheduled.fault, "service", None)
        if service is not None and service not in stack.services:
            raise InvalidInput(
                f"{scenario.path}: faults.{index} ({scheduled.fault.kind}) names service {service!r}, which "
                f"{stack.path.name} does not have (services: {', '.join(stack.services)})"
            )


def run_gate(
    scenarios: list[Scenario],
    suite_name: str,
    stack_path: Path,
    scale: TimeScale,
    reports_dir: Path,
    progress: Progress = lambda _: None,
    run_id: str | None = None,
) -> tuple[RunReport, Path]:
    """Run `scenarios` on one stack; always write a report. Bad input raises before anything starts."""
    run_id = run_id or new_run_id()
    run_dir = (reports_dir / run_id).resolve()
    stack = load_stack(stack_path)
    rendered = render_configs(stack, run_dir, scale)
    for scenario in scenarios:
        check_fault_targets(scenario, stack)
        expectations.check_deadlines(scenario, rendered.prometheus, rendered.alertmanager)
        for expectation in scenario.expectations:
            alert = getattr(expectation, "alert", None)
            if alert is not None:
                try:
                    rendered.prometheus.rule(alert)
                except InvalidInput as error:
                    raise InvalidInput(f"{scenario.path}: {error}") from error
    run = RunReport(
        run_id=run_id, suite=suite_name, stack=str(stack_path), scale=scale.factor, directory=run_dir,
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        prometheus=rendered.prometheus, alertmanager=rendered.alertmanager,
    )
    try:
        with running_stack(stack, rendered, scale, run_id, run_dir, progress) as live:
            run.boot, run.omitted = live.boot, live.omitted
            progress(f"stack healthy in {live.boot.healthy_seconds:.1f} s" if live.boot else "stack healthy")
            for index, scenario in enumerate(scenarios):
                if index:
                    runner.reset(live, progress)
                result = runner.run_scenario(live, scenario, run_dir / scenario.name, progress)
                run.results.append(result)
                progress(f"{scenario.name}: {'pass' if result.passed else 'FAIL'} ({result.wall_seconds:.1f} s)")
    except HarnessError as error:
        run.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        path = report.write(run)
    return run, path
