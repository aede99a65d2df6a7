"""Grafana template variables: what a dashboard defines, and its queries as Grafana would send them.

Every syntax Grafana expands is expanded: `$var`, `${var}`, `${var:format}` and the old `[[var]]`
and `[[var:format]]`. A variable's value is the one it would have when the dashboard opens: its
current value, else its first option; `All` is the variable's custom all value, else every option
as a regex alternation. A multi-value or include-all variable is regex-escaped for Prometheus,
as Grafana's Prometheus datasource does. Grafana's own variables get the values they have over a
one-hour range on a panel about 1000 points wide: `$__interval` is the scrape interval (the
Prometheus datasource's minimum), `$__rate_interval` four scrape intervals, `$__range` one hour.

A variable whose value cannot be known (a query variable nobody resolved) expands to `UNKNOWN`; a
label matcher containing it says nothing, and the live check leaves such matchers out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from harness.timescale import format_duration

#: Stands in for a value nobody knows; never a label value or metric name anyone uses.
UNKNOWN = "__harness_unknown_variable__"
#: Grafana's own pattern (public/app/features/variables/utils.ts), names and formats included.
VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
RANGE = timedelta(hours=1)
_ALL = "$__all"
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|{}\[\]]")
_AUTO_INTERVAL = re.compile(r"\$__auto(?:_interval_\w+)?")


@dataclass(frozen=True)
class Variable:
    """One template variable as the dashboard defines it."""

    name: str
    kind: str  # query, custom, constant, textbox, interval, datasource, adhoc, ...
    query: str
    current: tuple[str, ...] = ()
    current_text: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    regex: str = ""

    @property
    def is_all(self) -> bool:
        return _ALL in self.current

    def with_options(self, options: tuple[str, ...]) -> Variable:
        """The variable once its query has answered: the current value if still offered, else the first."""
        return replace(self, options=options)


@dataclass(frozen=True)
class Binding:
    """What a variable expands to: its values (None: unknown) and how Grafana formats them."""

    values: tuple[str, ...] | None
    texts: tuple[str, ...] = ()
    multi: bool = False
    raw: str | None = None  # an all value, inserted as written


def read_variables(templating: Any) -> tuple[Variable, ...]:
    items = templating.get("list") if isinstance(templating, dict) else None
    variables: list[Variable] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        current: dict[str, Any] = item["current"] if isinstance(item.get("current"), dict) else {}
        options = tuple(
            _text(option.get("value")) for option in _list(item.get("options"))
            if isinstance(option, dict) and option.get("value") not in (None, _ALL)
        )
        kind = str(item.get("type") or "query")
        query = _query_text(item.get("query"))
        if kind == "custom" and not options:
            options = tuple(part.strip() for part in re.split(r"(?<!\\),", query) if part.strip())
        all_value = item.get("allValue")
        variables.append(Variable(
            str(item["name"]), kind, query, _values(current.get("value")), _values(current.get("text")), options,
            bool(item.get("multi")), bool(item.get("includeAll")),
            str(all_value) if all_value not in (None, "") else None, str(item.get("regex") or ""),
        ))
    return tuple(variables)


def binding(variable: Variable, scrape_interval: timedelta) -> Binding:
    """What `variable` expands to when the dashboard opens, from what the dashboard says."""
    regexy = variable.multi or variable.include_all
    if variable.kind in ("constant", "textbox"):
        value = variable.current[0] if variable.current and variable.kind == "textbox" else variable.query
        return Binding((value,), (value,))
    if variable.kind == "interval":
        chosen = variable.current[0] if variable.current else (variable.options[0] if variable.options else "auto")
        if chosen == "auto" or chosen.startswith("$__auto"):
            chosen = format_duration(scrape_interval)
        return Binding((chosen,), (chosen,))
    if variable.kind in ("datasource", "adhoc"):
        return Binding((variable.current[0] if variable.current else "",))
    if variable.is_all:
        if variable.all_value is not None:
            return Binding((variable.all_value,), ("All",), regexy, raw=variable.all_value)
        if not variable.options:
            return Binding(None, multi=regexy)
        return Binding(variable.options, variable.options, regexy)
    offered = variable.options
    picked = tuple(value for value in variable.current if not offered or value in offered)
    if picked:
        return Binding(picked, variable.current_text if len(variable.current_text) == len(picked) else picked, regexy)
    if offered:
        return Binding(offered[:1], offered[:1], regexy)
    return Binding(None, multi=regexy)


def builtins(scrape_interval: timedelta, dashboard_title: str = "") -> dict[str, str]:
    """Grafana's global variables over a one-hour range, the interval at the scrape interval."""
    interval = scrape_interval
    rate_interval = max(4 * scrape_interval, interval + scrape_interval)
    milliseconds = int(interval / timedelta(milliseconds=1))
    return {
        "__interval": format_duration(interval),
        "__interval_ms": str(milliseconds),
        "__rate_interval": format_duration(rate_interval),
        "__rate_interval_ms": str(int(rate_interval / timedelta(milliseconds=1))),
        "__range": format_duration(RANGE),
        "__range_s": str(int(RANGE.total_seconds())),
        "__range_ms": str(int(RANGE / timedelta(milliseconds=1))),
        "__auto": format_duration(interval),
        "__dashboard": dashboard_title,
        "__org": "1",
        "__user": "admin",
    }


