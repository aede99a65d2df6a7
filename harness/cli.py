"""`harness`: the command line. Exit 0 all verified, 1 something not verified, 2 bad input or broken set-up."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.status import Status
from rich.table import Table

from harness import (engines, gate, history, image_copy, interrupts, leftovers, load_processes, mutate, mutants,
                     mutation_report)
from harness.engine import Removal
from harness.engines import Placement
from harness.compression.files import check_with_promtool, compress_files
from harness.progress import Transient
from harness.errors import HarnessError, InvalidInput, LeftBehind
from harness.scenario import Scenario, Suite, load_scenario, load_suite_file, suite_path
from harness.stack import image_tags, prepare_images, prepare_sidecar_image
from harness.stackfile import load_stack
from harness.timescale import TimeScale

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True, soft_wrap=True)

StackOption = Annotated[Path, typer.Option("--stack", envvar="HARNESS_STACK", help="Compose file of the stack")]
ScaleOption = Annotated[
    float | None, typer.Option("--scale", envvar="HARNESS_SCALE", help="time compression factor; 1 = real time")
]
DEFAULT_SCALE = 20.0
ReportsOption = Annotated[Path, typer.Option("--reports", envvar="HARNESS_REPORTS", help="folder for run reports")]
TracebackOption = Annotated[bool, typer.Option("--traceback", envvar="HARNESS_TRACEBACK", help="show tracebacks")]
LanesOption = Annotated[
    int | None,
    typer.Option("--lanes", envvar="HARNESS_LANES", min=1, max=4,
                 help="stacks running scenarios side by side; each lane has its own stack"),
]
ScaleLimitsOption = Annotated[
    str,
    typer.Option("--scale-limits", envvar="HARNESS_SCALE_LIMITS",
                 help="lower: run a scenario the scale would distort at the highest faithful scale (measured); "
                      "refuse: exit 2 instead; off: do not measure"),
]
SCALE_LIMITS = ("lower", "refuse", "off")
LoadWorkersOption = Annotated[
    int | None,
    typer.Option("--load-workers", envvar="HARNESS_LOAD_WORKERS",
                 help="Locust processes issuing each scenario's load, overriding the scenario's load.workers: "
                      "1 is one process; more runs Locust's distributed mode (a master and this many workers)"),
]
SuiteOption = Annotated[
    Path, typer.Option("--suite", envvar="HARNESS_SUITE",
                       help="suite file, or a suite's name in scenarios/suites (e.g. pre-launch)"),
]
EnginesOption = Annotated[
    list[str],
    typer.Option("--engine", envvar="HARNESS_ENGINES",
                 help="a Docker engine on this machine (unix:///path.sock or tcp://127.0.0.1:PORT); repeat it to "
                      "spread lanes over engines, lane i on engine i mod their number (env: space-separated); "
                      "default: the one DOCKER_HOST names"),
]
HistoryOption = Annotated[
    Path | None,
    typer.Option("--history", envvar="HARNESS_HISTORY",
                 help="SQLite file each run's per-expectation figures are appended to (default: REPORTS/history.sqlite)"),
]
DEFAULT_STACK = Path("compose/docker-compose.yml")
DEFAULT_SUITE = Path("scenarios/suites/default.yml")


@app.command("gate")
def gate_command(
    suite: SuiteOption = DEFAULT_SUITE,
    only: Annotated[list[str], typer.Option("--only", help="run only scenarios with this name or tag")] = [],
    stack: StackOption = DEFAULT_STACK,
    scale: ScaleOption = None,
    lanes: LanesOption = None,
    scale_limits: ScaleLimitsOption = "lower",
    load_workers: LoadWorkersOption = None,
    engine: EnginesOption = [],
    reports: ReportsOption = Path("reports"),
    history_file: HistoryOption = None,
    traceback: TracebackOption = False,
) -> None:
    """Run a suite (the default gate when none is named) on the stack and write a report."""

    def work() -> int:
        suite_model, scenarios = _suite(suite, only)
        scenarios = _with_load_workers(scenarios, load_workers)
        return _run(scenarios, suite_model.name, stack, _scale(scale, suite_model.scale), reports,
                    suite_model.lanes if lanes is None else lanes, scale_limits, history_file,
                    engines.placement(engine or suite_model.engines))

    _guarded(work, traceback)


@app.command("mutate")
def mutate_command(
    suite: SuiteOption = DEFAULT_SUITE,
    only: Annotated[list[str], typer.Option("--only", help="run only scenarios with this name or tag")] = [],
    stack: StackOption = DEFAULT_STACK,
    scale: ScaleOption = None,
    lanes: Annotated[
        int | None,
        typer.Option("--lanes", envvar="HARNESS_LANES", min=1, max=4,
                     help="mutants running side by side, each on its own stack"),
    ] = None,
    kinds: Annotated[str, typer.Option("--kinds", envvar="HARNESS_MUTANT_KINDS",
                                       help="comma-separated mutant kinds, default all: " + ", ".join(mutants.kinds()))] = "",
    max_mutants: Annotated[int | None, typer.Option("--max-mutants", envvar="HARNESS_MAX_MUTANTS", min=1,
                                                    help="run at most this many mutants")] = None,
    every: Annotated[bool, typer.Option("--all", envvar="HARNESS_MUTANT_ALL",
                                        help="every concrete mutant, not one per kind")] = False,
    reports: ReportsOption = Path("reports"),
    traceback: TracebackOption = False,
) -> None:
    """Run the suite against config mutants of the stack, one at a time: can it say NO? Exit 0 all killed, 1 some survived."""

    def work() -> int:
        suite_model, scenarios = _suite(suite, only)
        chosen_kinds = [kind.strip() for kind in kinds.split(",") if kind.strip()]
        unknown = sorted(set(chosen_kinds) - set(mutants.kinds()))
        if unknown:
            raise InvalidInput(f"--kinds: unknown mutant kind(s) {', '.join(unknown)} "
                               f"(known: {', '.join(mutants.kinds())})")
        _folder(reports, "--reports")
        run_id = gate.new_run_id()
        factor = _scale(scale, suite_model.scale)
        width = suite_model.lanes if lanes is None else lanes
        console.print(f"mutation run [bold]{run_id}[/]: {len(scenarios)} scenario(s) at time scale ×{factor:g}, "
                      f"{width} mutant(s) side by side")
        try:
            with console.status("baseline") as status:
                run, path = mutate.run_mutation(
                    scenarios, suite_model.name, stack, TimeScale(factor), reports,
                    _shown_in(status), run_id, width,
                    chosen_kinds, every, max_mutants,
                )
        except HarnessError:
            if (reports / run_id / "mutation.md").is_file():
                console.print(f"report: {reports / run_id / 'mutation.md'}")
            raise
        marks = {"killed": "[green]KILLED[/]", "killed_static": "[green]KILLED (static)[/]",
                 "survived": "[red]SURVIVED[/]", "error": "[yellow]ERROR[/]"}
        for mutant in run.mutants:
            console.print(f"{marks[mutant.outcome]} {mutant.name}: {mutant.applied.file} {mutant.applied.where}: "
                          f"{mutant.applied.change} ({mutant.wall_seconds:.0f} s)", highlight=False)
            console.print(f"    {mutant.reason}", highlight=False)
        for skipped in run.skipped:
            console.print(f"[yellow]skipped[/] {skipped.kind}: {skipped.reason}", highlight=False)
        console.print(f"report: {path}")
        console.print(f"[bold]{mutation_report.summary(run)}[/]; {run.wall_seconds:.0f} s")
        if run.count("survived"):
            return 1
        return 2 if run.count("error") else 0

    _guarded(work, traceback)


@app.command("run")
def run_command(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario files")],
    stack: StackOption = DEFAULT_STACK,
    scale: ScaleOption = None,
    lanes: LanesOption = None,
    scale_limits: ScaleLimitsOption = "lower",
    load_workers: LoadWorkersOption = None,
    engine: EnginesOption = [],
    reports: ReportsOption = Path("reports"),
    history_file: HistoryOption = None,
    traceback: TracebackOption = False,
) -> None:
    """Run scenario files on the stack and write a report."""
    _guarded(lambda: _run(_with_load_workers([load_scenario(path) for path in scenarios], load_workers), "scenarios",
                          stack, _scale(scale, None), reports, 1 if lanes is None else lanes, scale_limits, history_file,
                          engines.placement(engine)), traceback)


@app.command("compress")
def compress_command(
    paths: Annotated[list[Path], typer.Argument(help="rule files, a prometheus.yml, PrometheusRule manifests or folders")],
    scale: Annotated[float, typer.Option("--scale", envvar="HARNESS_SCALE", help="time compression factor (>= 1)")],
    out: Annotated[Path, typer.Option("--out", help="folder for the rewritten files and compression.json")],
    check: Annotated[bool, typer.Option("--check/--no-check",
                                        help="check the rewritten rules with the stack's promtool")] = True,
    traceback: TracebackOption = False,
) -> None:
    """Rewrite rules for a compressed run; say per rule whether its meaning is exact, adjusted or real-time only."""

    def work() -> int:
        outcome = compress_files(paths, TimeScale(_scale(scale, None)), out)
        if check:
            check_with_promtool(outcome)
        counts = outcome.counts()
        for entry in outcome.entries:
            if entry.fidelity != "exact":
                console.print(f"[yellow]{entry.fidelity}[/] {entry.file}:{entry.line} {entry.rule}: {entry.reason}",
                              highlight=False)
        console.print(
            f"{len(outcome.entries)} rule(s) at ×{scale:g}: {counts['exact']} exact, {counts['adjusted']} adjusted, "
            f"{counts['real-time only']} real-time only; wrote {len(outcome.written)} file(s) to {out}"
            + ("; promtool accepts every rewritten rule file" if check and outcome.rule_files else ""), highlight=False
        )
        return 0

    _guarded(work, traceback)


CHECK_FORMATS = ("table", "json", "sarif")


@app.command("check")
def check_command(
    paths: Annotated[list[Path], typer.Argument(
        help="a folder, compose file, prometheus.yml, alertmanager.yml, rule files or PrometheusRule manifests")],
    live: Annotated[str | None, typer.Option(
        "--live", envvar="HARNESS_CHECK_LIVE",
        help="also check against this running Prometheus (e.g. http://127.0.0.1:9090): selectors and dashboard "
             "panels with no series, targets down")] = None,
    output_format: Annotated[str, typer.Option("--format", envvar="HARNESS_CHECK_FORMAT",
                                               help="table, json or sarif (SARIF 2.1.0, for code scanning)")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write json/sarif here instead of stdout")] = None,
    live_alertmanager: Annotated[str | None, typer.Option(
        "--live-alertmanager", envvar="HARNESS_CHECK_LIVE_ALERTMANAGER",
        help="also check this running Alertmanager's active silences (e.g. http://127.0.0.1:9093)")] = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", envvar="HARNESS_CHECK_WAIVERS",
        help="accepted findings with reasons (default: harness-check.yml beside the inputs)")] = None,
    traceback: TracebackOption = False,
) -> None:
    """Find what in a team's monitoring configs will never page anyone. Exit 0 no error, 1 errors found, 2 unreadable input."""

    def work() -> int:
        from harness.check import output as check_output
        from harness.check.run import check

        if output_format not in CHECK_FORMATS:
            raise InvalidInput(f"--format: {output_format!r} is not one of {', '.join(CHECK_FORMATS)}")
        result = check(paths, live, waivers, live_alertmanager)
        if output_format == "table":
            check_output.print_table(result, Console(soft_wrap=True))
        else:
            text = check_output.as_json(result) if output_format == "json" else check_output.as_sarif(result)
            if output is not None:
                output.write_text(text + "\n")
                console.print(f"wrote {output}")
            else:
                sys.stdout.write(text + "\n")
        counts = result.counts()
        if output_format != "table":
            console.print(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
                          f"in {result.seconds:.2f} s", highlight=False)
        return 1 if counts["error"] else 0

    _guarded(work, traceback)


