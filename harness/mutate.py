"""Mutation testing: can the suite say NO? Run it against realistic config mutants, one at a time.

The unmutated stack is run first (the baseline): a kill means "verified became not verified for the
mutant's reason", which only means something when the baseline is verified, so a baseline that is
not refuses the run (exit 2). Then each mutant gets its own copy of the stack's folder (compose
file, prometheus/, alertmanager/) with ONE change, and the suite runs against it through the same
code path as `harness gate`, several mutants side by side (`lanes`), each on its own stack.

Outcomes:
- killed         the run was not verified and a failed verdict shows the mutant's symptom;
- killed_static  the run was refused before any scenario ran, for a config reason (promtool or
                 amtool rejects the file, `harness check` finds an error the baseline did not have,
                 a scenario names a rule that is gone, a deadline the mutated config cannot meet)
                 or a set-up check that names the symptom (a scrape target never up);
- survived       every verdict passed, or the ones that failed do not show the symptom;
- error          the run broke for a reason unrelated to the mutant (not counted in the score).
"""

from __future__ import annotations

import contextlib

import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from harness import evidence, gate, mutation_report, polling
from harness.progress import prefixed
from harness.reporting import bundle
from harness.check.waivers import WAIVER_FILE
from harness.errors import HarnessError, InvalidInput, RunFailure
from harness.mutants import INCONCLUSIVE, Applied, SkippedKind, StackFiles, Symptom, VerdictLike, choose
from harness.redaction import Secrets
from harness.scenario import Scenario
from harness.stack import config_mount
from harness.timescale import TimeScale

Outcome = Literal["killed", "killed_static", "survived", "error"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    reason: str


def classify(
    symptom: Symptom,
    verdicts: Sequence[VerdictLike],
    error: BaseException | None = None,
    scenario_errors: Sequence[str] = (),
) -> Classification:
    """Killed, killed by a static check, survived or error, and the sentence that says why."""
    if error is not None:
        message = str(error).strip()
        first = message.splitlines()[0] if message else type(error).__name__
        if isinstance(error, InvalidInput):
            return Classification("killed_static", f"refused before any scenario ran: {type(error).__name__}: {message}")
        if isinstance(error, RunFailure) and symptom.shown_by_refusal(message):
            return Classification("killed_static", f"refused at set-up: {type(error).__name__}: {message}")
        return Classification("error", f"the run broke, unrelated to the mutant as far as can be told: "
                                       f"{type(error).__name__}: {first}")
    killers = [verdict for verdict in verdicts if symptom.shown_by(verdict)]
    if killers:
        return Classification("killed", "; ".join(f"{v.expectation}: {v.detail}" for v in killers[:3]))
    failed = [v for v in verdicts if not v.passed and getattr(v, "status", None) != INCONCLUSIVE]
    inconclusive = [v for v in verdicts if getattr(v, "status", None) == INCONCLUSIVE]
    parts = []
    if failed:
        parts.append("failed, but not with the symptom: " + "; ".join(f"{v.expectation}: {v.detail}" for v in failed[:3]))
    if inconclusive:
        parts.append("inconclusive (not a kill): " + "; ".join(f"{v.expectation}: {v.detail}" for v in inconclusive[:3]))
    if scenario_errors:
        parts.append("scenario errors: " + "; ".join(scenario_errors[:3]))
    if not failed and not inconclusive and not scenario_errors:
        concerned = [v for v in verdicts if symptom.names and any(n in f"{v.expectation} {v.detail}" for n in symptom.names)]
        seen = ("; the verdicts that concern it passed: " + "; ".join(v.expectation for v in concerned[:4])
                if concerned else "; no verdict concerns it")
        parts.append(f"every verdict passed{seen}")
    parts.append(f"to be caught, {symptom.text}")
    return Classification("survived", ". ".join(parts))


@dataclass
class MutantRun:
    number: int
    applied: Applied
    outcome: Outcome = "error"
    reason: str = "not run"
    wall_seconds: float = 0.0
    report: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.number:02d}-{self.applied.kind}"


@dataclass
class MutationRun:
    run_id: str
    suite: str
    stack: str
    scale: float
    lanes: int
    directory: Path
    scenarios: list[str] = field(default_factory=list)
    baseline_passed: bool | None = None
    baseline_seconds: float = 0.0
    baseline_report: Path | None = None
    mutants: list[MutantRun] = field(default_factory=list)
    skipped: list[SkippedKind] = field(default_factory=list)
    wall_seconds: float = 0.0
    error: str | None = None
    #: The stack's secret values, which no reason or report of the run may show.
    secrets: Secrets = field(default_factory=Secrets, repr=False)

    def count(self, outcome: Outcome) -> int:
        return sum(mutant.outcome == outcome for mutant in self.mutants)

    @property
    def score(self) -> tuple[int, int]:
        """(killed, including static kills; mutants with a verdict: errors are left out)."""
        judged = [m for m in self.mutants if m.outcome != "error"]
        return sum(m.outcome in ("killed", "killed_static") for m in judged), len(judged)


