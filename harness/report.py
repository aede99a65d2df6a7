"""A run's data (report.json) and its timelines; the rest of the bundle is rendered from that data (harness.reporting).

Every text a report shows is scrubbed of the stack's secret values first (harness.redaction): an
error message or a refusal may quote a key or a webhook URL.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.check.run import CheckResult
from harness.image_copy import Copy
from harness.limits import Figures, ScaleChoice
from harness.provenance import Provenance
from harness.runner import ScenarioResult
from harness.stack import BootFigures, OmittedService
from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.judges import lhs_name
from harness.redaction import Secrets
from harness.reporting import bundle, summary
from harness.thresholds import threshold_of


@dataclass(frozen=True)
class LanePlacement:
    """Which Docker engine a lane's stacks ran on, and its scenarios."""

    lane: int
    engine: str
    scenarios: tuple[str, ...]


@dataclass
class RunReport:
    run_id: str
    suite: str
    stack: str
    started: str
    scale: float
    directory: Path
    results: list[ScenarioResult] = field(default_factory=list)
    boot: BootFigures | None = None
    omitted: list[OmittedService] = field(default_factory=list)
    prometheus: PrometheusSettings | None = None
    alertmanager: AlertmanagerSettings | None = None
    error: str | None = None
    lanes: int = 1
    wall_seconds: float = 0.0
    #: What was measured before the scenarios ran, and the scale each scenario got from it.
    figures: Figures | None = None
    choices: list[ScaleChoice] = field(default_factory=list)
    #: `harness check` on the stack's own configs, run before anything started (and live, on the first stack).
    config_check: CheckResult | None = None
    #: What exactly ran: harness, host, images, build info, input files (harness.provenance).
    provenance: Provenance | None = None
    #: Per scenario and expectation, its recent runs from the history ({run_id, status, measured_s}, this run last).
    history: dict[str, dict[str, list[dict[str, object]]]] = field(default_factory=dict)
    #: Secret values beyond those of the two settings (the content of files their `*_file` keys name).
    extra_secrets: Secrets = field(default_factory=Secrets, repr=False)
    #: The Docker engines the lanes were spread over (URLs, the first builds the images), and where each lane ran.
    engines: list[str] = field(default_factory=list)
    placements: list[LanePlacement] = field(default_factory=list)
    #: Images copied, before the lanes started, to engines that missed them.
    copies: list[Copy] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every scenario verified, and no error-level finding in the stack's configs."""
        clean = self.config_check is None or not self.config_check.errors
        return self.error is None and bool(self.results) and all(result.passed for result in self.results) and clean

    @property
    def secrets(self) -> Secrets:
        """The secret values of the stack's configs, which no report file may show."""
        found = self.extra_secrets
        for settings in (self.prometheus, self.alertmanager):
            if settings is not None:
                found = found | settings.secrets
        return found


def write(report: RunReport) -> Path:
    """Write report.json, the timelines, report.md, report.html and report.junit.xml; return report.md's path.

    The manifest is written apart (harness.reporting.manifest), after the run folder is sealed.
    """
    report.directory.mkdir(parents=True, exist_ok=True)
    secrets = report.secrets
    data = secrets.scrub_data(to_data(report))
    data.update(summary.summarise(data))  # the decision, checklist and alert table, for machines too
    (report.directory / "report.json").write_text(secrets.scrub(json.dumps(data, indent=2, default=str)))
    for result in report.results:
        folder = report.directory / result.scenario.name
        folder.mkdir(parents=True, exist_ok=True)
        origin = result.moments.baseline_start if result.moments else 0.0
        (folder / "timeline.csv").write_text(secrets.scrub(result.timeline.frame(origin).to_csv(index=False)))
    return bundle.render(report.directory, json.loads(json.dumps(data, default=str)), secrets).markdown


def to_data(report: RunReport) -> dict[str, Any]:
    settings = {}
    if report.prometheus and report.alertmanager:
        settings = {
            "scrape": _real(report.prometheus.scrape_interval.total_seconds()),
            "evaluation": _real(report.prometheus.evaluation_interval.total_seconds()),
            "group_wait": _real(report.alertmanager.group_wait.total_seconds()),
            "group_interval": _real(report.alertmanager.group_interval.total_seconds()),
        }
    return {
        "run_id": report.run_id,
        "suite": report.suite,
        "stack": report.stack,
        "started": report.started,
        "scale": report.scale,
        "lanes": report.lanes,
        "engines": report.engines,
        "lane_engines": [dataclasses.asdict(placed) for placed in report.placements],
        "image_copies": [{"source": c.source, "target": c.target, "images": list(c.tags), "size_bytes": c.size_bytes,
                          "seconds": round(c.seconds, 2)} for c in report.copies if c.tags],
        "wall_seconds": report.wall_seconds,
        "real_time_equivalent_seconds": sum(_scenario_seconds(r) * r.scale for r in report.results),
        "passed": report.passed,
        "counts": {status: sum(r.status == status for r in report.results)
                   for status in ("verified", "failed", "inconclusive", "skipped")},
        "error": report.error,
        "boot": dataclasses.asdict(report.boot) if report.boot else None,
        "omitted": [dataclasses.asdict(o) for o in report.omitted],
        "settings": settings,
        "receivers": [dataclasses.asdict(e) for e in report.alertmanager.endpoints] if report.alertmanager else [],
        "isolation": [
            {**dataclasses.asdict(change), "text": change.describe()}
            for settings in (report.prometheus, report.alertmanager) if settings for change in settings.isolation
        ],
        "compression": _compression(report),
        "limits": _limits(report),
        "config_check": report.config_check.as_json() if report.config_check else None,
        "rules": _rules(report.prometheus),
        "provenance": report.provenance.as_json() if report.provenance else None,
        "scenarios": [_scenario(result, report.scale, report.choices, report.prometheus) for result in report.results],
        "history": report.history,
    }


