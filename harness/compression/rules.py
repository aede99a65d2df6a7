"""Compress rule files: every group's interval, every rule's `for:`, `keep_firing_for:` and `expr`.

One code path for `harness compress` and for a run's rendered configs. Every rule is processed and
every problem is collected, so a refusal lists all of a file's rules that cannot be compressed, each
with its file, line, group and rule, not only the first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.compression.rewrite import CompressedExpression, Fidelity, compress_expression
from harness.errors import ConfigError, InvalidInput
from harness.timescale import TimeScale, parse_duration
from harness import config_shapes, yamlfile

RULE_DURATIONS = ("for", "keep_firing_for")


@dataclass(frozen=True)
class CompressedRule:
    """One rule's entry in `compression.json` and in a run's report."""

    file: str
    group: str
    rule: str
    kind: str  # "alert" or "record"
    line: int
    original: str
    rewritten: str
    fidelity: Fidelity
    reason: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class CompressionRefused(ConfigError):
    """Some rules could not be compressed; the message lists every one of them."""


def rule_groups(document: Any, source: Path, lines: dict[Any, int]) -> tuple[list[Any], tuple[str | int, ...]]:
    """The `groups` list of a Prometheus rule file or of a Kubernetes PrometheusRule (`spec.groups`)."""
    if not isinstance(document, dict):
        found = "nothing" if document is None else type(document).__name__
        raise ConfigError(f"{source}:1: expected a rule file (a mapping with `groups:`), found {found}")
    config_shapes.check_rule_document(source, document, lines)
    prefix: tuple[str | int, ...] = ()
    if document.get("kind") == "PrometheusRule":
        document = document.get("spec") or {}
        prefix = ("spec",)
    groups = document.get("groups") if isinstance(document, dict) else None
    if groups is None:
        groups = []
    if not isinstance(groups, list):
        line = lines.get((*prefix, "groups"), 1)
        raise ConfigError(f"{source}:{line}: `groups` must be a list of rule groups, found {type(groups).__name__}")
    return groups, (*prefix, "groups")


def compress_rule_document(
    document: Any, source: Path, lines: dict[Any, int], scale: TimeScale
) -> list[CompressedRule]:
    """Rewrite `document` (a parsed rule file) in place for `scale`; CompressionRefused lists every problem."""
    groups, at = rule_groups(document, source, lines)
    entries: list[CompressedRule] = []
    problems: list[str] = []
    for group_index, group in enumerate(groups):
        group_at = (*at, group_index)
        if not isinstance(group, dict):
            problems.append(f"{source}:{lines.get(group_at, 1)}: groups[{group_index}]: a group must be a mapping")
            continue
        group_name = str(group.get("name", "?"))
        group_where = f"groups[{group_index}] ({group_name})"
        try:
            if group.get("interval") is not None:
                group["interval"] = scale.compress_text(str(group["interval"]), f"{source}: {group_where}.interval")
        except InvalidInput as error:
            problems.append(str(error))
        rules = group.get("rules") or []
        if not isinstance(rules, list):
            problems.append(f"{source}:{lines.get((*group_at, 'rules'), 1)}: {group_where}.rules must be a list")
            continue
        for rule_index, rule in enumerate(rules):
            rule_at = (*group_at, "rules", rule_index)
            line = lines.get((*rule_at, "expr"), lines.get(rule_at, 1))
            if not isinstance(rule, dict):
                problems.append(f"{source}:{line}: {group_where}.rules[{rule_index}]: a rule must be a mapping")
                continue
            name = str(rule.get("alert") or rule.get("record") or "?")
            where = f"{source}:{line}: {group_where}.rules[{rule_index}] ({name})"
            try:
                entries.append(_compress_rule(rule, str(source), group_name, name, line, where, scale))
            except InvalidInput as error:
                problems.append(str(error))
    if problems:
        raise CompressionRefused("\n".join(problems))
    return entries


def _compress_rule(
    rule: dict[str, Any], source: str, group: str, name: str, line: int, where: str, scale: TimeScale
) -> CompressedRule:
    if "expr" not in rule:
        raise ConfigError(f"{where}: has no `expr`")
    for key in RULE_DURATIONS:
        if rule.get(key) is not None:
            parse_duration(str(rule[key]), f"{where}.{key}")
            rule[key] = scale.compress_text(str(rule[key]), f"{where}.{key}")
    compressed = compress_expression(str(rule["expr"]), scale, f"{where}.expr")
    rule["expr"] = compressed.rewritten
    return _entry(compressed, source, group, name, "alert" if "alert" in rule else "record", line)


def _entry(compressed: CompressedExpression, source: str, group: str, name: str, kind: str, line: int) -> CompressedRule:
    return CompressedRule(
        file=source, group=group, rule=name, kind=kind, line=line,
        original=compressed.original, rewritten=compressed.rewritten,
        fidelity=compressed.fidelity, reason=" ".join(compressed.reasons) or _exact_reason(compressed),
    )


def _exact_reason(compressed: CompressedExpression) -> str:
    if compressed.original == compressed.rewritten:
        return "nothing in it depends on the clock"
    return "only its durations change: what it measures keeps its real per-second rate or level"


def load_rule_file(path: Path) -> tuple[Any, dict[Any, int]]:
    try:
        return yamlfile.load(path)
    except ConfigError:
        raise
    except InvalidInput as error:
        raise ConfigError(str(error)) from None
