"""Differential proof of compression: the same alert, the same inputs, promtool at ×1 and at ×N.

For each alerting rule a compression calls exact or adjusted, `scenarios` generates inputs under
the clock model, and promtool (the stack's version, `promtool test rules`) evaluates the original
rule at ×1 and the compressed one at ×N, every evaluation. Every alert check expects no alert,
so promtool's failure output lists, per scenario and evaluation time, the alerts that fire.
A rule agrees when, in every scenario, it fires at both scales or at neither, and the first firing
evaluation (compressed time × N, in real time) is the same within one evaluation interval.

    rules = differential(Path("rules.yml"), TimeScale(10), TimeScale(40))
    [rule.alert for rule in rules if rule.disagreements]

`compressor` is the seam the negative controls use: any function with `compress_rule_document`'s
contract (mutate the document, return one entry per rule).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser

from harness import tools
from harness.compression import structure
from harness.compression.lexer import tokenize
from harness.compression.rewrite import lookback
from harness.compression.rules import CompressedRule, compress_rule_document, load_rule_file, rule_groups
from harness.compression.scenarios import NoInputs, Scenario, Series, Timeline, expand, scenarios_for, series_of
from harness.errors import ConfigError, RunFailure
from harness.timescale import TimeScale, format_duration, parse_duration

Compressor = Callable[[Any, Path, dict[Any, int], TimeScale], list[CompressedRule]]
#: Real evaluation intervals to choose from (the scrape interval is half): the smallest that keeps
#: a rule's timeline under `MAX_EVALUATIONS` and divides into whole milliseconds at the scale.
EVALUATION_CHOICES = tuple(timedelta(seconds=s) for s in (30, 60, 120, 300, 600, 1200))
MAX_EVALUATIONS = 90
#: Longest look-back plus `for:` a generated scenario covers.
LONGEST = timedelta(hours=12)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class Outcome:
    """First evaluation (index, the same count at every scale) at which the alert fires; None: silent."""

    first_firing: int | None


@dataclass(frozen=True)
class Disagreement:
    scenario: str
    real: Outcome
    compressed: Outcome

    def describe(self, evaluation: timedelta) -> str:
        def when(outcome: Outcome) -> str:
            if outcome.first_firing is None:
                return "stays silent"
            return f"fires at {format_duration(evaluation * outcome.first_firing)}"

        return f"{self.scenario}: ×1 {when(self.real)}, compressed {when(self.compressed)} (real time)"


@dataclass
class RuleResult:
    """One alert's differential: compared, or skipped with the reason."""

    file: str
    alert: str
    fidelity: str
    scale: float
    scenarios: int = 0
    fired: int = 0
    evaluation: timedelta = timedelta(0)
    disagreements: list[Disagreement] = field(default_factory=list)
    skipped: str = ""

    @property
    def agrees(self) -> bool:
        return not self.skipped and not self.disagreements

    def describe(self) -> str:
        if self.skipped:
            return f"{self.file}: {self.alert}: not compared: {self.skipped}"
        head = f"{self.file}: {self.alert} ({self.fidelity}, ×{self.scale:g}): {self.scenarios} scenarios, {self.fired} firing at ×1"
        if not self.disagreements:
            return f"{head}: agree"
        shown = "\n    ".join(d.describe(self.evaluation) for d in self.disagreements[:5])
        more = f"\n    ... and {len(self.disagreements) - 5} more" if len(self.disagreements) > 5 else ""
        return f"{head}: {len(self.disagreements)} DISAGREE\n    {shown}{more}"


@dataclass(frozen=True)
class _Plan:
    file: str
    alert: str
    fidelity: dict[float, str]
    rules: dict[float, list[dict[str, Any]]]  # per factor: the recording rules it needs, then the alert
    series: list[Series]
    scenarios: list[Scenario]
    timeline: tuple[int, int, int]  # scrapes of baseline, fault, after
    evaluation: timedelta


def differential(
    path: Path, *scales: TimeScale, compressor: Compressor = compress_rule_document, workers: int | None = None
) -> list[RuleResult]:
    """Compare every alert of the rule file at ×1 and at each scale (one result per alert and scale).

    ×1 runs once for all scales. ConfigError when the file cannot be read or compressed.
    """
    plans, skipped = plan(path, scales, compressor)
    factors = [1.0, *(scale.factor for scale in scales)]
    jobs = [(item, factor) for item in plans for factor in factors]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        outcomes = dict(zip([(id(item), factor) for item, factor in jobs], pool.map(lambda job: _run(*job), jobs)))
    results: list[RuleResult] = []
    for item in plans:
        real = outcomes[(id(item), 1.0)]
        for scale in scales:
            result = RuleResult(item.file, item.alert, item.fidelity[scale.factor], scale.factor, len(item.scenarios),
                                sum(real[s.name].first_firing is not None for s in item.scenarios), item.evaluation)
            compressed = outcomes[(id(item), scale.factor)]
            for scenario in item.scenarios:
                a, b = real[scenario.name], compressed[scenario.name]
                if not _agree(a, b):
                    result.disagreements.append(Disagreement(scenario.name, a, b))
            results.append(result)
    return results + skipped