@app.command("adopt")
def adopt_command(
    paths: Annotated[list[Path], typer.Argument(
        help="the team's configs: a folder, compose file, prometheus.yml, alertmanager.yml, rule files")],
    out: Annotated[Path, typer.Option("--out", help="new folder for the adopted stack, scenarios and suite")],
    scale: ScaleOption = None,
    lanes: LanesOption = None,
    search_budget: Annotated[float, typer.Option(
        "--search-budget", min=1, help="seconds the threshold search may take; rules left then are reported")] = 900,
    traceback: TracebackOption = False,
) -> None:
    """Write a stack and a scenario suite proving every alerting rule fires, routes, and stays silent below.

    Each rule's threshold is found by search on the real Prometheus, driven through a signal source.
    Exit 0 when every drivable rule got its scenarios, 1 when the search found a rule that never both
    fired and stayed silent, 2 on bad input.
    """

    def work() -> int:
        from harness.adopt.run import adopt

        factor = _scale(scale, None)
        with console.status("adopting") as status:
            adopted = adopt(paths, out, TimeScale(factor), _shown_in(status), 2 if lanes is None else lanes,
                            search_budget)
        console.print(f"{adopted.rules} alerting rules: scenarios for {len(adopted.generated)}, "
                      f"{len(adopted.not_drivable)} not drivable, {len(adopted.never_both)} never both fired and "
                      f"stayed silent; search {adopted.search_seconds:.0f} s", highlight=False)
        for name, reason in sorted(adopted.not_drivable.items()):
            console.print(f"[yellow]not drivable[/] {name}: {reason}", highlight=False)
        for name, reason in sorted(adopted.never_both.items()):
            console.print(f"[red]never fired and stayed silent[/] {name}: {reason}", highlight=False)
        console.print(f"wrote {out / 'adopt.md'}; run it: harness gate --suite {adopted.suite} "
                      f"--stack {out / 'compose.yml'}", highlight=False)
        return 1 if adopted.never_both else 0

    _guarded(work, traceback)


