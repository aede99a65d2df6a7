"""An alert rule's threshold: its expression without the comparison, so a run can watch how near it came.

`rate(errors[5m]) / rate(requests[5m]) > 0.01` has the left-hand side `rate(errors[5m]) /
rate(requests[5m])` and the threshold `> 0.01`. A scenario that expects the alert to stay
silent is only worth something if that left-hand side got close: "peak 0.0094 against > 0.01: 94 %".
Expressions with a conjunction (`... > 0.01 and rate(requests[5m]) > 1`) are read through their
first operand; expressions without a number to compare against have no threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_ABOVE = {">", ">="}
_BELOW = {"<", "<="}


@dataclass(frozen=True)
class Threshold:
    lhs: str
    op: str
    value: float

    @property
    def fires_above(self) -> bool:
        return self.op in _ABOVE

    @property
    def comparable(self) -> bool:
        """Whether "how near" means something: an ordering comparison against a non-zero number."""
        return self.op in _ABOVE | _BELOW and self.value != 0

    def approach(self, values: list[float]) -> tuple[float, float] | None:
        """(the closest value seen, how near it came as a fraction of the threshold); None without values.

        For `> T` the closest is the highest value and nearness is value / T; for `< T` the
        lowest, and nearness T / value. 1.0 or more means the threshold was reached.
        """
        finite = [value for value in values if value == value]
        if not finite or not self.comparable:
            return None
        closest = max(finite) if self.fires_above else min(finite)
        if self.fires_above:
            return closest, closest / self.value
        return closest, (self.value / closest) if closest > 0 else float("inf")

    def describe(self, closest: float, nearness: float) -> str:
        word = "peak" if self.fires_above else "lowest"
        return f"{word} {closest:.4g} against {self.op} {self.value:g}: {nearness:.0%}"


def threshold_of(expression: str) -> Threshold | None:
    """The comparison at the top of `expression` (through `and` / `unless`), or None."""
    try:
        node = promql_parser.parse(expression)
    except ValueError:
        return None
    while isinstance(node, promql_parser.BinaryExpr) and str(node.op) in ("and", "unless"):
        node = node.lhs
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if not isinstance(node, promql_parser.BinaryExpr):
        return None
    op = str(node.op)
    if op not in _FLIPPED or _returns_bool(node):
        return None
    if isinstance(node.rhs, promql_parser.NumberLiteral):
        return Threshold(node.lhs.prettify(), op, float(node.rhs.val))
    if isinstance(node.lhs, promql_parser.NumberLiteral):
        return Threshold(node.rhs.prettify(), _FLIPPED[op], float(node.lhs.val))
    return None


def _returns_bool(node: promql_parser.BinaryExpr) -> bool:
    modifier = node.modifier
    return bool(modifier is not None and getattr(modifier, "return_bool", False))