def _agree(real: Outcome, compressed: Outcome) -> bool:
    if real.first_firing is None or compressed.first_firing is None:
        return real.first_firing == compressed.first_firing
    return abs(real.first_firing - compressed.first_firing) <= 1


def plan(path: Path, scales: tuple[TimeScale, ...], compressor: Compressor) -> tuple[list[_Plan], list[RuleResult]]:
    """What to run for each alert of the file; alerts that cannot be compared come back as skipped results."""
    document, lines = load_rule_file(path)
    real_rules = _rules(document, path, lines)
    fast: dict[float, tuple[list[Any], list[CompressedRule]]] = {}
    for scale in scales:
        copied = copy.deepcopy(document)
        entries = compressor(copied, path, lines, scale)
        if len(entries) != len(real_rules):
            raise ConfigError(f"{path}: the compressor returned {len(entries)} entries for {len(real_rules)} rules")
        fast[scale.factor] = (_rules(copied, path, lines), entries)
    records = {str(rule["record"]): index for index, rule in enumerate(real_rules) if "record" in rule}
    plans: list[_Plan] = []
    skipped: list[RuleResult] = []
    for index, rule in enumerate(real_rules):
        if "alert" not in rule:
            continue
        try:
            plans.append(_plan_rule(path, index, real_rules, fast, records, scales))
        except NoInputs as reason:
            for scale in scales:
                fidelity = fast[scale.factor][1][index].fidelity
                skipped.append(RuleResult(str(path), str(rule["alert"]), fidelity, scale.factor, skipped=str(reason)))
    return plans, skipped


def _rules(document: Any, path: Path, lines: dict[Any, int]) -> list[Any]:
    return [rule for group in rule_groups(document, path, lines)[0] for rule in (group.get("rules") or [])]


