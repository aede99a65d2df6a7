"""Config mutants: realistic mistakes in a stack's Prometheus and Alertmanager files.

A mutant kind is a small frozen object with a `kind`, a `describe()` and `apply(files, scenarios)`,
which returns every concrete mutant it can make on one stack (one per rule, route, receiver...),
each an `Applied`: where it changed what, the mutated file content, and the `Symptom` a failing
verdict must show for the suite to have caught it. Kinds read and write parsed YAML; PromQL is
parsed with promql-parser, never matched with regular expressions.

A kind that finds nothing to change on a stack returns no mutant; `needs` says what it looks for,
so the report can say why it was skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from harness import yamlfile
from harness.errors import ConfigError, InvalidInput
from harness.stackfile import Stack, load_stack

if TYPE_CHECKING:
    from harness.scenario import Scenario

#: The verdict status that is neither verified nor failed (the witnesses could not agree).
INCONCLUSIVE = "inconclusive"


class VerdictLike(Protocol):
    expectation: str
    kind: str
    passed: bool
    detail: str
    deadline_s: float | None
    measured_s: float | None


@dataclass(frozen=True)
class Symptom:
    """What a failed verdict must show for a mutant to count as killed.

    A verdict shows it when it failed (and is not inconclusive), its expectation type is one of
    `kinds` (any when empty), its text names one of `names` (any when empty) and its detail holds
    one of `phrases`, or it came later than its deadline when `late` is set. A run refused before
    any scenario ran shows it when the error message holds one of `refusals`.
    """

    text: str
    kinds: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    late: bool = False
    refusals: tuple[str, ...] = ()

    def shown_by(self, verdict: VerdictLike) -> bool:
        if verdict.passed or getattr(verdict, "status", None) == INCONCLUSIVE:
            return False
        if self.kinds and verdict.kind not in self.kinds:
            return False
        text = f"{verdict.expectation}\n{verdict.detail}"
        if self.names and not any(name in text for name in self.names):
            return False
        if any(phrase in verdict.detail for phrase in self.phrases):
            return True
        deadline, measured = getattr(verdict, "deadline_s", None), getattr(verdict, "measured_s", None)
        return self.late and deadline is not None and measured is not None and measured > deadline

    def shown_by_refusal(self, message: str) -> bool:
        return any(phrase in message for phrase in self.refusals)


@dataclass(frozen=True)
class Applied:
    """One concrete mutant: a single change to one file of the stack (or to the scenarios)."""

    kind: str
    file: str
    where: str
    change: str
    symptom: Symptom
    subjects: tuple[str, ...] = ()
    document: Any = field(default=None, compare=False, repr=False)
    rewrite_scenario: Callable[[Scenario], Scenario] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.kind}: {self.file} {self.where}: {self.change}"

    def write(self, stack_copy: Path) -> None:
        """Write the mutated file into a copy of the stack's folder (a scenario mutant writes nothing)."""
        if self.document is None:
            return
        target = stack_copy / self.file
        target.write_text(yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True))

    def scenarios(self, scenarios: Sequence[Scenario]) -> list[Scenario]:
        if self.rewrite_scenario is None:
            return list(scenarios)
        return [self.rewrite_scenario(scenario) for scenario in scenarios]


