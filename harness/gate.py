"""The gate: validate everything, start the stack (one per lane), run the scenarios on it, write the evidence."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from harness import (engines, evidence, history, image_copy, limits, measurements, polling, provenance, references,
                     report, runner)
from harness.progress import prefixed
from harness.reporting import manifest
from harness.check.run import CheckResult, add_live, check as check_configs
from harness.engine import Engine, default as default_engine
from harness.engines import Placement
from harness.errors import ConfigError, HarnessError, RunFailure, StackError
from harness.redaction import Secrets
from harness.report import LanePlacement, RunReport
from harness.scenario import Scenario
from harness.stack import RenderedConfigs, RunningStack, image_tags, render_configs, running_stack
from harness.stackfile import Stack, load_stack
from harness.timescale import TimeScale

Progress = Callable[[str], None]
#: What to do when a measured figure says the requested scale would distort a scenario.
ScaleLimits = Literal["lower", "refuse", "off"]
#: Stacks boot one at a time, also across gate runs in one process (`harness mutate` runs several side
#: by side): two boots at once starve each other's health checks on a 2-core machine.
BOOT_LOCK = threading.Lock()
LIVE_CHECK_LOCK = threading.Lock()
PROVENANCE_LOCK = threading.Lock()


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def check_fault_targets(scenario: Scenario, stack: Stack) -> None:
    """Refuse faults aimed at services the stack does not have, before anything starts."""
    references.check_fault_targets(scenario, stack)


@dataclass(frozen=True)
class Prepared:
    """A run's input, checked: the stack, its configs rendered for the run, and the static config check."""

    stack: Stack
    rendered: RenderedConfigs
    config_check: CheckResult


def prepare(
    scenarios: list[Scenario], stack_path: Path, scale: TimeScale, run_dir: Path, progress: Progress = lambda _: None,
) -> Prepared:
    """Everything about a run's input that can be known before any container starts, or InvalidInput saying where.

    The stack file and the roles a run needs; the configs, read and rendered for `scale` into
    `run_dir/config`; everything the scenarios name (alerts, receivers, services, PromQL,
    deadlines); then `harness check` on the stack's folder. `harness run` and `harness gate` refuse
    bad input here, or not at all.
    """
    stack = load_stack(stack_path)
    for warning in stack.warnings:
        progress(f"warning: {warning}")
    stack.check_roles()
    rendered = render_configs(stack, run_dir, scale)
    try:
        references.check_scenarios(scenarios, stack, rendered.prometheus, rendered.alertmanager, scale)
        progress(f"checking the stack's configs in {stack.directory} (harness check)")
        config_check = check_configs([stack.directory])
    except BaseException:
        rendered.discard()  # the private folder with the real secrets
        raise
    counts = config_check.counts()
    progress(f"config check: {counts['error']} error(s), {counts['warning']} warning(s) in {config_check.seconds:.1f} s")
    return Prepared(stack, rendered, config_check)


def run_gate(
    scenarios: list[Scenario],
    suite_name: str,
    stack_path: Path,
    scale: TimeScale,
    reports_dir: Path,
    progress: Progress = lambda _: None,
    run_id: str | None = None,
    lanes: int = 1,
    scale_limits: ScaleLimits = "lower",
    refuse_on_check_errors: bool = False,
    shown_stack: str | None = None,
    history_file: Path | None = None,
    *,
    placement: Placement | None = None,
) -> tuple[RunReport, Path]:
    """Run `scenarios` on `lanes` stacks side by side; always write a report. Bad input raises before anything starts.

    Lanes go round the engines of `placement` (lane i on engine i mod their number; default: the
    default engine alone). Every engine must answer before anything starts; the stack's images are
    prepared on the first and copied to the others that miss them.

    On each stack the scenarios of its lane run one after another, reset in between; a scenario
    that asks for a fresh stack gets one. Stacks share nothing, so scenarios in different lanes
    cannot interfere.

    Where a scenario's figures (a scrape's answer time under its fault, the host's CPU under a
    host CPU rule) need it, they are measured on a stack of their own first (harness.measurements),
    and a scenario the requested scale would distort runs at the highest scale that keeps it
    faithful, on stacks rendered for that scale (`scale_limits="refuse"` refuses instead).

    The run folder is evidence: owner-only, with no secret of the stack's configs in it (harness.evidence);
    the configs the containers mount are rendered apart and removed at the end. `shown_stack` is
    what the report names as the stack, when not `stack_path`. With `history_file`, the run's
    figures are appended to that history (harness.history) and the report shows each alert's trend.
    """
    run_id = run_id or new_run_id()
    run_dir = (reports_dir / run_id).resolve()
    renders: dict[float, RenderedConfigs] = {}
    try:
        return _run_gate(scenarios, suite_name, stack_path, scale, run_id, run_dir, renders, progress, lanes,
                         scale_limits, refuse_on_check_errors, shown_stack or str(stack_path),
                         placement or engines.placement(), history_file)
    finally:
        secrets = Secrets()
        for rendered in renders.values():
            secrets = secrets | rendered.secrets
            rendered.discard()
        evidence.seal(run_dir, secrets)
        if (run_dir / "report.json").is_file():
            manifest.write(run_dir)  # last: over the files as sealed