def expand(text: str, bindings: Mapping[str, Binding], globals_: Mapping[str, str]) -> str:
    """`text` with every variable Grafana would expand expanded; unknown names are left as written."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if name in globals_:
            return globals_[name]
        if name.startswith("__auto_interval"):
            return globals_.get("__auto", match.group(0))
        if name not in bindings:
            return match.group(0)
        return _formatted(bindings[name], fmt)

    return VARIABLE.sub(substitute, text)


def _formatted(bound: Binding, fmt: str | None) -> str:
    if bound.values is None:
        return UNKNOWN
    values = bound.values
    if bound.raw is not None and fmt in (None, "regex", "pipe", "raw"):
        return bound.raw
    if fmt is None:  # the Prometheus datasource's own interpolation
        if not bound.multi:
            return values[0] if values else ""
        escaped = [_prometheus_regex_escape(value) for value in values]
        return escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"
    if fmt == "regex":
        escaped = [_regex_escape(value) for value in values]
        return escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"
    if fmt == "pipe":
        return "|".join(values)
    if fmt == "glob":
        return values[0] if len(values) == 1 else "{" + ",".join(values) + "}"
    if fmt == "text":
        return " + ".join(bound.texts or values)
    if fmt == "singlequote":
        return ",".join("'" + value.replace("'", "\\'") + "'" for value in values)
    if fmt == "doublequote":
        return ",".join('"' + value.replace('"', '\\"') + '"' for value in values)
    if fmt == "json":
        return json.dumps(list(values)) if len(values) != 1 else json.dumps(values[0])
    return ",".join(values)  # csv, raw, value, and formats Grafana adds later


def _prometheus_regex_escape(value: str) -> str:
    """Grafana's prometheusSpecialRegexEscape: two backslashes, as the value lands in a PromQL string."""
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(), value)


def _regex_escape(value: str) -> str:
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(), value)


def _query_text(query: Any) -> str:
    if isinstance(query, dict):  # Grafana 9+: {"query": "label_values(...)", "refId": ...}
        if isinstance(query.get("query"), str):
            return str(query["query"])
        if query.get("label"):
            metric = query.get("metric") or ""
            return f"label_values({metric + ', ' if metric else ''}{query['label']})"
        return ""
    return "" if query is None else str(query)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _values(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_text(item) for item in value if item is not None)
    if value is None or value == "":
        return ()
    return (_text(value),)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class VariableQuery:
    """A Prometheus query variable: `label_values([selector,] label)`, `label_names()`, `metrics(regex)`."""

    function: str
    label: str = ""
    selector: str = ""
    pattern: str = ""


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.*?)\s*,\s*)?(?P<label>[A-Za-z_][\w.]*)\s*\)\s*$", re.DOTALL)
_LABEL_NAMES = re.compile(r"^\s*label_names\(\s*(?P<selector>.*?)\s*\)\s*$", re.DOTALL)
_METRICS = re.compile(r"^\s*metrics\(\s*(?P<pattern>.*?)\s*\)\s*$", re.DOTALL)


def variable_query(text: str) -> VariableQuery | None:
    """The query of a Prometheus query variable, or None for one the live check does not run."""
    if found := _LABEL_VALUES.match(text):
        return VariableQuery("label_values", found.group("label"), found.group("selector") or "")
    if found := _LABEL_NAMES.match(text):
        return VariableQuery("label_names", selector=found.group("selector") or "")
    if found := _METRICS.match(text):
        return VariableQuery("metrics", pattern=found.group("pattern") or "")
    return None


def apply_regex(values: list[str], regex: str) -> tuple[str, ...]:
    """Grafana's variable regex: keep matching values, or their first (or `value`-named) group."""
    if not regex:
        return tuple(dict.fromkeys(values))
    body, flags = regex, 0
    if found := re.fullmatch(r"/(.*)/([gimsuy]*)", regex, re.DOTALL):
        body = found.group(1)
        flags = re.IGNORECASE if "i" in found.group(2) else 0
    try:
        pattern = re.compile(body.replace("(?<value>", "(?P<value>").replace("(?<text>", "(?P<text>"), flags)
    except re.error:
        return tuple(dict.fromkeys(values))
    kept: list[str] = []
    for value in values:
        found = pattern.search(value)
        if not found:
            continue
        if "value" in pattern.groupindex and found.group("value") is not None:
            kept.append(found.group("value"))
        elif pattern.groups:
            kept.append(next((group for group in found.groups() if group is not None), found.group()))
        else:
            kept.append(value)
    return tuple(dict.fromkeys(kept))