def copy_stack(files: StackFiles, target: Path) -> Path:
    """Copy the compose file and its Prometheus and Alertmanager folders into `target`; return the copy's
    compose file. Build contexts and other host paths point back at the original, so images resolve
    to the same cached builds."""
    target.mkdir(parents=True, exist_ok=True)
    copied = {}
    for folder in (files.prometheus_dir, files.alertmanager_dir):
        try:
            relative = files.relative(folder)
        except ValueError as error:
            raise InvalidInput(f"{files.stack.path}: config folder {folder} is outside the stack's folder; "
                               "mutate copies only what is inside it") from error
        shutil.copytree(folder, target / relative, dirs_exist_ok=True)
        copied[folder.resolve()] = relative
    compose: dict[str, Any] = files.document(files.stack.path)
    for service in (compose.get("services") or {}).values():
        build = service.get("build")
        if isinstance(build, str):
            service["build"] = str((files.directory / build).resolve())
        elif isinstance(build, dict) and "context" in build:
            build["context"] = str((files.directory / build["context"]).resolve())
        volumes: list[Any] = []
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                if volume.get("type") == "bind" and str(volume.get("source", "")).startswith("."):
                    volume = {**volume, "source": _copied_path(files.directory / volume["source"], copied)}
                volumes.append(volume)
                continue
            host, colon, rest = str(volume).partition(":")
            if colon and host.startswith("."):
                host = _copied_path(files.directory / host, copied)
            volumes.append(f"{host}{colon}{rest}")
        if volumes:
            service["volumes"] = volumes
    waivers = files.directory / WAIVER_FILE
    if waivers.is_file():
        shutil.copy(waivers, target / WAIVER_FILE)
    compose_copy = target / files.stack.path.name
    compose_copy.write_text(yaml.safe_dump(compose, sort_keys=False, allow_unicode=True))
    return compose_copy


def _copied_path(host: Path, copied: dict[Path, str]) -> str:
    """A host path of the stack as the copy names it: inside a copied config folder (a folder or one file of it)
    relative to the copy, anything else the original's absolute path."""
    resolved = host.resolve()
    for folder, relative in copied.items():
        if resolved == folder or resolved.is_relative_to(folder):
            return "./" + str(Path(relative) / resolved.relative_to(folder))
    return str(resolved)


def run_mutation(
    scenarios: list[Scenario],
    suite_name: str,
    stack_path: Path,
    scale: TimeScale,
    reports_dir: Path,
    progress: Progress = lambda _: None,
    run_id: str | None = None,
    lanes: int = 1,
    kinds: Sequence[str] = (),
    every: bool = False,
    limit: int | None = None,
) -> tuple[MutationRun, Path]:
    """Baseline, then every chosen mutant in `lanes` side by side; always writes mutation.json / .md."""
    run_id = run_id or gate.new_run_id()
    run_dir = (reports_dir / run_id).resolve()
    files = StackFiles.of(stack_path)
    chosen, skipped = choose(files, scenarios, kinds, every, limit)
    if not chosen:
        raise InvalidInput(f"no mutant to run on {stack_path}: " + "; ".join(f"{s.kind}: {s.reason}" for s in skipped))
    evidence.make_private(run_dir)
    run = MutationRun(run_id, suite_name, str(stack_path), scale.factor, lanes, run_dir,
                      [s.name for s in scenarios], skipped=skipped,
                      mutants=[MutantRun(number, applied) for number, applied in enumerate(chosen, 1)],
                      secrets=stack_secrets(files))
    started = polling.monotonic()
    try:
        _baseline(run, scenarios, stack_path, scale, progress, lanes)
        _mutants(run, files, scenarios, scale, progress, lanes)
    except HarnessError as error:
        run.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        run.wall_seconds = polling.monotonic() - started
        path = mutation_report.write(run)
        evidence.seal(run_dir, run.secrets)
        _score_in_baseline(run)
    return run, path


def _score_in_baseline(run: MutationRun) -> None:
    """The baseline's bundle shows the score and the survivors too: render it again, with its manifest."""
    if run.baseline_report is None or not (run.baseline_report.parent / "report.json").is_file():
        return
    with contextlib.suppress(HarnessError, OSError):
        bundle.rerender(run.baseline_report.parent)


def config_mounts(files: StackFiles) -> dict[str, str]:
    """Where the Prometheus and Alertmanager containers see their folders -> the folders in the stack's."""
    mounts = {}
    for role, config_name in (("prometheus", "prometheus.yml"), ("alertmanager", "alertmanager.yml")):
        host, container = config_mount(files.stack, files.stack.by_role(role), config_name)  # type: ignore[arg-type]
        mounts[container] = files.relative(host)
    return mounts