def _run_gate(
    scenarios: list[Scenario], suite_name: str, stack_path: Path, scale: TimeScale, run_id: str, run_dir: Path,
    renders: dict[float, RenderedConfigs], progress: Progress, lanes: int, scale_limits: ScaleLimits,
    refuse_on_check_errors: bool, shown_stack: str, placement: Placement, history_file: Path | None = None,
) -> tuple[RunReport, Path]:
    existed = run_dir.exists()
    evidence.make_private(run_dir)
    try:
        prepared = prepare(scenarios, stack_path, scale, run_dir, progress)
        try:
            if placement != engines.placement():  # the default engine alone is checked as it is used, as ever
                progress(f"checking the Docker engines: {', '.join(placement.urls)}")
                engines.check(placement)
        except BaseException:
            prepared.rendered.discard()  # the private folder with the real secrets
            raise
    except HarnessError:
        if not existed:  # a refused run leaves nothing behind: no folder without a report in it
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    stack, rendered, config_check = prepared.stack, prepared.rendered, prepared.config_check
    renders[scale.factor] = rendered
    if refuse_on_check_errors and config_check.errors:
        raise ConfigError("harness check finds errors in the stack's configs: " + "; ".join(
            f"{finding.file}:{finding.line}: {finding.subject}: {finding.message}" for finding in config_check.errors[:3]))
    run = RunReport(
        run_id=run_id, suite=suite_name, stack=shown_stack, scale=scale.factor, directory=run_dir,
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        prometheus=rendered.prometheus, alertmanager=rendered.alertmanager, lanes=lanes, config_check=config_check,
        extra_secrets=rendered.secrets, engines=placement.urls,
        provenance=provenance.collect(provenance.command_line(), provenance.input_files(scenarios, stack, rendered),
                                      rendered.secrets),
    )
    results: dict[int, runner.ScenarioResult] = {}
    polling.reset_cancellation()
    started = polling.monotonic()
    try:
        scales = [scale] * len(scenarios)
        if scale_limits != "off" and scale.factor > 1 and measurements.needs_measuring(scenarios, rendered.prometheus, stack):
            run.figures = _measure(stack, rendered, scale, run_id, run_dir, scenarios, progress, placement.primary)
            run.choices = limits.choose(scenarios, run.figures, rendered.prometheus, scale.factor)
            for choice in run.choices:
                if choice.lowered:
                    progress(choice.describe())
            if scale_limits == "refuse":
                limits.refuse_lowered(run.choices)
            scales = [TimeScale(choice.chosen) for choice in run.choices]
            for scenario, lowered, choice in zip(scenarios, scales, run.choices):
                if not choice.faithful:
                    continue
                if lowered.factor not in renders:
                    renders[lowered.factor] = render_configs(stack, run_dir / f"scale-{lowered.factor:g}", lowered)
                references.check_scenarios([scenario], stack, renders[lowered.factor].prometheus,
                                           renders[lowered.factor].alertmanager, lowered)
        for index, choice in enumerate(run.choices):
            if not choice.faithful:
                results[index] = runner.ScenarioResult(scenarios[index], skipped=choice.describe(), scale=scale.factor)
        runnable = [index for index in range(len(scenarios)) if index not in results]
        plan = [[runnable[i] for i in lane]
                for lane in plan_lanes([scenarios[i] for i in runnable], lanes, [scales[i].factor for i in runnable])]
        run.placements = [LanePlacement(number, placement.for_lane(number - 1).url,
                                        tuple(scenarios[index].name for index in indices))
                          for number, indices in enumerate(plan, start=1)]
        used = placement.used_by(len(plan))
        if len(placement.engines) > len(used):
            idle = ", ".join(placement.urls[len(used):])
            progress(f"{len(plan)} lane(s) for {len(placement.engines)} engines: nothing runs on {idle}")
        if len(used) > 1:
            run.copies = _images_everywhere(stack, used, progress)
        if len(plan) == 1:
            _run_lane(plan[0], scenarios, _Lane(stack, renders, scales, run_id, run_dir, progress, run, results,
                                                engine=placement.for_lane(0)))
        elif plan:
            _run_lanes_side_by_side(plan, scenarios, stack, renders, scales, run_id, run_dir, progress, run, results,
                                    placement)
    except HarnessError as error:
        run.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        run.results = [results[index] for index in sorted(results)]
        run.wall_seconds = polling.monotonic() - started
        if history_file is not None:
            run.history = _record_history(history_file, run, stack_path, progress)
        writing = polling.monotonic()
        path = report.write(run)
        progress(f"report written in {polling.monotonic() - writing:.1f} s: {run_dir}")
    return run, path


