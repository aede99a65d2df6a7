"""Alertmanager's routing tree: which routes, receivers and timers an alert's labels select.

The tree is read once from the user's alertmanager.yml (real-time durations) with every route's
inherited settings resolved, as Alertmanager resolves them: a child route starts from its parent's
receiver, group_wait, group_interval and repeat_interval and overrides what it names.

Matching follows Alertmanager's dispatcher: depth first, children left to right; the first child
that matches ends the search among its siblings unless it says `continue: true`; a route none of
whose children match is itself the match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from harness.errors import ConfigError
from harness.timescale import ALERTMANAGER_ROUTE_DEFAULTS, ROUTE_DURATIONS, parse_duration
from harness.yamlfile import Place

Operator = Literal["=", "!=", "=~", "!~"]
#: Alertmanager's classic matcher syntax: a label name, an operator, then the (maybe quoted) value.
_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s:.*?))\s*$")


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a route; a label the alert lacks counts as the empty string."""

    name: str
    op: Operator
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        seen = labels.get(self.name, "")
        if self.op == "=":
            return seen == self.value
        if self.op == "!=":
            return seen != self.value
        found = re.fullmatch(self.value, seen) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


@dataclass(frozen=True)
class Route:
    """A node of the routing tree with its inherited settings resolved (real time)."""

    receiver: str
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    routes: tuple[Route, ...] = ()
    path: str = "route"

    def matches(self, labels: dict[str, str]) -> bool:
        return all(matcher.matches(labels) for matcher in self.matchers)

    def walk(self) -> list[Route]:
        """This route and every route below it, depth first."""
        return [self, *(node for child in self.routes for node in child.walk())]


@dataclass(frozen=True)
class MatchedRoute:
    """A route an alert ends on: where it is delivered and with which timers (real time)."""

    receiver: str
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    path: str
    matchers: tuple[Matcher, ...] = ()

    def describe(self) -> str:
        """`route severity="critical" -> pagerduty-critical`, naming the matchers on the way down."""
        on_the_way = " ".join(str(matcher) for matcher in self.matchers)
        return f"route {on_the_way or '(root)'}" + (f" -> {self.receiver}" if self.receiver else "")


def parse_tree(raw: dict[str, Any], where: str | Place) -> Route:
    """The root route of an alertmanager.yml (`raw` is its `route:` mapping, unscaled).

    `where` is the route's place (with the file's lines, so errors say file:line), or `file: route`.
    """
    where = Place.of(where)
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping (the root route), found {type(raw).__name__}")
    if raw.get("receiver") in (None, ""):
        raise ConfigError(f"{where}: the root route names no `receiver`; Alertmanager needs a default receiver")
    if any(raw.get(key) for key in ("match", "match_re", "matchers")):
        raise ConfigError(f"{where}: the root route has matchers; Alertmanager refuses them (it must match every alert)")
    defaults = {key: parse_duration(value, key) for key, value in ALERTMANAGER_ROUTE_DEFAULTS.items()}
    start = Route("", defaults["group_wait"], defaults["group_interval"], defaults["repeat_interval"])
    return _route(raw, start, where)


def routes_for(root: Route, labels: dict[str, str]) -> list[MatchedRoute]:
    """The routes an alert with `labels` ends on, in the order Alertmanager notifies them."""
    return [_matched(route, chain) for route, chain in _match(root, labels, ())]


def routes_to(root: Route, receiver: str) -> list[MatchedRoute]:
    """Every route of the tree that delivers to `receiver`, whatever the labels."""
    return [route for route in every_route(root) if route.receiver == receiver]


def every_route(root: Route) -> list[MatchedRoute]:
    """Every route of the tree, depth first, as the match it would be."""
    found: list[MatchedRoute] = []

    def visit(route: Route, chain: tuple[Matcher, ...]) -> None:
        here = chain + route.matchers
        found.append(_matched(route, here))
        for child in route.routes:
            visit(child, here)

    visit(root, ())
    return found


