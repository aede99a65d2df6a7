"""Grafana dashboard JSON, read once into panels, their Prometheus queries and the template variables.

Panels are found where every schema version puts them: `panels[]`, the panels of collapsed rows
(`panels[].panels[]`) and the `rows[].panels[]` of dashboards older than schema 16; a dashboard
exported through the API (`{"dashboard": {...}}`) is unwrapped. A target is a Prometheus query when
its datasource (its own, else its panel's, else the dashboard default) is of type `prometheus`,
directly, through a datasource variable, or through an import input (`${DS_PROMETHEUS}`). Loki and
other datasources are left out; a datasource nothing tells the type of counts as Prometheus when the
target has an `expr`, as the default datasource of a Prometheus stack would.

JSON has no positions, so the file is scanned once more for the line of every value: a finding
points at the line of the query's `expr`, or of the panel.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.check.templating import Variable, read_variables
from harness.errors import InvalidInput

DatasourceKind = Literal["prometheus", "other"]
JsonPath = tuple[str | int, ...]

#: Datasource types (plugin ids) that are not Prometheus but whose targets also have an `expr`.
_NOT_PROMETHEUS_HINTS = ("loki", "elastic", "influx", "graphite", "tempo", "jaeger", "mysql", "postgres", "cloudwatch",
                         "opensearch", "testdata", "grafana", "mixed", "dashboard", "expression", "__expr__")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.DOTALL)


@dataclass(frozen=True)
class Target:
    ref_id: str
    expr: str
    datasource: DatasourceKind
    hidden: bool
    line: int


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str
    line: int
    targets: tuple[Target, ...]

    @property
    def prometheus_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.datasource == "prometheus" and not t.hidden and t.expr.strip())


@dataclass(frozen=True)
class Dashboard:
    path: Path
    title: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = ()
    lines: dict[JsonPath, int] = field(default_factory=dict, compare=False, repr=False)

    def subject(self, panel: Panel) -> str:
        return f"panel {panel.title!r} of dashboard {self.title!r}"


def read(path: Path) -> Dashboard:
    """Read a dashboard file; InvalidInput when it is not JSON or not a dashboard."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{path}: not a JSON dashboard: {error}") from error
    return parse(text, path, data)


def parse(text: str, path: Path, data: Any | None = None) -> Dashboard:
    data = json.loads(text) if data is None else data
    prefix: JsonPath = ()
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data, prefix = data["dashboard"], ("dashboard",)
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: not a Grafana dashboard (the top level is not an object)")
    lines = json_lines(text)
    variables = read_variables(data.get("templating"))
    resolver = _Datasources(data, variables)
    panels = [_panel(panel, where, lines, resolver, inherited) for panel, where, inherited in _walk_panels(data, prefix)]
    title = str(data.get("title") or path.stem)
    return Dashboard(path, title, tuple(p for p in panels if p is not None), variables, lines)


def _walk_panels(data: dict[str, Any], prefix: JsonPath) -> list[tuple[dict[str, Any], JsonPath, Any]]:
    found: list[tuple[dict[str, Any], JsonPath, Any]] = []

    def visit(items: Any, where: JsonPath, inherited: Any) -> None:
        for index, panel in enumerate(items if isinstance(items, list) else []):
            if not isinstance(panel, dict):
                continue
            here = (*where, index)
            found.append((panel, here, inherited))
            visit(panel.get("panels"), (*here, "panels"), panel.get("datasource", inherited))

    visit(data.get("panels"), (*prefix, "panels"), None)
    rows = data.get("rows")
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict):
            visit(row.get("panels"), (*prefix, "rows", index, "panels"), row.get("datasource"))
    return found


