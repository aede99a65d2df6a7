"""A rule's PromQL as a tree, with its strings as written and its nodes readable in a finding.

Strings are replaced by numbered placeholders before parsing (as `harness.compression.structure`
does), so no escape the parser reads differently from Prometheus can crash it; a node is shown with
the placeholders put back, so a finding quotes `status=~"5.."` as the rule wrote it. Unlike the
compression parser this one accepts any function the parser knows: the team's Prometheus may be
newer than the stack's, and an expression that does not parse is promtool's to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import promql_parser

from harness.compression.functions import PARSER_ALIASES
from harness.compression.lexer import Token, tokenize

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_PLACEHOLDER = re.compile(r'"s(\d+)"')


@dataclass(frozen=True)
class Expression:
    """A parsed expression and the string literals of its text, in order, quotes included."""

    tree: Any
    strings: tuple[str, ...]

    def show(self, node: Any) -> str:
        """`node` as PromQL, with the rule's own strings (the printer writes `x{}` for a bare `x`)."""
        printed = str(node).replace("{}", "")
        return _PLACEHOLDER.sub(lambda match: self.strings[int(match.group(1))], printed)

    def written(self, value: str) -> str:
        """A matcher's value as the rule wrote it, quotes included."""
        found = re.fullmatch(r"s(\d+)", value)
        return self.strings[int(found.group(1))] if found else value


def parse(text: str) -> Expression | None:
    """The expression's tree, or None when the parser refuses it."""
    try:
        return Expression(*placeholder_parse(tokenize(text)))
    except (ValueError, RuntimeError):
        return None


def placeholder_parse(tokens: list[Token]) -> tuple[Any, tuple[str, ...]]:
    """promql-parser's tree, each string literal replaced by `"sN"`, and the literals as written.

    The parser's ValueError or RuntimeError passes through.
    """
    parts: list[str] = []
    strings: list[str] = []
    for index, token in enumerate(tokens):
        if token.kind == "string":
            parts.append(f'"s{len(strings)}"')
            strings.append(token.text)
        elif token.kind == "identifier" and token.text in PARSER_ALIASES and _opens_call(tokens, index):
            parts.append(PARSER_ALIASES[token.text])
        else:
            parts.append(token.text)
    return promql_parser.parse("".join(parts)), tuple(strings)


def _opens_call(tokens: list[Token], index: int) -> bool:
    following = [token for token in tokens[index + 1:] if token.significant]
    return bool(following) and following[0].text == "("


def children(node: Any) -> list[Any]:
    """The sub-expressions of `node`, left to right."""
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.param, node.expr] if node.param is not None else [node.expr]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    return []


@dataclass(frozen=True)
class Place:
    """A node and the way down to it: each ancestor with the index of the child that leads here."""

    node: Any
    path: tuple[tuple[Any, int], ...] = ()

    @property
    def parent(self) -> Any:
        return self.path[-1][0] if self.path else None

    @property
    def filtering(self) -> bool:
        """On the right of `and`/`unless`, where a value only decides which series are kept."""
        return any(index == 1 and operator(ancestor) in ("and", "unless") for ancestor, index in self.path)

    @property
    def operand_of(self) -> str:
        """The operator this node (in parentheses or not) is a side of; "" when none."""
        for ancestor, _ in reversed(self.path):
            if not isinstance(ancestor, promql_parser.ParenExpr):
                return operator(ancestor) if isinstance(ancestor, promql_parser.BinaryExpr) else ""
        return ""


def walk(node: Any, path: tuple[tuple[Any, int], ...] = ()) -> Iterator[Place]:
    """Every node under `node`, itself first, each with its way down."""
    yield Place(node, path)
    for index, child in enumerate(children(node)):
        yield from walk(child, (*path, (node, index)))


def unwrap(node: Any) -> Any:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def operator(node: Any) -> str:
    """The operator of a binary expression or aggregation, the name of a call; "" otherwise."""
    if isinstance(node, (promql_parser.BinaryExpr, promql_parser.AggregateExpr)):
        return str(node.op)
    if isinstance(node, promql_parser.Call):
        return str(node.func.name)
    return ""


def value_branches(node: Any) -> list[Any]:
    """The parts whose values an expression returns: both sides of `or`, the left of `and`/`unless`."""
    node = unwrap(node)
    if operator(node) == "or":
        return value_branches(node.lhs) + value_branches(node.rhs)
    if operator(node) in ("and", "unless"):
        return value_branches(node.lhs)
    return [node]


def metric_name(selector: Any) -> str:
    """The metric a vector selector names, by name or `__name__="..."`; "" when it names none."""
    if selector.name:
        return str(selector.name)
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and str(matcher.op) == "MatchOp.Equal":
            return str(matcher.value)
    return ""


def selectors(node: Any) -> list[Any]:
    """Every vector selector under `node` (those of range selectors included)."""
    return [place.node for place in walk(node) if isinstance(place.node, promql_parser.VectorSelector)]


def is_constant(node: Any) -> bool:
    """A number, or arithmetic of numbers: what a threshold is written as."""
    node = unwrap(node)
    if isinstance(node, promql_parser.NumberLiteral):
        return True
    if isinstance(node, promql_parser.UnaryExpr):
        return is_constant(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        return is_constant(node.lhs) and is_constant(node.rhs)
    return False


def constant_value(node: Any) -> float | None:
    node = unwrap(node)
    if isinstance(node, promql_parser.NumberLiteral):
        return float(node.val)
    if isinstance(node, promql_parser.UnaryExpr):
        inner = constant_value(node.expr)
        return None if inner is None else -inner
    return None
