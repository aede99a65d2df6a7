"""A team's monitoring files as read: YAML with the line of every key, and the rules in them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness import yamlfile
from harness.check.findings import Finding
from harness.errors import ConfigError, InvalidInput
from harness.timescale import parse_duration
from harness.yamlfile import Location


@dataclass(frozen=True)
class YamlFile:
    """A parsed YAML document with the line of every key and item, to point findings at."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(compare=False, repr=False)

    def line(self, *location: str | int) -> int:
        """The line of `location`, or of the nearest enclosing key that has one."""
        for end in range(len(location), -1, -1):
            found = self.lines.get(tuple(location[:end]))
            if found is not None:
                return found
        return 1


@dataclass(frozen=True)
class Rule:
    """One alerting or recording rule as written."""

    kind: str  # "alert" or "record"
    name: str
    expr: str
    file: Path
    line: int
    expr_line: int
    group: str
    group_interval: timedelta | None
    for_: timedelta = timedelta(0)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    #: Where it is in its document, e.g. ("groups", 0, "rules", 3) or ("spec", "groups", 0, ...).
    location: Location = ()

    @property
    def subject(self) -> str:
        return f"{'alert' if self.kind == 'alert' else 'recording rule'} {self.name}"


def read_rules(path: Path) -> tuple[list[Rule], list[Finding]]:
    """Every rule of a rule file or PrometheusRule manifest; a file that cannot be read is a finding."""
    try:
        documents = yamlfile.load_all(path)
    except InvalidInput as error:
        line = _line_of(str(error), path)
        return [], [Finding("rules.unreadable", "error", str(path), line, f"rule file {path.name}", str(error),
                            "fix the YAML; Prometheus refuses to load a config whose rule file does not parse")]
    rules: list[Rule] = []
    for document, lines in documents:
        if document is None or (isinstance(document, dict) and document.get("kind") not in (None, "PrometheusRule")):
            continue
        rules += _document_rules(YamlFile(path, document, lines))
    return rules, []


def _document_rules(document: YamlFile) -> list[Rule]:
    data = document.data
    prefix: Location = ()
    if isinstance(data, dict) and data.get("kind") == "PrometheusRule":
        data, prefix = data.get("spec") or {}, ("spec",)
    groups = data.get("groups") if isinstance(data, dict) else None
    rules: list[Rule] = []
    for group_index, group in enumerate(groups if isinstance(groups, list) else []):
        if not isinstance(group, dict):
            continue
        interval = duration(group.get("interval"))
        for rule_index, rule in enumerate(group.get("rules") or []):
            if not isinstance(rule, dict) or not ("alert" in rule or "record" in rule):
                continue
            location = (*prefix, "groups", group_index, "rules", rule_index)
            kind = "alert" if "alert" in rule else "record"
            rules.append(Rule(
                kind, str(rule.get(kind)), str(rule.get("expr") or ""), document.path, document.line(*location),
                document.line(*location, "expr"), str(group.get("name", "?")), interval,
                duration(rule.get("for")) or timedelta(0), _strings(rule.get("labels")), _strings(rule.get("annotations")),
                location,
            ))
    return rules


def _strings(mapping: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in mapping.items()} if isinstance(mapping, dict) else {}


def duration(value: Any) -> timedelta | None:
    """A Prometheus duration, or None when absent or not one."""
    if value is None:
        return None
    try:
        return parse_duration(str(value), "duration")
    except ConfigError:
        return None


def route_path(location: Location) -> str:
    """`("route", "routes", 1, "routes", 0)` as Alertmanager's users write it: `route.routes[1].routes[0]`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def route_location(path: str) -> Location:
    """The inverse of route_path."""
    location: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", path):
        location.append(name if name else int(index))
    return tuple(location)


def _line_of(message: str, path: Path) -> int:
    rest = message.removeprefix(str(path))
    if rest.startswith(":"):
        number = rest[1:].split(":", 1)[0]
        if number.isdigit():
            return int(number)
    return 1