def _panel(panel: dict[str, Any], where: JsonPath, lines: dict[JsonPath, int], datasources: _Datasources,
           inherited: Any) -> Panel | None:
    raw_targets = panel.get("targets")
    if panel.get("type") == "row" and not raw_targets:
        return None
    line = _line(lines, *where, "title") if "title" in panel else _line(lines, *where)
    targets: list[Target] = []
    for index, target in enumerate(raw_targets if isinstance(raw_targets, list) else []):
        if not isinstance(target, dict):
            continue
        expr = target.get("expr")
        if not isinstance(expr, str):
            continue
        kind = datasources.kind(target.get("datasource"), panel.get("datasource"), inherited)
        targets.append(Target(
            str(target.get("refId") or chr(ord("A") + index % 26)), expr, kind, bool(target.get("hide")),
            _line(lines, *where, "targets", index, "expr"),
        ))
    return Panel(str(panel.get("title") or f"(untitled {panel.get('type', 'panel')})"), str(panel.get("type", "")),
                 line, tuple(targets))


class _Datasources:
    """What type of datasource a panel or target reference names."""

    def __init__(self, dashboard: dict[str, Any], variables: tuple[Variable, ...]) -> None:
        self._types: dict[str, str] = {}
        inputs = dashboard.get("__inputs")
        for item in inputs if isinstance(inputs, list) else []:
            if isinstance(item, dict) and item.get("name"):
                self._types[str(item["name"])] = str(item.get("pluginId") or "")
        for variable in variables:
            if variable.kind == "datasource":
                self._types[variable.name] = variable.query

    def kind(self, *references: Any) -> DatasourceKind:
        for reference in references:
            if reference is None or reference == "" or reference == {}:
                continue
            plugin = self._plugin(reference)
            if plugin is None or plugin == "mixed":  # a mixed panel's targets name their own
                continue
            return "prometheus" if plugin == "prometheus" or not _hints_other(plugin) else "other"
        return "prometheus"

    def _plugin(self, reference: Any) -> str | None:
        """The plugin type a reference names, "" when it names a datasource of unknown type, None when inherited."""
        if isinstance(reference, dict):
            kind = reference.get("type")
            if isinstance(kind, str) and kind and not kind.startswith("$"):
                return kind.lower()
            uid = reference.get("uid")
            if uid is None:
                return "" if reference else None
            reference = uid
        if not isinstance(reference, str):
            return ""
        name = reference.strip()
        variable = re.fullmatch(r"\$\{?(\w+)(?::\w+)?\}?|\[\[(\w+)\]\]", name)
        if variable:
            return self._types.get(variable.group(1) or variable.group(2), "").lower()
        if name in ("-- Mixed --", "-- Grafana --", "-- Dashboard --"):
            return name.strip("- ").lower()
        return name.lower()


def _hints_other(plugin: str) -> bool:
    return any(hint in plugin for hint in _NOT_PROMETHEUS_HINTS)


def json_lines(text: str) -> dict[JsonPath, int]:
    """The 1-based line of every value (and of every key's value) of a JSON document, by path."""
    newlines = [index for index, char in enumerate(text) if char == "\n"]
    tokens = [(match.group(), match.start()) for match in _TOKEN.finditer(text)]
    lines: dict[JsonPath, int] = {}
    position = 0

    def line(offset: int) -> int:
        return bisect.bisect_right(newlines, offset - 1) + 1 if newlines else 1

    def value(path: JsonPath) -> None:
        nonlocal position
        if position >= len(tokens):
            return
        token, offset = tokens[position]
        lines.setdefault(path, line(offset))
        position += 1
        if token == "{":
            while position < len(tokens) and tokens[position][0] != "}":
                key, key_offset = tokens[position]
                if key == ",":
                    position += 1
                    continue
                name = _decode(key)
                position += 2  # the key and its colon
                lines[(*path, name)] = line(key_offset)
                value((*path, name))
            position += 1
        elif token == "[":
            index = 0
            while position < len(tokens) and tokens[position][0] != "]":
                if tokens[position][0] == ",":
                    position += 1
                    continue
                value((*path, index))
                index += 1
            position += 1

    value(())
    return lines


def _decode(token: str) -> str:
    try:
        return str(json.loads(token))
    except json.JSONDecodeError:
        return token.strip('"')


def _line(lines: dict[JsonPath, int], *path: str | int) -> int:
    for end in range(len(path), -1, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return 1