@app.command("images")
def images_command(stack: StackOption = DEFAULT_STACK, engine: EnginesOption = [],
                   traceback: TracebackOption = False) -> None:
    """Pull or build every image the stack needs (cached by content: a second run builds nothing).

    With several --engine, on the first, then copied to each other engine that misses them."""

    def work() -> int:
        placed = engines.placement(engine)
        engines.check(placed)
        loaded = load_stack(stack)
        for warning in loaded.warnings:
            console.print(f"[yellow]warning[/]: {warning}", highlight=False)
        resolved, omitted = prepare_images(loaded, _progress, placed.primary)
        resolved["(harness sidecar)"] = prepare_sidecar_image(_progress, placed.primary)
        for image in resolved.values():
            took = f" in {image.seconds:.1f} s" if image.source == "built" else ""
            console.print(f"  {image.service:<18} {image.source:<7} {image.tag}{took}", highlight=False)
            if image.substituted:
                console.print(f"  {'':<18} requested {image.requested}: {image.substituted_because}", highlight=False)
        for service in omitted:
            console.print(f"  {service.name:<18} [yellow]left out[/]: {service.reason.splitlines()[0]}")
        built = sum(image.source == "built" for image in resolved.values())
        console.print(f"{built} built, {len(resolved) - built} already here" + (" (nothing to build)" if not built else ""))
        if len(placed.engines) > 1:
            tags = image_tags(loaded, _progress, placed.primary)
            for copied in image_copy.copy_everywhere(tags, placed.primary, placed.engines[1:], _progress):
                console.print(copied.describe(), highlight=False)
        return 0

    _guarded(work, traceback)


