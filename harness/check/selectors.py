"""The vector selectors of a PromQL expression, with their label values as written, and which of
the expression's results an absent selector empties.

Strings are swapped for numbered placeholders before promql-parser sees the text (as
`harness.compression.structure` does), so its own escape handling can neither crash on a value
Prometheus accepts nor change it; values are read back from the lexer's tokens, unquoted as
Prometheus unquotes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import promql_parser

from harness.check.expression import placeholder_parse
from harness.compression.lexer import Token, line_and_column, tokenize

#: promql-parser's matcher operators, as PromQL writes them.
OPERATORS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
#: Functions whose result is not empty when their argument is (or that take no series at all).
_NEVER_EMPTY = frozenset({"absent", "absent_over_time", "vector", "time", "pi", "scalar"})
_PLACEHOLDER = re.compile(r"s(\d+)")


class Unparsable(ValueError):
    """The text is not PromQL promql-parser can read; the message is the parser's."""


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str  # =, !=, =~, !~
    value: str  # unquoted

    @property
    def text(self) -> str:
        return f'{self.label}{self.op}"{escape(self.value)}"'

    def matches(self, value: str) -> bool | None:
        """Does a series whose label is `value` ("" when it has none) pass? None: the regex is not Python's."""
        if self.op in ("=", "!="):
            return (value == self.value) == (self.op == "=")
        try:
            found = re.fullmatch(self.value, value, re.DOTALL) is not None
        except re.error:
            return None
        return found == (self.op == "=~")


@dataclass(frozen=True)
class Selector:
    """One vector selector: the metric name it names (or "") and its other matchers."""

    name: str
    matchers: tuple[Matcher, ...]
    #: Offset of the selector in the expression text, for a line number; -1 when not found.
    offset: int = -1

    @property
    def text(self) -> str:
        """The selector as the series API takes it in `match[]` (offsets, ranges and @ left out)."""
        inner = ",".join(matcher.text for matcher in self.matchers)
        if not self.name:
            return f"{{{inner}}}"
        return f"{self.name}{{{inner}}}" if inner else self.name

    def without(self, labels: set[str]) -> Selector:
        return Selector(self.name, tuple(m for m in self.matchers if m.label not in labels), self.offset)


@dataclass(frozen=True)
class Query:
    """A parsed expression: its tree, and the string values its placeholders stand for."""

    text: str
    tree: Any
    strings: tuple[str, ...]
    tokens: tuple[Token, ...]

    def selectors(self) -> list[Selector]:
        """Every vector selector, in the order written, one entry per occurrence."""
        found: list[Selector] = []
        searched_from = 0

        def visit(node: Any) -> None:
            nonlocal searched_from
            if isinstance(node, promql_parser.VectorSelector):
                selector = self._selector(node)
                offset = _offset_of(selector, self.tokens, searched_from)
                if offset >= 0:
                    searched_from = offset + 1
                found.append(Selector(selector.name, selector.matchers, offset))

        promql_parser.walk(self.tree, pre_visit=visit)
        return found

    def line_of(self, selector: Selector) -> int:
        """0-based line of `selector` within the expression text."""
        return line_and_column(self.text, selector.offset)[0] - 1 if selector.offset >= 0 else 0

    def yields_nothing(self, missing: set[str]) -> bool:
        """Is the whole result empty when the selectors whose `text` is in `missing` have no series?"""
        return self._empty(self.tree, missing)

    def _selector(self, node: Any) -> Selector:
        name = str(node.name or "")
        matchers: list[Matcher] = []
        for matcher in node.matchers.matchers:
            value = self._value(str(matcher.value))
            op = OPERATORS.get(str(matcher.op), "=")
            if matcher.name == "__name__" and op == "=" and not name:
                name = value
            elif not (matcher.name == "__name__" and op == "=" and value == name):
                matchers.append(Matcher(str(matcher.name), op, value))
        return Selector(name, tuple(matchers))

    def _value(self, placeholder: str) -> str:
        found = _PLACEHOLDER.fullmatch(placeholder)
        if found and int(found.group(1)) < len(self.strings):
            return self.strings[int(found.group(1))]
        return placeholder

    def _empty(self, node: Any, missing: set[str]) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            return self._selector(node).text in missing
        if isinstance(node, promql_parser.MatrixSelector):
            return self._empty(node.vector_selector, missing)
        if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr,
                             promql_parser.AggregateExpr)):
            return self._empty(node.expr, missing)
        if isinstance(node, promql_parser.Call):
            if node.func.name in _NEVER_EMPTY:
                return False
            return any(self._empty(argument, missing) for argument in node.args)
        if isinstance(node, promql_parser.BinaryExpr):
            left, right = self._empty(node.lhs, missing), self._empty(node.rhs, missing)
            operator = str(node.op).lower()
            if operator == "or":
                return left and right
            if operator == "unless":
                return left
            return left or right
        return False  # number and string literals


def parse(text: str) -> Query:
    """Parse `text`; Unparsable with the parser's message when it is not PromQL."""
    tokens = tokenize(text)
    try:
        tree, written = placeholder_parse(tokens)
    except (ValueError, RuntimeError) as error:
        raise Unparsable(str(error)) from None
    return Query(text, tree, tuple(unquote(literal) for literal in written), tuple(tokens))


def unquote(text: str) -> str:
    """A PromQL string literal's value: Go escapes in "..." and '...', none in `...`.

    An escape Go does not know is kept as written (Prometheus would refuse the query; the parser says so).
    """
    if text.startswith("`"):
        return text[1:-1]
    return _ESCAPE.sub(_unescape, text[1:-1])


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", "'": "'", '"': '"'}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code]
    if code[0] in "xuU":
        return chr(int(code[1:], 16))
    if code.isdigit():
        return chr(int(code, 8))
    return match.group(0)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _offset_of(selector: Selector, tokens: tuple[Token, ...], start: int) -> int:
    """Where the selector starts: its metric name, or the `{` of a nameless one, at or after `start`."""
    for token in tokens:
        if token.start < start:
            continue
        if selector.name and token.kind == "identifier" and token.text == selector.name:
            return token.start
        if not selector.name and token.text == "{":
            return token.start
    return -1