def stack_secrets(files: StackFiles) -> Secrets:
    """The secret values of the stack's Prometheus and Alertmanager folders (what no mutation report may show)."""
    found = Secrets()
    for container, relative in config_mounts(files).items():
        found = found | evidence.secrets_in(files.directory / relative, {container: "."})
    return found


def _baseline(run: MutationRun, scenarios: list[Scenario], stack_path: Path, scale: TimeScale, progress: Progress,
              lanes: int) -> None:
    progress(f"baseline: the suite on the unmutated stack ({len(scenarios)} scenario(s))")
    started = polling.monotonic()
    try:
        report, path = gate.run_gate(scenarios, run.suite, stack_path, scale, run.directory / "baseline",
                                     prefixed(progress, "baseline"), f"{run.run_id}-base", lanes)
    finally:
        run.baseline_seconds = polling.monotonic() - started
    run.baseline_passed, run.baseline_report = report.passed, path
    if not report.passed:
        failed = [f"{r.scenario.name}: " + (r.error or r.skipped or "; ".join(
            f"{v.expectation}: {v.detail}" for v in r.verdicts if not v.passed)) for r in report.results if not r.passed]
        raise InvalidInput(run.secrets.scrub(
            "the suite is not verified on the unmutated stack, so a failing mutant would prove nothing "
            f"(baseline report: {path}). Not verified: " + " | ".join(failed[:5])
            + ". Hint: make the suite pass first, or narrow it with --only."
        ))
    progress(f"baseline verified in {run.baseline_seconds:.1f} s")


def _mutants(run: MutationRun, files: StackFiles, scenarios: list[Scenario], scale: TimeScale, progress: Progress,
             lanes: int) -> None:
    stop = threading.Event()
    done = [0]
    lock = threading.Lock()

    def one(mutant: MutantRun) -> None:
        if stop.is_set():
            return
        _run_mutant(run, mutant, files, scenarios, scale, progress)
        with lock:
            done[0] += 1
            progress(f"[{done[0]}/{len(run.mutants)}] {mutant.name} {mutant.applied.change}: "
                     f"{mutant.outcome.upper()} in {mutant.wall_seconds:.0f} s")

    pool = ThreadPoolExecutor(max_workers=max(1, min(lanes, len(run.mutants))), thread_name_prefix="mutant")
    futures: list[Future[None]] = [pool.submit(one, mutant) for mutant in run.mutants]
    try:
        wait(futures)
    except BaseException:
        stop.set()
        # A gate starting in another thread clears the cancellation flag, so keep raising it until all have ended.
        while not all(future.done() for future in futures):
            polling.cancel()
            wait(futures, timeout=0.5)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        future.result()


def _run_mutant(run: MutationRun, mutant: MutantRun, files: StackFiles, scenarios: list[Scenario], scale: TimeScale,
                progress: Progress) -> None:
    folder = run.directory / "mutants" / mutant.name
    started = polling.monotonic()
    said = prefixed(progress, mutant.name)
    # The stack runs from a private copy with the real secrets; the run folder keeps a redacted one.
    private = evidence.private_folder("harness-mutant-")
    try:
        compose = copy_stack(files, private / "stack")
        mutant.applied.write(private / "stack")
        evidence.copy_redacted(private / "stack", folder / "stack", config_mounts(files))
    except (HarnessError, OSError) as error:
        evidence.discard(private)
        mutant.outcome, mutant.reason = "error", f"could not make the mutant's stack: {type(error).__name__}: {error}"
        return
    try:
        said(f"{mutant.applied.file} {mutant.applied.where}: {mutant.applied.change}")
        # The baseline passed, so it had no error-level finding: any the mutant has is the mutant's.
        report, path = gate.run_gate(mutant.applied.scenarios(scenarios), run.suite, compose, scale, folder, said,
                                     f"{run.run_id}-m{mutant.number:02d}", 1, refuse_on_check_errors=True,
                                     shown_stack=str(folder / "stack" / compose.name))
    except HarnessError as error:
        result = classify(mutant.applied.symptom, [], error=error)
        reports = sorted(folder.glob("*/report.md"))
        mutant.report = reports[0] if reports else None
    except Exception as error:  # a bug of ours: keep the other mutants' results, and say where it broke
        result = Classification("error", f"harness bug: {type(error).__name__}: {error}")
    else:
        verdicts = [verdict for result in report.results for verdict in result.verdicts]
        errors = [f"{r.scenario.name}: {r.error}" for r in report.results if r.error]
        result = classify(mutant.applied.symptom, verdicts, scenario_errors=errors)
        mutant.report = path
    finally:
        mutant.wall_seconds = polling.monotonic() - started
        evidence.discard(private)
    # Name the files where a reader finds them: the redacted copy, not the private one that is gone.
    reason = run.secrets.scrub(result.reason).replace(str(private / "stack"), str(folder / "stack"))
    mutant.outcome, mutant.reason = result.outcome, reason
