"""`harness adopt PATH --out DIR`: a team's configs in, a stack and a scenario suite for every alerting rule out.

Read the configs (as `harness check` does), write the adopted stack (harness.adopt.folder), start it
at the suite's time scale, search every rule's threshold on it (harness.adopt.search), and write
per rule a scenario that fires and routes and one that stays silent just below, plus batches of
rules that cannot interfere and the suite that runs them. What could not be driven, and why, is
written beside them (adopt.json, adopt.md) and never turned into a scenario that passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import gate, polling
from harness.adopt import folder
from harness.adopt import scenarios as generated
from harness.adopt.drives import DEFAULT_JOB, Drive, NotDrivable, drives_for
from harness.adopt.search import Found, NotFound, run_searches, settle_seconds
from harness.check.sources import discover
from harness.configs import AlertRule
from harness.errors import InvalidInput
from harness.signals import SignalProgram
from harness.stack import render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

Progress = Callable[[str], None]
BATCH_SIZE = 8
#: Probes a level search usually makes: a grid of 2-3, 3 bisections, one to confirm.
PROBES_EXPECTED = 8
#: A scenario longer than this (compressed seconds) goes to suite-long.yml, out of the pre-launch batches.
LONGEST_BATCHED = 600.0


@dataclass(frozen=True)
class Adopted:
    out: Path
    rules: int
    generated: list[str]
    not_drivable: dict[str, str]
    never_both: dict[str, str]
    suite: Path
    per_rule_suite: Path
    search_seconds: float
    batches: int
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rules": self.rules, "generated": self.generated, "not_drivable": self.not_drivable,
            "never_fired_and_stayed_silent": self.never_both, "suite": str(self.suite),
            "per_rule_suite": str(self.per_rule_suite), "search_seconds": round(self.search_seconds, 1),
            "batches": self.batches, "notes": self.notes,
        }


def adopt(paths: list[Path], out: Path, scale: TimeScale, progress: Progress = lambda _: None,
          lanes: int = 2, budget: float = 900.0) -> Adopted:
    monitoring = discover(paths)
    alerts = monitoring.alerts
    if not alerts:
        raise InvalidInput(f"{', '.join(map(str, paths))}: no alerting rules found")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out}: the output folder is not empty; adopt writes a new folder")
    notes: list[str] = []
    not_drivable: dict[str, str] = {}
    drives: dict[str, list[Drive]] = {}
    for rule in alerts:
        if rule.name in drives or rule.name in not_drivable:
            notes.append(f"{rule.name} is the name of more than one rule ({rule.file}:{rule.line}); scenarios name "
                         "alerts, so only the first is searched")
            continue
        found = drives_for(rule.name, rule.expr)
        if isinstance(found, NotDrivable):
            not_drivable[rule.name] = found.reason
        else:
            drives[rule.name] = found
    jobs = folder.job_names(monitoring) | {DEFAULT_JOB} | {job for ds in drives.values() for d in ds for job in d.jobs}
    compose = folder.write(monitoring, out, jobs)
    progress(f"wrote the adopted stack {compose} ({len(alerts)} alerting rules, {len(drives)} drivable from their "
             f"PromQL, scrape jobs {', '.join(sorted(jobs))})")
    stack = load_stack(compose)
    run_dir = out / "search"
    run_dir.mkdir()
    rendered = render_configs(stack, run_dir, scale)
    started = polling.monotonic()
    scrape = scale.compress_seconds(rendered.prometheus.scrape_interval.total_seconds())

    def settle(rule: AlertRule) -> float:
        evaluation = scale.compress_seconds(rendered.prometheus.evaluation_of(rule.group).total_seconds())
        return settle_seconds(rule, scale.compress_seconds, scrape, evaluation)

    try:
        rules = {rule.name: rule for rule in rendered.prometheus.rules}
        for name in list(drives):
            rule = rules.get(name)
            if rule is None:
                not_drivable[name] = "Prometheus does not load it"
                del drives[name]
            elif rule.fidelity == "real-time only":
                reason = rule.compression.reason if rule.compression is not None else ""
                not_drivable[name] = f"its meaning changes at x{scale.factor:g} ({reason}); search it with --scale 1"
                del drives[name]
            elif (probe := settle(rule)) * PROBES_EXPECTED > budget:
                not_drivable[name] = (f"its {rule.longest_range} window takes {probe:.0f} s a probe at x{scale.factor:g}; "
                                      f"~{PROBES_EXPECTED} probes exceed the {budget:.0f} s search budget "
                                      "(give a larger --search-budget, or adopt it alone)")
                del drives[name]
        with running_stack(stack, rendered, scale, gate.new_run_id(), run_dir, progress) as live:
            signals = live.signals
            assert signals is not None  # the adopted stack has one
            progress(f"searching {len(drives)} rules' thresholds on the real Prometheus at x{scale.factor:g}")
            outcomes = run_searches(
                {name: (rules[name], ds) for name, ds in drives.items()},
                lambda program: signals.program(SignalProgram.model_validate(program)),
                live.prometheus.query, settle, progress, budget=budget,
            )
            signals.clear()
    finally:
        rendered.discard()
    search_seconds = polling.monotonic() - started
    (out / "search.json").write_text(json.dumps({name: _outcome_json(o) for name, o in outcomes.items()}, indent=2) + "\n")
    found = [outcome for outcome in outcomes.values() if isinstance(outcome, Found)]
    never = {outcome.alert: outcome.reason for outcome in outcomes.values() if isinstance(outcome, NotFound)}
    every = [rule.name for rule in rendered.prometheus.rules]
    plans = [generated.plan(f, rules[f.alert], rendered.prometheus, rendered.alertmanager,
                            [name for name in every if name != f.alert]) for f in found]
    per_rule = _write_per_rule(plans, out)
    inhibit_rules = list(rendered.alertmanager.raw.get("inhibit_rules") or [])
    quick = [plan for plan in plans if scale.compress_seconds(generated.seconds_of(plan)) <= LONGEST_BATCHED]
    slow = [plan for plan in plans if plan not in quick]
    groups = generated.batches(sorted(quick, key=generated.seconds_of), inhibit_rules, BATCH_SIZE)
    suite = _write_batches(groups, out, scale, lanes, every)
    if slow:
        _write_suite(out / "suite-long.yml", "adopted-long", "rules whose window and `for:` outlast a pre-launch "
                     "budget at this scale: nightly, or at a larger scale", scale, lanes,
                     [f"scenarios/{s['name']}.yml" for plan in slow for s in (plan.fires, plan.silent)])
        notes.append(f"{len(slow)} rules take over {LONGEST_BATCHED / 60:.0f} min a scenario at x{scale.factor:g} "
                     f"(window + for:), so they are in suite-long.yml, not suite.yml: "
                     + ", ".join(f"{plan.alert} ({scale.compress_seconds(generated.seconds_of(plan)) / 60:.0f} min)"
                                 for plan in slow))
    adopted = Adopted(out, len(alerts), [p.alert for p in plans], not_drivable, never, suite, per_rule,
                      search_seconds, len(groups), notes)
    (out / "adopt.json").write_text(json.dumps(adopted.as_json(), indent=2) + "\n")
    (out / "adopt.md").write_text(_markdown(adopted, plans))
    return adopted


def _outcome_json(outcome: Found | NotFound) -> dict[str, Any]:
    if isinstance(outcome, NotFound):
        return {"found": False, "reason": outcome.reason, "probes": outcome.probes, "seconds": round(outcome.seconds, 1)}
    return {
        "found": True, "drive": outcome.drive.describe(), "probes": outcome.probes, "seconds": round(outcome.seconds, 1),
        "fire": {"input": outcome.fire.probe.describe(), "lhs": outcome.fire.lhs, "labels": outcome.fire.labels},
        "silent": {"input": outcome.silent.probe.describe(), "lhs": outcome.silent.lhs},
    }


def _write_per_rule(plans: list[generated.Plan], out: Path) -> Path:
    folder_ = out / "scenarios"
    folder_.mkdir(exist_ok=True)
    names: list[str] = []
    for plan in plans:
        for scenario in (plan.fires, plan.silent):
            name = f"{scenario['name']}.yml"
            (folder_ / name).write_text(_HEADER + yaml.safe_dump(scenario, sort_keys=False))
            names.append(f"scenarios/{name}")
    suite = out / "suite-per-rule.yml"
    suite.write_text(yaml.safe_dump({"name": "adopted-per-rule", "description": "one scenario per rule and side",
                                     "scenarios": names}, sort_keys=False))
    return suite


def _write_batches(groups: list[list[generated.Plan]], out: Path, scale: TimeScale, lanes: int,
                   every: list[str]) -> Path:
    folder_ = out / "batches"
    folder_.mkdir(exist_ok=True)
    names: list[str] = []
    for index, group in enumerate(groups, 1):
        for kind in ("fires", "silent"):
            scenario = generated.merged(group, kind, index, every)
            name = f"{scenario['name']}.yml"
            (folder_ / name).write_text(_HEADER + yaml.safe_dump(scenario, sort_keys=False))
            names.append(f"batches/{name}")
    return _write_suite(out / "suite.yml", "adopted", "every drivable alerting rule fires and routes, and stays "
                        "silent below, in batches of rules that cannot interfere", scale, lanes, names)


def _write_suite(path: Path, name: str, description: str, scale: TimeScale, lanes: int, names: list[str]) -> Path:
    path.write_text(yaml.safe_dump({"name": name, "description": description, "scale": scale.factor, "lanes": lanes,
                                    "scenarios": names}, sort_keys=False))
    return path


def _markdown(adopted: Adopted, plans: list[generated.Plan]) -> str:
    lines = [f"# harness adopt: {adopted.rules} alerting rules", "",
             f"- scenarios generated for {len(adopted.generated)} rules ({len(adopted.generated) * 2} scenario files, "
             f"{adopted.batches} batches)",
             f"- not drivable from their PromQL: {len(adopted.not_drivable)}",
             f"- searched but never both fired and stayed silent: {len(adopted.never_both)}",
             f"- threshold search: {adopted.search_seconds:.0f} s", ""]
    if plans:
        lines += ["## Generated", "", "| alert | fires at | silent at | receivers |", "|---|---|---|---|"]
        for plan in plans:
            lines.append(f"| {plan.alert} | {plan.found.fire.probe.describe()} (lhs {plan.found.fire.lhs}) | "
                         f"{plan.found.silent.probe.describe()} (lhs {plan.found.silent.lhs}) | "
                         f"{', '.join(plan.routed.receivers) or '(none that notifies)'} |")
        lines.append("")
    for title, table in (("Not drivable", adopted.not_drivable), ("Never fired and stayed silent", adopted.never_both)):
        if table:
            lines += [f"## {title}", ""] + [f"- **{name}**: {reason}" for name, reason in sorted(table.items())] + [""]
    if adopted.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in adopted.notes] + [""]
    return "\n".join(lines)


_HEADER = "# Generated by `harness adopt` from the team's own rule and routing; an ordinary scenario, edit freely.\n"