@app.command("history")
def history_command(
    history_file: Annotated[Path, typer.Option("--history", envvar="HARNESS_HISTORY", help="the history file")] = Path(
        "reports/history.sqlite"),
    last: Annotated[int, typer.Option("--last", min=2, max=100, help="runs to show per expectation")] = history.WINDOW,
    scenario: Annotated[list[str], typer.Option("--scenario", help="show only this scenario")] = [],
    traceback: TracebackOption = False,
) -> None:
    """Detection and delivery times over the last runs; exit 1 if a regression or a flake shows."""

    def work() -> int:
        trends = [t for t in history.trends(history.load(history_file), last) if not scenario or t.scenario in scenario]
        if not trends:
            raise InvalidInput(f"{history_file}: no recorded run" + (f" of {', '.join(scenario)}" if scenario else ""))
        Console(soft_wrap=True).print(history_table(trends))
        flagged = [t for t in trends if t.regression or t.flake]
        console.print(f"{len(trends)} expectation(s); {sum(bool(t.regression) for t in trends)} regression(s), "
                      f"{sum(bool(t.flake) for t in trends)} flake(s)", highlight=False)
        return 1 if flagged else 0

    _guarded(work, traceback)


@app.command("sweep")
def sweep_command(
    check: Annotated[bool, typer.Option("--check", help="only list leftovers; exit 1 if there are any")] = False,
    engine: EnginesOption = [],
    traceback: TracebackOption = False,
) -> None:
    """Remove containers, networks and load generators left behind by killed harness runs (on every --engine given);
    exit 2 naming what could not go."""

    def work() -> int:
        placed = engines.placement(engine).engines
        if check:
            found = leftovers.find(placed)
            for line in found.lines():
                console.print(line, highlight=False)
            return 1 if found else 0
        removal = leftovers.sweep(placed)
        console.print(f"removed {len(removal.removed)} leftovers" + (f": {', '.join(removal.removed)}" if removal.removed else ""),
                      highlight=False)
        if removal.left:
            raise _left_behind(removal, "tries again")
        return 0

    _guarded(work, traceback)


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="a run's report folder, e.g. reports/<run-id>")],
    traceback: TracebackOption = False,
) -> None:
    """Render a run's report.md, report.html and report.junit.xml again from its report.json, and its manifest (no stack needed)."""

    def work() -> int:
        from harness.reporting import bundle

        rendered = bundle.rerender(folder)
        console.print(f"rendered {rendered.markdown.name}, {rendered.html.name} ({rendered.plots} plot(s)), "
                      f"{rendered.junit.name} in {rendered.seconds:.2f} s; wrote {folder / 'manifest.sha256'}",
                      highlight=False)
        return 0

    _guarded(work, traceback)