def _record_history(history_file: Path, run: RunReport, stack_path: Path, progress: Progress,
                    ) -> dict[str, dict[str, list[dict[str, object]]]]:
    """Append the run to its history and return each expectation's recent runs; a history that cannot be
    written is said, and never costs the run its report."""
    try:
        rows = history.rows_of(run, [stack_path.parent])
        history.record(history_file, rows, run.suite, run.passed)
        return history.recent(history_file, rows)
    except (HarnessError, OSError, sqlite3.Error) as error:
        progress(f"history not recorded in {history_file}: {error}")
        return {}


def _images_everywhere(stack: Stack, used: tuple[Engine, ...], progress: Progress) -> list[image_copy.Copy]:
    """The stack's images prepared on the first engine, and copied to every other that misses them."""
    progress(f"preparing the stack's images on {used[0].url} for {len(used)} engines")
    tags = image_tags(stack, progress, used[0])
    copies = image_copy.copy_everywhere(tags, used[0], used[1:], progress)
    for copied in copies:
        if not copied.tags:
            progress(copied.describe())
    return copies


def plan_lanes(scenarios: list[Scenario], lanes: int, scales: list[float] | None = None) -> list[list[int]]:
    """Scenario indices per lane: longest first onto the least-loaded lane.

    Within a lane, scenarios at the same scale follow each other (each scale needs its own stack),
    the highest scale first; otherwise suite order is kept. `scales` defaults to one for all.
    """
    factors = scales or [1.0] * len(scenarios)
    lanes = max(1, min(lanes, len(scenarios)))
    plan: list[list[int]] = [[] for _ in range(lanes)]
    load = [0.0] * lanes

    def wall(index: int) -> float:
        return _expected_seconds(scenarios[index]) / factors[index]

    for index in sorted(range(len(scenarios)), key=lambda i: -wall(i)):
        lane = load.index(min(load))
        plan[lane].append(index)
        load[lane] += wall(index)
    return [sorted(lane, key=lambda i: (-factors[i], i)) for lane in plan if lane]


def stack_segments(indices: list[int], scenarios: list[Scenario], scales: list[float] | None = None) -> list[list[int]]:
    """Split a lane into runs that share one stack: a fresh stack or a change of scale starts a new run."""
    factors = scales or [1.0] * len(scenarios)
    segments: list[list[int]] = []
    for position, index in enumerate(indices):
        if not segments or scenarios[index].fresh_stack or factors[index] != factors[indices[position - 1]]:
            segments.append([])
        segments[-1].append(index)
    return segments


def _expected_seconds(scenario: Scenario) -> float:
    return (scenario.warmup + scenario.baseline + scenario.fault_window[1] + scenario.recovery).total_seconds()


@dataclass
class _Lane:
    stack: Stack
    renders: dict[float, RenderedConfigs]
    scales: list[TimeScale]
    run_id: str
    run_dir: Path
    progress: Progress
    run: RunReport
    results: dict[int, runner.ScenarioResult]
    boot_lock: threading.Lock = field(default=BOOT_LOCK)
    number: int = 1
    #: The Docker engine this lane's stacks run on.
    engine: Engine = field(default_factory=default_engine)


