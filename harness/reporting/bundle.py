"""A run's report folder as one bundle: rendered from its data, again at any time, and sealed by a manifest.

    render(folder, data, secrets)  report.md, report.html and report.junit.xml from the run's data
                                   (report.json's content), each scrubbed of the run's secrets
    rerender(folder)               the same from the folder's own report.json, then manifest.sha256
                                   (`harness report DIR`: no stack, no Docker)

The mutation score shows when the run was the baseline of `harness mutate`: its mutation.json is
in the folder or in the mutation run's folder that holds it (`<mutation run>/baseline/<run-id>/`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import BundleError
from harness.redaction import Secrets
from harness.reporting import html, junit, manifest, markdown, plots, summary

__all__ = ["Rendered", "load", "mutation_of", "render", "rerender"]


@dataclass(frozen=True)
class Rendered:
    markdown: Path
    html: Path
    junit: Path
    seconds: float
    plots: int


def render(folder: Path, data: dict[str, Any], secrets: Secrets | None = None) -> Rendered:
    started = time.monotonic()
    scrub = (secrets or Secrets()).scrub
    summarised = summary.summarise(data)
    mutation = mutation_of(folder)
    drawn = {scenario["name"]: plots.scenario_plot(scenario, data.get("rules", [])) for scenario in data["scenarios"]}
    written = {
        "report.md": scrub(markdown.render(data, summarised, mutation)),
        "report.junit.xml": scrub(junit.render(data).decode()),
    }
    files = [(name, path.stat().st_size) for name, path in _listing(folder)]
    written["report.html"] = scrub(html.render(data, summarised, drawn, mutation, files))
    for name, text in written.items():
        (folder / name).write_text(text)
    return Rendered(folder / "report.md", folder / "report.html", folder / "report.junit.xml",
                    time.monotonic() - started, sum(plot is not None for plot in drawn.values()))


def load(folder: Path) -> dict[str, Any]:
    """The data of a report folder, from its report.json; BundleError saying what is wrong."""
    path = folder / "report.json"
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise BundleError(f"{path}: cannot be read ({error.strerror or error}). "
                          "Hint: give a run's report folder, e.g. reports/<run-id>") from None
    except json.JSONDecodeError as error:
        raise BundleError(f"{path}:{error.lineno}: not JSON ({error.msg})") from None
    if not isinstance(data, dict) or "scenarios" not in data or "suite" not in data:
        raise BundleError(f"{path}: not a harness report (no `suite` and `scenarios`)")
    for scenario in data["scenarios"]:
        if not scenario.get("timeline"):
            scenario["timeline"] = _timeline_csv(folder / scenario["name"] / "timeline.csv")
    return data


def rerender(folder: Path) -> Rendered:
    rendered = render(folder, load(folder))
    manifest.write(folder)
    return rendered


def mutation_of(folder: Path) -> dict[str, Any] | None:
    """The mutation score and survivors, when this folder's run is (or holds) a mutation run's baseline."""
    candidates = [folder / "mutation.json"]
    if folder.parent.name == "baseline":
        candidates.append(folder.parent.parent / "mutation.json")
    for path in candidates:
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            score = data.get("score") or {}
            ratio = f" ({score['ratio']:.0%})" if score.get("ratio") is not None else ""
            return {
                "run_id": data.get("run_id"),
                "summary": f"mutation score {score.get('killed', 0)}/{score.get('judged', 0)}{ratio}: "
                           f"{score.get('killed_by_verdict', 0)} killed by a verdict, {score.get('killed_static', 0)} "
                           f"by a static check, {score.get('survived', 0)} survived",
                "survivors": [m for m in data.get("mutants", []) if m.get("outcome") == "survived"],
            }
    return None


def _listing(folder: Path) -> list[tuple[str, Path]]:
    return [(path.relative_to(folder).as_posix(), path) for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_symlink()]


def _timeline_csv(path: Path) -> list[dict[str, Any]]:
    """A scenario's timeline from its CSV, for a report.json written without one."""
    if not path.is_file():
        return []
    import pandas as pd

    frame = pd.read_csv(path, keep_default_na=False)
    return frame.to_dict(orient="records")  # type: ignore[no-any-return]