@app.command("verify-report")
def verify_report_command(
    folder: Annotated[Path, typer.Argument(help="a run's report folder, e.g. reports/<run-id>")],
    traceback: TracebackOption = False,
) -> None:
    """Check a report folder against its manifest.sha256: exit 0 intact, 1 naming each changed, missing or extra file."""

    def work() -> int:
        from harness.reporting import manifest

        check = manifest.verify(folder)
        for line in check.lines():
            console.print(line, highlight=False)
        if check.intact:
            console.print(f"intact: {check.checked} file(s) match {folder / manifest.MANIFEST}", highlight=False)
            return 0
        console.print(f"NOT intact: {len(check.changed)} changed, {len(check.missing)} missing, "
                      f"{len(check.extra)} extra (of {check.checked} in the manifest)", highlight=False)
        return 1

    _guarded(work, traceback)


def _scale(given: float | None, suite_scale: float | None) -> float:
    """`--scale` as given, else the suite's, else the default; 0, negatives and infinities are refused, never replaced."""
    if given is None:
        return suite_scale or DEFAULT_SCALE
    if not 1 <= given < float("inf"):
        raise InvalidInput(f"--scale: {given:g} is not a time scale; give 1 (real time) or more, e.g. --scale 20")
    return given


def _with_load_workers(scenarios: list[Scenario], workers: int | None) -> list[Scenario]:
    """The scenarios with their load spread over `workers` Locust workers (as they are when None)."""
    if workers is None:
        return scenarios
    load_processes.check_workers(workers, "--load-workers")
    return [scenario.model_copy(update={"load": scenario.load.model_copy(update={"workers": workers})})
            for scenario in scenarios]


def _folder(path: Path, option: str) -> None:
    """A folder the run may write in: refused when a file is in its place or it cannot be made."""
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{option}: {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"{option}: cannot create the folder {path}: {error.strerror or error}") from None


def _suite(given: Path, only: list[str]) -> tuple[Suite, list[Scenario]]:
    path = suite_path(given)
    suite, scenarios = load_suite_file(path)
    if only:
        scenarios = [s for s in scenarios if s.name in only or set(s.tags) & set(only)]
        if not scenarios:
            raise InvalidInput(f"{path}: no scenario is named or tagged {', '.join(only)}")
    return suite, scenarios