def _run_lane(indices: list[int], scenarios: list[Scenario], lane: _Lane) -> None:
    """Run the lane's scenarios in order on one stack, booting a new one where a scenario asks for it."""
    factors = [scale.factor for scale in lane.scales]
    segments = stack_segments(indices, scenarios, factors)
    number = -1
    while segments:
        segment, number = segments.pop(0), number + 1
        run_id = lane.run_id if number == 0 else f"{lane.run_id}-{number}"
        scale = lane.scales[segment[0]]
        with contextlib.ExitStack() as exit_stack:
            with lane.boot_lock:
                live = exit_stack.enter_context(
                    running_stack(lane.stack, lane.renders[scale.factor], scale, run_id, lane.run_dir, lane.progress,
                                  lane.engine)
                )
            if lane.run.boot is None:
                lane.run.boot, lane.run.omitted = live.boot, live.omitted
            _read_provenance(lane, live)
            at = f" (×{scale.factor:g})" if len(lane.renders) > 1 else ""
            lane.progress(f"stack healthy in {live.boot.healthy_seconds:.1f} s{at}" if live.boot else "stack healthy")
            for position, index in enumerate(segment):
                scenario = scenarios[index]
                if position:
                    try:
                        runner.reset(live, lane.progress)
                    except StackError as error:  # what the last scenario left must not weigh on the next
                        lane.progress(f"{error}; {scenario.name} and the rest of the lane get a fresh stack")
                        segments.insert(0, segment[position:])
                        break
                result = runner.run_scenario(live, scenario, lane.run_dir / scenario.name, lane.progress)
                result.lane, result.engine = lane.number, lane.engine.url
                lane.results[index] = result
                lane.progress(f"{scenario.name}: {'pass' if result.passed else 'FAIL'} ({result.wall_seconds:.1f} s)")
            # After the scenarios, so its queries cannot weigh on a scenario's host CPU or timings.
            _check_live(lane, live)


def _read_provenance(lane: _Lane, live: RunningStack) -> None:
    """Once per run, on the first stack up: the images it runs and its Prometheus's and Alertmanager's build info."""
    if live.boot is None:  # not a booted stack: nothing to read
        return
    with PROVENANCE_LOCK:
        known = lane.run.provenance
        if known is not None and not known.build_info:
            lane.run.provenance = provenance.with_stack(known, live)


def _check_live(lane: _Lane, live: RunningStack) -> None:
    """Once per run, on the first stack done with its scenarios: the config check's live part."""
    with LIVE_CHECK_LOCK:
        checked = lane.run.config_check
        if checked is None or checked.live:
            return
        lane.progress("checking rules and dashboards against the running Prometheus (harness check --live)")
        try:
            lane.run.config_check = add_live(checked, live.url_of_role("prometheus"), live.url_of_role("alertmanager"))
        except RunFailure as error:
            lane.progress(f"live config check not done: {error}")
            return
        counts = lane.run.config_check.counts()
        lane.progress(f"config check (static and live): {counts['error']} error(s), {counts['warning']} warning(s)")


def _run_lanes_side_by_side(
    plan: list[list[int]], scenarios: list[Scenario], stack: Stack, renders: dict[float, RenderedConfigs],
    scales: list[TimeScale], run_id: str, run_dir: Path, progress: Progress, run: RunReport,
    results: dict[int, runner.ScenarioResult], placement: Placement,
) -> None:
    lanes = [
        _Lane(stack, renders, scales, f"{run_id}-lane{number}", run_dir, prefixed(progress, f"lane {number}"), run,
              results, BOOT_LOCK, number, placement.for_lane(number - 1))
        for number in range(1, len(plan) + 1)
    ]
    if len(placement.used_by(len(plan))) > 1:
        for lane, indices in zip(lanes, plan):
            lane.progress(f"on the Docker engine at {lane.engine.url}: {', '.join(scenarios[i].name for i in indices)}")
    with ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="lane") as pool:
        futures = [pool.submit(_run_lane, indices, scenarios, lane) for indices, lane in zip(plan, lanes)]
        try:
            wait(futures)
        except BaseException:
            polling.cancel()
            wait(futures)
            raise
    for future in futures:
        future.result()  # the first lane's error, if any, fails the run


def _measure(
    stack: Stack, rendered: RenderedConfigs, scale: TimeScale, run_id: str, run_dir: Path, scenarios: list[Scenario],
    progress: Progress, on: Engine,
) -> limits.Figures:
    """Boot a stack of its own (on engine `on`) at the requested scale and measure what the scenarios' limits need."""
    progress(f"measuring what ×{scale.factor:g} must not outrun (scrape answer times under faults, host CPU)")
    with BOOT_LOCK, running_stack(stack, rendered, scale, f"{run_id}-measure", run_dir / "measure", progress,
                                  on) as live:
        figures = measurements.measure(live, scenarios, run_dir / "measure", progress)
    for line in figures.lines():
        progress(f"measured: {line}")
    return figures