def parse_matchers(text: str, where: str | Place) -> list[Matcher]:
    """One `matchers:` item: `severity="critical"`, or several separated by commas, braces optional."""
    body = text.strip()
    body = body[1:] if body.startswith("{") else body
    body = body[:-1] if body.endswith("}") else body
    parts, current, quoted, escaped = [], "", False, False
    for char in body:
        if char == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        if char == '"' and not escaped:
            quoted = not quoted
        escaped = char == "\\" and not escaped
        current += char
    if current.strip():
        parts.append(current)
    return [_matcher(part, where) for part in parts if part.strip()]


def _matcher(text: str, where: str | Place) -> Matcher:
    found = _MATCHER.match(text)
    if found is None:
        raise ConfigError(f"{where}: {text.strip()!r} is not a matcher (expected e.g. severity=\"critical\")")
    name, op, raw_value = found.groups()
    return _checked(name, op, _unquoted(raw_value, f"{where}: {text.strip()!r}"), where)  # type: ignore[arg-type]


def _unquoted(raw: str, where: str) -> str:
    """The matcher's value: optional surrounding quotes dropped, `\\"`, `\\n` and `\\\\` unescaped."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    value, index = "", 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            value += {"n": "\n", '"': '"', "\\": "\\"}.get(following, "\\" + following)
            index += 2
            continue
        if char == '"':
            if not quoted or index != len(body) - 1:
                raise ConfigError(f"{where}: the value has an unescaped double quote")
            quoted = False
        else:
            value += char
        index += 1
    if quoted:
        raise ConfigError(f"{where}: the value's opening quote is never closed")
    return value


def _checked(name: str, op: Operator, value: str, where: str | Place) -> Matcher:
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as error:
            raise ConfigError(f"{where}: {name}{op}{value!r} is not a valid regular expression: {error}") from None
    return Matcher(name, op, value)


def _route(raw: dict[str, Any], parent: Route, where: Place) -> Route:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping (a route), found {type(raw).__name__}")
    timers = {
        key: parse_duration(raw[key], str(where / key)) if raw.get(key) is not None else getattr(parent, key)
        for key in ROUTE_DURATIONS
    }
    matchers = [_checked(str(name), "=", str(value), where / "match") for name, value in _mapping(raw, "match", where).items()]
    matchers += [_checked(str(name), "=~", str(value), where / "match_re")
                 for name, value in _mapping(raw, "match_re", where).items()]
    for index, item in enumerate(_list(raw, "matchers", where)):
        matchers += parse_matchers(str(item), where / "matchers" / index)
    node = Route(
        receiver=str(raw.get("receiver") or parent.receiver),
        group_wait=timers["group_wait"],
        group_interval=timers["group_interval"],
        repeat_interval=timers["repeat_interval"],
        matchers=tuple(matchers),
        continue_=bool(raw.get("continue", False)),
        path=where.field,
    )
    children = tuple(_route(child, node, where / "routes" / index) for index, child in enumerate(_list(raw, "routes", where)))
    return Route(node.receiver, node.group_wait, node.group_interval, node.repeat_interval, node.matchers,
                 node.continue_, children, node.path)


def _mapping(raw: dict[str, Any], key: str, where: Place) -> dict[Any, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where / key}: expected a mapping of label: value, found {type(value).__name__}")
    return value


def _list(raw: dict[str, Any], key: str, where: Place) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where / key}: expected a list, found {type(value).__name__}")
    return value


def _match(route: Route, labels: dict[str, str], chain: tuple[Matcher, ...]) -> list[tuple[Route, tuple[Matcher, ...]]]:
    if not route.matches(labels):
        return []
    here = chain + route.matchers
    found: list[tuple[Route, tuple[Matcher, ...]]] = []
    for child in route.routes:
        below = _match(child, labels, here)
        found += below
        if below and not child.continue_:
            break
    return found or [(route, here)]


def _matched(route: Route, chain: tuple[Matcher, ...]) -> MatchedRoute:
    return MatchedRoute(route.receiver, route.group_wait, route.group_interval, route.repeat_interval, route.path, chain)