def _run(
    scenarios: list[Scenario], name: str, stack: Path, scale: float, reports: Path, lanes: int,
    scale_limits: str = "lower", history_file: Path | None = None, placement: Placement | None = None,
) -> int:
    if scale_limits not in SCALE_LIMITS:
        raise InvalidInput(f"--scale-limits: {scale_limits!r} is not one of {', '.join(SCALE_LIMITS)}")
    _folder(reports, "--reports")
    history_file = history_file or reports / "history.sqlite"
    if history_file.is_dir():
        raise InvalidInput(f"--history {history_file}: the history must be a file, and this is a folder")
    placement = placement or engines.placement()
    run_id = gate.new_run_id()
    side_by_side = f" in {lanes} lanes" if lanes > 1 else ""
    spread = f" over {len(placement.engines)} Docker engines" if len(placement.engines) > 1 else ""
    console.print(f"run [bold]{run_id}[/]: {len(scenarios)} scenario(s) at time scale ×{scale:g}{side_by_side}{spread}")
    try:
        with console.status("starting") as status:
            run, path = gate.run_gate(
                scenarios, name, stack, TimeScale(scale), reports,
                _shown_in(status), run_id, lanes,
                scale_limits,  # type: ignore[arg-type]
                history_file=history_file,
                placement=placement,
            )
    except HarnessError:
        written = reports / run_id / "report.md"
        if written.is_file():
            console.print(f"report: {written}")
        raise
    shown = run.secrets.scrub  # CI keeps this output too
    for line in run.figures.lines() if run.figures else []:
        console.print(f"measured: {line}", highlight=False)
    for choice in run.choices:
        if choice.lowered:
            mark = "[yellow]scale lowered[/]" if choice.faithful else "[red]not run[/]"
            console.print(f"{mark} {choice.describe()}", highlight=False)
    if run.config_check is not None:
        counts = run.config_check.counts()
        console.print(f"config check: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info",
                      highlight=False)
        for finding in run.config_check.errors:
            console.print(shown(f"    [red]✗[/] {finding.file}:{finding.line}: {finding.subject}: {finding.message} "
                                f"[{finding.code}]"), highlight=False)
    for result in run.results:
        mark = {"verified": "[green]pass[/]", "skipped": "[yellow]SKIPPED[/]",
                "inconclusive": "[yellow]INCONCLUSIVE[/]"}.get(result.status, "[red]FAIL[/]")
        slower = f" (at ×{result.scale:g}, not ×{scale:g})" if result.scale != scale else ""
        where = f" (lane {result.lane} on {result.engine})" if len(set(run.engines)) > 1 and result.engine else ""
        console.print(f"{mark} {result.scenario.name}{slower}{where}", highlight=False)
        for verdict in result.verdicts:
            sign = {"verified": "[green]✓[/]", "inconclusive": "[yellow]?[/]"}.get(verdict.status, "[red]✗[/]")
            console.print(shown(f"    {sign} {verdict.expectation}: {verdict.detail}"))
        if result.error:
            console.print(shown(f"    [red]{result.error}[/]"))
        if result.skipped:
            console.print(shown(f"    [yellow]{result.skipped}[/]"))
    console.print(f"report: {path}")
    console.print(f"history: {history_file} (`harness history --history {history_file}` compares the runs)",
                  highlight=False)
    console.print("[bold green]VERIFIED[/]" if run.passed else "[bold red]NOT VERIFIED[/]")
    return 0 if run.passed else 1


def history_table(trends: list[history.Trend]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("scenario", "expectation", "scale", "runs", "times (oldest → latest)", "latest", "flags"):
        table.add_column(column)
    for trend in trends:
        latest = trend.times[-1]
        flags = "; ".join(flag for flag in (trend.regression, trend.flake) if flag)
        table.add_row(trend.scenario, trend.expectation, f"×{trend.scale:g}", trend.statuses,
                      history.sparkline(trend.times), "–" if latest is None else f"{latest:.1f} s",
                      f"[red]{flags}[/]" if flags else "")
    return table


def _progress(message: str) -> None:
    console.log(message)


def _shown_in(status: Status) -> Callable[[str], None]:
    """Progress on the status line; kept in the log too, unless it is a passing state (what a scenario waits for)."""

    def show(message: str) -> None:
        status.update(message[:120])
        if not isinstance(message, Transient):
            _progress(message)

    return show


def _guarded(work: object, traceback: bool) -> NoReturn:
    # A shell starts background jobs with SIGINT ignored, and Python then keeps it ignored; Ctrl-C
    # (or a CI runner's SIGINT) must always reach the clean-up, and a second one must not cut it short.
    interrupts.install()
    code = _outcome(work, traceback)
    removal = Removal()
    try:
        removal = leftovers.remove_own()
    except KeyboardInterrupt:  # the first interrupt came during this last clean-up, which has finished
        code = 130
    if removal.left:
        error = _left_behind(removal, "removes them now that this process has ended")
        console.print(f"[red]{'Interrupted' if code == 130 else type(error).__name__}[/]: {error}", highlight=False)
        code = 2 if code == 0 else code  # not a clean pass: something of it is still running
    elif code == 130:
        again = interrupts.received() - 1
        more = f" (interrupted {again} more time(s) during the clean-up, which ran to its end)" if again > 0 else ""
        console.print(f"[red]Interrupted[/]: everything the run started has been removed{more}", highlight=False)
    raise typer.Exit(code)


def _left_behind(removal: Removal, hint: str) -> LeftBehind:
    return LeftBehind(f"could not remove {', '.join(removal.left)}. Hint: `harness sweep` {hint}; "
                      "`harness sweep --check` lists what is left.")


def _outcome(work: object, traceback: bool) -> int:
    try:
        return work()  # type: ignore[operator,no-any-return]
    except HarnessError as error:
        if traceback:
            console.print_exception()
        console.print(f"[red]{type(error).__name__}[/]: {error}", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug of ours: show where, and count it as a broken set-up, not a verdict
        console.print_exception()
        return 2


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