def _rules(prometheus: PrometheusSettings | None) -> list[dict[str, Any]]:
    """Every alerting rule as the run knew it: severity, `for:` and the threshold its plots draw."""
    rows = []
    for rule in prometheus.rules if prometheus else []:
        threshold = threshold_of(rule.scaled_expr)
        rows.append({
            "alert": rule.name, "severity": rule.labels.get("severity", ""), "for_s": rule.for_.total_seconds(),
            "expr": rule.expr, "scaled_expr": rule.scaled_expr,
            "threshold": dataclasses.asdict(threshold) if threshold is not None else None,
            "sampled_as": lhs_name(rule.name),
        })
    return rows


def _compression(report: RunReport) -> dict[str, Any]:
    """What compression did to each rule, and which rules this scale cannot verify."""
    entries = list(report.prometheus.compression) if report.prometheus else []
    counts = {fidelity: sum(entry.fidelity == fidelity for entry in entries)
              for fidelity in ("exact", "adjusted", "real-time only")}
    return {"counts": counts, "rules": [entry.as_json() for entry in entries]}


def _limits(report: RunReport) -> dict[str, Any]:
    figures = report.figures
    return {
        "measured": figures.lines() if figures else [],
        "measured_seconds": figures.seconds if figures else 0.0,
        "figures": dataclasses.asdict(figures) if figures else None,
        "lowered": [choice.describe() for choice in report.choices if choice.lowered],
        "choices": [dataclasses.asdict(choice) for choice in report.choices],
    }


def _scenario(result: ScenarioResult, suite_scale: float, choices: list[ScaleChoice] = [],
              prometheus: PrometheusSettings | None = None) -> dict[str, Any]:
    scale = result.scale
    lowered = next((c for c in choices if c.scenario == result.scenario.name and c.lowered), None)
    moments = result.moments
    origin = moments.baseline_start if moments else 0.0
    timeline = result.timeline.frame(origin).to_dict(orient="records")
    expectations = list(result.scenario.expectations)
    return {
        "name": result.scenario.name,
        "description": result.scenario.description,
        "scale": scale,
        "scale_note": lowered.describe() if lowered else "",
        "lane": result.lane,
        "engine": result.engine,
        "passed": result.passed,
        "status": result.status,
        "passed_count": sum(v.passed for v in result.verdicts),
        "inconclusive_count": sum(v.inconclusive for v in result.verdicts),
        "witnesses": {
            "confirmed": list(result.witnessed.confirmed),
            "disagreements": [dataclasses.asdict(d) for d in result.witnessed.disagreements],
            "gaps": [gap.describe(origin) for gap in result.witnessed.gaps],
        },
        "error": result.error,
        "skipped": result.skipped,
        "wall_seconds": result.wall_seconds,
        "faults": result.faults,
        "observer_errors": list(result.observer_errors),
        "moments": {"fault_start": moments.fault_start - origin, "fault_end": moments.fault_end - origin,
                    "end": moments.end - origin} if moments else None,
        "path": str(result.scenario.path) if result.scenario.path else None,
        "load": dataclasses.asdict(result.load) if result.load else None,
        "load_profile": result.scenario.load.describe(),
        "load_asked_rps": result.load_delivery[0],
        "load_delivered_rps": result.load_delivery[1],
        "load_shortfall": result.load_shortfall,
        "verdicts": [_verdict(v, scale, expectations[i] if i < len(expectations) else None)
                     for i, v in enumerate(result.verdicts)],
        "timeline": timeline,
    }


def _scenario_seconds(result: ScenarioResult) -> float:
    """How long the scenario's own timeline ran, baseline to end (resets and boots not counted)."""
    return result.moments.end - result.moments.baseline_start if result.moments else 0.0


def _verdict(verdict: Any, scale: float, expectation: Any = None) -> dict[str, Any]:
    """A verdict's figures, and what its expectation names (alert, receivers, query, bound), for tables and plots."""
    def shown(seconds: float | None) -> str:
        return "–" if seconds is None else f"{seconds:.1f} s"

    named = {key: getattr(expectation, key, None) for key in ("alert", "query", "above", "below")}
    receivers = getattr(expectation, "receivers", None) or getattr(expectation, "notified", None)
    return {
        **dataclasses.asdict(verdict),
        **named,
        "receivers": list(receivers) if receivers else [],
        "deadline": shown(verdict.deadline_s),
        "measured": shown(verdict.measured_s),
        "earliest": shown(verdict.window.earliest if verdict.window else None),
        "latest": shown(verdict.window.latest if verdict.window else None),
        "measured_real": "–" if verdict.measured_s is None else _real(verdict.measured_s * scale),
        "slack_s": verdict.slack_s(),
    }


def _real(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"