class StackFiles:
    """The stack's folder and its Prometheus and Alertmanager files, read once and handed out as copies."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.directory = stack.directory
        self.prometheus_dir = config_folder(stack, "prometheus", "prometheus.yml")
        self.alertmanager_dir = config_folder(stack, "alertmanager", "alertmanager.yml")
        self._cache: dict[Path, Any] = {}

    @classmethod
    def of(cls, compose_file: Path) -> StackFiles:
        return cls(load_stack(compose_file))

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.directory.resolve()).as_posix()

    @property
    def prometheus_yml(self) -> Path:
        return self.prometheus_dir / "prometheus.yml"

    @property
    def alertmanager_yml(self) -> Path:
        return self.alertmanager_dir / "alertmanager.yml"

    def document(self, path: Path) -> Any:
        """A fresh deep copy of the parsed file, for one mutant to change."""
        if path not in self._cache:
            data, _ = yamlfile.load(path)
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: expected a mapping at the top level")
            self._cache[path] = data
        return copy.deepcopy(self._cache[path])

    def rule_files(self) -> list[Path]:
        """Every rule file prometheus.yml names, globs expanded, in order."""
        found: list[Path] = []
        for pattern in self.document(self.prometheus_yml).get("rule_files") or []:
            for path in sorted(self.prometheus_dir.glob(str(pattern))):
                if path.is_file() and path not in found:
                    found.append(path)
        return found

    def alert_rules(self) -> list[tuple[Path, str, dict[str, Any]]]:
        """(file, YAML path, rule) for every alerting rule."""
        rules = []
        for path in self.rule_files():
            for group_index, group in enumerate(self.document(path).get("groups") or []):
                for rule_index, rule in enumerate(group.get("rules") or []):
                    if "alert" in rule:
                        rules.append((path, f"groups[{group_index}].rules[{rule_index}]", rule))
        return rules

    def severity_of(self, alert: str) -> str | None:
        for _, _, rule in self.alert_rules():
            if rule["alert"] == alert:
                return (rule.get("labels") or {}).get("severity")
        return None


def config_folder(stack: Stack, role: str, config_name: str) -> Path:
    service = stack.by_role(role)  # type: ignore[arg-type]
    for mount in service.volumes:
        path = mount.source_path
        if mount.type == "bind" and (path / config_name).is_file():
            return path
        if mount.type == "bind" and path.name == config_name and path.is_file():
            return path.parent
    raise ConfigError(f"{stack.path}: service {service.name!r} mounts no folder holding {config_name}")


def rule_at(document: dict[str, Any], where: str) -> dict[str, Any]:
    """The rule at `groups[g].rules[r]` of a parsed rule file."""
    group_part, rule_part = where.split(".")
    group = document["groups"][int(group_part[len("groups["):-1])]
    return group["rules"][int(rule_part[len("rules["):-1])]  # type: ignore[no-any-return]


class MutantKind(Protocol):
    kind: str
    needs: str

    def describe(self) -> str: ...

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]: ...


def catalogue() -> list[MutantKind]:
    """Every mutant kind, in the order a report lists them."""
    from harness.mutants.routing import (
        ContinueFlipped, GroupWaitTimes20, InhibitEqualChanged, InhibitRuleRemoved, MatcherTypo, ReceiverRemoved,
        SendResolvedFlipped,
    )
    from harness.mutants.rules import (
        ForTimes10, RuleFileDropped, SeverityChanged, SeverityToAnnotations, ThresholdDiv10, ThresholdTimes10,
    )
    from harness.mutants.scenarios import SilenceBroadened
    from harness.mutants.targets import AlertingTargetMoved, ScrapePortWrong

    return [
        ThresholdTimes10(), ThresholdDiv10(), ForTimes10(), SeverityChanged(), SeverityToAnnotations(),
        RuleFileDropped(), ReceiverRemoved(), MatcherTypo(), ContinueFlipped(), InhibitRuleRemoved(),
        InhibitEqualChanged(), SendResolvedFlipped(), GroupWaitTimes20(), SilenceBroadened(),
        AlertingTargetMoved(), ScrapePortWrong(),
    ]


def kinds() -> list[str]:
    return [mutant.kind for mutant in catalogue()]


@dataclass(frozen=True)
class SkippedKind:
    kind: str
    reason: str


def choose(
    files: StackFiles,
    scenarios: Sequence[Scenario],
    only_kinds: Sequence[str] = (),
    every: bool = False,
    limit: int | None = None,
) -> tuple[list[Applied], list[SkippedKind]]:
    """The mutants to run: by default one per kind, the one touching most of what the scenarios name.

    A kind's representative is the mutant whose subjects (alerts, receivers, jobs) the scenarios'
    expectations name most often: a mutant of a rule no scenario mentions tells only that the rule
    is untested, which `every` (all concrete mutants) shows as well.
    """
    known = kinds()
    unknown = sorted(set(only_kinds) - set(known))
    if unknown:
        raise InvalidInput(f"unknown mutant kind(s) {', '.join(unknown)} (known: {', '.join(known)})")
    named = named_in(scenarios)
    chosen: list[Applied] = []
    skipped: list[SkippedKind] = []
    for mutant in catalogue():
        if only_kinds and mutant.kind not in only_kinds:
            continue
        candidates = mutant.apply(files, scenarios)
        if not candidates:
            skipped.append(SkippedKind(mutant.kind, f"nothing to mutate: this stack has no {mutant.needs}"))
            continue
        if every:
            chosen.extend(candidates)
        else:
            chosen.append(max(candidates, key=lambda applied: sum(named.count(s) for s in applied.subjects)))
    return (chosen[:limit] if limit is not None else chosen), skipped


def named_in(scenarios: Sequence[Scenario]) -> list[str]:
    """Alerts, receivers and services the scenarios' expectations and faults name (with repeats)."""
    names: list[str] = []
    for scenario in scenarios:
        for expectation in scenario.expectations:
            names.extend(filter(None, [getattr(expectation, "alert", None)]))
            names.extend(getattr(expectation, "receivers", None) or [])
        for scheduled in scenario.faults:
            names.extend(filter(None, [getattr(scheduled.fault, "service", None)]))
    return names


__all__ = [
    "INCONCLUSIVE", "Applied", "MutantKind", "SkippedKind", "StackFiles", "Symptom", "catalogue", "choose", "kinds",
    "named_in", "rule_at",
]