def _plan_rule(
    path: Path, index: int, real_rules: list[Any], fast: dict[float, tuple[list[Any], list[CompressedRule]]],
    records: dict[str, int], scales: tuple[TimeScale, ...],
) -> _Plan:
    alert = str(real_rules[index]["alert"])
    needed = _dependencies(index, real_rules, records)
    fidelity = {}
    for factor, (_, entries) in fast.items():
        fidelities = [entries[i].fidelity for i in needed]
        if "real-time only" in fidelities:
            raise NoInputs(f"real-time only at ×{factor:g}: verified at ×1 only, nothing to compare")
        fidelity[factor] = "adjusted" if "adjusted" in fidelities else "exact"
    texts = [str(real_rules[i]["expr"]) for i in needed]
    tokens = [tokenize(text) for text in texts]
    trees = [structure.parse(text, toks, f"{path}: {alert}") for text, toks in zip(texts, tokens)]
    series = series_of(trees, tokens, set(records))
    if not series:
        raise NoInputs("its expression reads no series")
    rule = real_rules[index]
    hold = sum((parse_duration(str(rule[key]), key) for key in ("for", "keep_firing_for") if rule.get(key)), timedelta(0))
    window = max(lookback(text, alert) for text in texts)
    numbers = [float(n) for text in texts for n in _NUMBER.findall(_code(text))]
    if any(item.reading == "clock" for item in series) and numbers:
        window = max(window, timedelta(seconds=1.2 * min(max(numbers), LONGEST.total_seconds())))  # an age's threshold
    if window + hold > LONGEST:
        raise NoInputs(f"looks back and holds {format_duration(window + hold)}, longer than a generated scenario")
    evaluation = _evaluation(window + hold, min(_shortest_range(tree) for tree in trees), scales)
    warm = -(-(window + hold) // evaluation) + 2
    phases = (2 * warm, 2 * (warm + 2), 2 * warm)  # in scrapes: two per evaluation
    rules = {1.0: [_bare(real_rules[i]) for i in needed]}
    rules.update({factor: [_bare(compressed[i]) for i in needed] for factor, (compressed, _) in fast.items()})
    return _Plan(str(path), alert, fidelity, rules, series, scenarios_for(series, numbers, evaluation.total_seconds() / 2), phases, evaluation)


def _dependencies(index: int, rules: list[Any], records: dict[str, int]) -> list[int]:
    """The recording rules an expression reads (transitively), in file order, then the rule itself."""
    needed: set[int] = set()
    pending = [index]
    while pending:
        current = pending.pop()
        text = str(rules[current]["expr"])
        for name, at in records.items():
            if at not in needed and at != index and re.search(rf"(?<![A-Za-z0-9_:]){re.escape(name)}(?![A-Za-z0-9_:])", text):
                needed.add(at)
                pending.append(at)
    return sorted(needed) + [index]


def _evaluation(span: timedelta, shortest: timedelta, scales: tuple[TimeScale, ...]) -> timedelta:
    """Fewest evaluations, but at least four scrapes (half an evaluation each) in the shortest range."""
    fitting = [
        c for c in EVALUATION_CHOICES if all((c / timedelta(milliseconds=2) / s.factor).is_integer() for s in scales)
    ]
    if not fitting:
        factors = ", ".join(f"×{s.factor:g}" for s in scales)
        raise NoInputs(f"no evaluation interval divides into whole milliseconds at {factors}")
    fine = [c for c in fitting if c / 2 <= shortest / 4] or fitting[:1]
    short = [c for c in fine if 3 * span / c + 8 <= MAX_EVALUATIONS]
    return short[0] if short else fine[-1]


def _shortest_range(tree: Any) -> timedelta:
    shortest = LONGEST

    def visit(node: Any) -> None:
        nonlocal shortest
        if isinstance(node, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
            shortest = min(shortest, node.range)

    promql_parser.walk(tree, post_visit=visit)
    return shortest


def _code(text: str) -> str:
    """The expression without strings, comments and durations (their digits are no thresholds)."""
    return " ".join(t.text for t in tokenize(text) if t.kind in ("number", "identifier", "punct"))


def _bare(rule: dict[str, Any]) -> dict[str, Any]:
    # Annotations and labels may hold templates promtool would render; firing does not depend on them.
    return {key: value for key, value in rule.items() if key in ("alert", "record", "expr", "for", "keep_firing_for")}


def _run(item: _Plan, factor: float) -> dict[str, Outcome]:
    scale = TimeScale(factor)
    evaluation = scale.compress(item.evaluation)
    scrape = scale.compress(item.evaluation / 2)
    baseline, fault, after = item.timeline
    timeline = Timeline(baseline, fault, after, scrape.total_seconds())
    count = timeline.samples // 2
    # The first half of the baseline fills the rule's windows; what fires there is start-up, not the rule.
    times = [format_duration(evaluation * k) for k in range(baseline // 4, count)]
    tests = []
    for scenario in item.scenarios:
        inputs = [
            {"series": text, "values": values}
            for position, series in enumerate(item.series)
            for text, values in expand(series, scenario, position == scenario.target, timeline)
        ]
        checks = [{"eval_time": at, "alertname": item.alert, "exp_alerts": []} for at in times]
        tests.append({"name": scenario.name, "interval": format_duration(scrape), "input_series": inputs,
                      "alert_rule_test": checks})
    with tempfile.TemporaryDirectory(prefix="harness-differential-") as folder:
        rules_file = Path(folder) / "rules.yml"
        rules_file.write_text(json.dumps({"groups": [{"name": "differential", "rules": item.rules[factor]}]}))
        test_file = Path(folder) / "test.yml"
        test_file.write_text(json.dumps({  # JSON is YAML, and much faster to write
            "rule_files": [rules_file.name], "evaluation_interval": format_duration(evaluation), "tests": tests,
        }))
        done = subprocess.run([str(tools.promtool()), "test", "rules", test_file.name], cwd=folder,
                              capture_output=True, text=True, timeout=600)
    firing = _firing(done, evaluation, f"{item.file}: {item.alert}")
    return {s.name: Outcome(min(firing[s.name]) if firing.get(s.name) else None) for s in item.scenarios}


_FAILURE = re.compile(r"^\s*alertname: (?P<alert>.*), time: (?P<time>[0-9a-z]+),\s*$")
_NAME = re.compile(r"^\s*name: (?P<name>.*),\s*$")


def _firing(done: subprocess.CompletedProcess[str], evaluation: timedelta, where: str) -> dict[str, list[int]]:
    if done.returncode == 0:
        return {}
    firing: dict[str, list[int]] = {}
    name = None
    seen = False
    for line in (done.stdout + done.stderr).splitlines():
        if match := _NAME.match(line):
            name = match.group("name")
        elif (match := _FAILURE.match(line)) and name is not None:
            at = parse_duration(match.group("time"), "promtool output")
            firing.setdefault(name, []).append(round(at / evaluation))
            seen = True
    if not seen:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise RunFailure(
            f"{where}: promtool test rules failed (exit {done.returncode}) without "
            "reporting alerts:\n    " + "\n    ".join(output[-15:])
        )
    return firing
