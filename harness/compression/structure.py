"""Parse PromQL for its structure, as the stack's Prometheus would, and compare two structures.

The parser (promql-parser) is used for the tree only, never to print text back: its printer drops
escapes. Strings are replaced by numbered placeholders before parsing, so no escape it handles
differently from Prometheus can crash it or change what it sees; the strings themselves are
compared as the lexer found them, character for character.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any

import promql_parser

from harness.compression.functions import PARSER_ALIASES, PROMETHEUS_FUNCTIONS, PROMETHEUS_VERSION
from harness.compression.lexer import Token, line_and_column, significant
from harness.errors import ConfigError

_ALIASED = {alias: name for name, alias in PARSER_ALIASES.items()}
_NOT_A_FIELD = {"parse", "prettify"}


class PromQLError(ConfigError):
    """An expression the stack's Prometheus would refuse, or a rewrite that changed more than time."""


def parse(text: str, tokens: list[Token], where: str) -> Any:
    """The tree of `text` as Prometheus 2.42 reads it; PromQLError naming `where` and the place."""
    try:
        tree = promql_parser.parse(_placeholder_text(tokens))
    except (ValueError, RuntimeError) as error:
        raise PromQLError(f"{where}: invalid PromQL: {error}\n    {text.strip()}") from None
    for name in sorted(function_names(tree)):
        if name not in PROMETHEUS_FUNCTIONS:
            place = _place_of_call(text, tokens, name)
            raise PromQLError(
                f"{where}{place}: unknown function `{name}` (Prometheus {PROMETHEUS_VERSION}, which the stack "
                f"runs, does not have it)\n    {text.strip()}"
            )
    if _has_or_matchers(tree):
        raise PromQLError(
            f"{where}: label matchers joined with `or` need Prometheus 3; the stack runs "
            f"{PROMETHEUS_VERSION}\n    {text.strip()}"
        )
    return tree


def function_names(tree: Any) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.Call):
            names.add(_ALIASED.get(node.func.name, node.func.name))

    promql_parser.walk(tree, post_visit=visit)
    return names


def shape(node: Any, factor: float) -> Any:
    """A comparable form of a tree with durations blanked and the rewrite's `((E) * factor)` read as E."""
    if _is_scaling(node, factor):
        return shape(node.expr.lhs.expr, factor)
    if isinstance(node, timedelta):
        return "<duration>"
    if isinstance(node, Enum):
        return str(node)
    if isinstance(node, (list, tuple)):
        return tuple(shape(item, factor) for item in node)
    if type(node).__module__ != promql_parser.__name__:
        return node if isinstance(node, (str, int, float, bool, type(None))) else str(node)
    if isinstance(node, promql_parser.Function):
        return ("function", node.name)
    fields = _fields(node)
    if not fields:  # the parser's enumerations (MatchOp, TokenType) print as what they are
        return str(node)
    return (type(node).__name__, tuple((name, shape(getattr(node, name), factor)) for name in fields))


def durations(node: Any) -> list[timedelta]:
    """Every duration in the tree, in the order `shape` visits them."""
    found: list[timedelta] = []

    def collect(value: Any) -> None:
        if isinstance(value, timedelta):
            found.append(value)
        elif isinstance(value, tuple):
            for item in value:
                collect(item)

    collect(_with_durations(node))
    return found


def _with_durations(node: Any) -> Any:
    if isinstance(node, timedelta):
        return node
    if isinstance(node, (list, tuple)):
        return tuple(_with_durations(item) for item in node)
    if type(node).__module__ != promql_parser.__name__ or isinstance(node, promql_parser.Function):
        return None
    return tuple(_with_durations(getattr(node, name)) for name in _fields(node))


def count_scalings(tree: Any, factor: float) -> int:
    found = 0

    def visit(node: Any) -> None:
        nonlocal found
        if _is_scaling(node, factor):
            found += 1

    promql_parser.walk(tree, post_visit=visit)
    return found


def _fields(node: Any) -> list[str]:
    return sorted(
        name for name in dir(node)
        if name[:1].islower() and name not in _NOT_A_FIELD and not callable(getattr(node, name))
    )


def _is_scaling(node: Any, factor: float) -> bool:
    """Is `node` the rewrite's own form, `((E) * factor)`?"""
    if not isinstance(node, promql_parser.ParenExpr) or not isinstance(node.expr, promql_parser.BinaryExpr):
        return False
    node = node.expr
    return (
        str(node.op) == "*"
        and node.modifier is None
        and isinstance(node.lhs, promql_parser.ParenExpr)
        and isinstance(node.rhs, promql_parser.NumberLiteral)
        and node.rhs.val == factor
    )


def _placeholder_text(tokens: list[Token]) -> str:
    parts: list[str] = []
    strings = 0
    for index, token in enumerate(tokens):
        if token.kind == "string":
            parts.append(f'"s{strings}"')
            strings += 1
        elif token.kind == "identifier" and token.text in PARSER_ALIASES and _opens_call(tokens, index):
            parts.append(PARSER_ALIASES[token.text])
        else:
            parts.append(token.text)
    return "".join(parts)


def _opens_call(tokens: list[Token], index: int) -> bool:
    following = significant(tokens[index + 1 :])
    return bool(following) and following[0].text == "("


def _place_of_call(text: str, tokens: list[Token], name: str) -> str:
    for index, token in enumerate(tokens):
        if token.kind == "identifier" and token.text == name and _opens_call(tokens, index):
            line, column = line_and_column(text, token.start)
            return f" (expr line {line}, column {column})"
    return ""


def _has_or_matchers(tree: Any) -> bool:
    found = False

    def visit(node: Any) -> None:
        nonlocal found
        if isinstance(node, promql_parser.VectorSelector) and node.matchers.or_matchers:
            found = True

    promql_parser.walk(tree, post_visit=visit)
    return found
