"""The evidence of a mutation run: mutation.json and mutation.md in reports/<run-id>/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.mutate import MutationRun

OUTCOME_TITLES = {"killed": "KILLED", "killed_static": "KILLED (static)", "survived": "SURVIVED", "error": "ERROR"}


def to_data(run: MutationRun) -> dict[str, Any]:
    killed, judged = run.score
    return {
        "run_id": run.run_id,
        "suite": run.suite,
        "stack": run.stack,
        "scale": run.scale,
        "lanes": run.lanes,
        "scenarios": run.scenarios,
        "baseline": {"verified": run.baseline_passed, "wall_seconds": round(run.baseline_seconds, 1),
                     "report": str(run.baseline_report) if run.baseline_report else None},
        "score": {
            "killed": killed, "judged": judged, "ratio": round(killed / judged, 3) if judged else None,
            "killed_by_verdict": run.count("killed"), "killed_static": run.count("killed_static"),
            "survived": run.count("survived"), "errors": run.count("error"),
        },
        "wall_seconds": round(run.wall_seconds, 1),
        "mutants": [
            {
                "name": mutant.name, "kind": mutant.applied.kind, "file": mutant.applied.file,
                "where": mutant.applied.where, "change": mutant.applied.change, "outcome": mutant.outcome,
                "reason": mutant.reason, "symptom": mutant.applied.symptom.text,
                "wall_seconds": round(mutant.wall_seconds, 1),
                "report": str(mutant.report) if mutant.report else None,
            }
            for mutant in run.mutants
        ],
        "skipped_kinds": [{"kind": skipped.kind, "reason": skipped.reason} for skipped in run.skipped],
        "error": run.error,
    }


def summary(run: MutationRun) -> str:
    killed, judged = run.score
    ratio = f" ({killed / judged:.0%})" if judged else ""
    errors = f", {run.count('error')} error(s) not counted" if run.count("error") else ""
    return (f"mutation score {killed}/{judged}{ratio}: {run.count('killed')} killed by a verdict, "
            f"{run.count('killed_static')} by a static check, {run.count('survived')} survived{errors}")


def to_markdown(run: MutationRun) -> str:
    lines = [
        f"# Mutation run {run.run_id}",
        "",
        f"Suite `{run.suite}` ({len(run.scenarios)} scenario(s): {', '.join(run.scenarios)}) on `{run.stack}`, "
        f"time scale ×{run.scale:g}, {run.lanes} mutant(s) side by side.",
        "",
    ]
    if run.baseline_passed is None:
        lines.append("Baseline: not run.")
    else:
        state = "verified" if run.baseline_passed else "NOT verified (the score would be meaningless; run refused)"
        lines.append(f"Baseline (unmutated stack): {state} in {run.baseline_seconds:.0f} s ({run.baseline_report}).")
    lines += [
        "",
        f"**{summary(run)}.** Wall time {run.wall_seconds:.0f} s in all "
        f"(baseline {run.baseline_seconds:.0f} s, mutants {sum(m.wall_seconds for m in run.mutants):.0f} s of "
        f"run time across {run.lanes} lane(s)).",
        "",
    ]
    if run.error:
        lines += [f"Run error: {run.error}", ""]
    lines += ["| # | kind | where | change | outcome | s |", "|---|---|---|---|---|---|"]
    for mutant in run.mutants:
        lines.append(f"| {mutant.number} | {mutant.applied.kind} | `{mutant.applied.file}` {mutant.applied.where} | "
                     f"{_cell(mutant.applied.change)} | {OUTCOME_TITLES[mutant.outcome]} | {mutant.wall_seconds:.0f} |")
    lines.append("")
    for mutant in run.mutants:
        lines += [
            f"## {mutant.number}. {mutant.applied.kind}: {OUTCOME_TITLES[mutant.outcome]}",
            "",
            f"- where: `{mutant.applied.file}` {mutant.applied.where}",
            f"- change: {mutant.applied.change}",
            f"- symptom a kill must show: {mutant.applied.symptom.text}",
            f"- {'killed by' if mutant.outcome.startswith('killed') else 'why'}: {mutant.reason}",
            f"- wall time: {mutant.wall_seconds:.1f} s" + (f"; report: {mutant.report}" if mutant.report else ""),
            "",
        ]
    if run.skipped:
        lines += ["## Kinds with nothing to mutate", ""]
        lines += [f"- {skipped.kind}: {skipped.reason}" for skipped in run.skipped]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def write(run: MutationRun) -> Path:
    run.directory.mkdir(parents=True, exist_ok=True)
    (run.directory / "mutation.json").write_text(json.dumps(to_data(run), indent=2))
    path = run.directory / "mutation.md"
    path.write_text(to_markdown(run))
    return path
