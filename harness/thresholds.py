"""An alert rule's threshold: its expression without the comparison, so a run can watch how near it came.

`rate(errors[5m]) / rate(requests[5m]) > 0.01` has the left-hand side `rate(errors[5m]) /
rate(requests[5m])` and the threshold `> 0.01`. A scenario that expects the alert to stay
silent is only worth something if that left-hand side got close: "peak 0.0094 against > 0.01: 94 %".
Expressions with a conjunction (`... > 0.01 and rate(requests[5m]) > 1`) are read through their
first operand; expressions without a number to compare against have no threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.compression.lexer import Token, tokenize

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
    """The comparison at the top of `expression` (through `and` / `unless`), or None.

    The left-hand side is cut from the text as written, never printed back from a parsed tree,
    so its strings and escapes are the rule's own.
    """
    tokens = [token for token in tokenize(expression) if token.significant]
    if any(token.kind == "unknown" for token in tokens):
        return None
    first = _before_top_level(tokens, {"and", "unless"}, stop_at={"or"})
    if first is None:
        return None
    while len(first) > 2 and first[0].text == "(" and _closing(first, 0) == len(first) - 1:
        first = first[1:-1]
    comparisons = [index for index, depth in _top_level(first) if first[index].text in _FLIPPED]
    if len(comparisons) != 1:
        return None
    at = comparisons[0]
    if at + 1 < len(first) and first[at + 1].text.lower() == "bool":
        return None
    left, right = first[:at], first[at + 1 :]
    op = first[at].text
    if _number(right) is not None and left:
        return Threshold(_text(expression, left), op, _number(right))  # type: ignore[arg-type]
    if _number(left) is not None and right:
        return Threshold(_text(expression, right), _FLIPPED[op], _number(left))  # type: ignore[arg-type]
    return None


def _top_level(tokens: list[Token]) -> list[tuple[int, int]]:
    """(index, depth) of every token not inside brackets."""
    found, depth = [], 0
    for index, token in enumerate(tokens):
        if token.text in ("(", "[", "{"):
            depth += 1
        elif token.text in (")", "]", "}"):
            depth -= 1
        elif depth == 0:
            found.append((index, depth))
    return found


def _before_top_level(tokens: list[Token], words: set[str], stop_at: set[str]) -> list[Token] | None:
    for index, _ in _top_level(tokens):
        word = tokens[index].text.lower()
        if word in stop_at:
            return None
        if word in words:
            return tokens[:index]
    return tokens


def _closing(tokens: list[Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        depth += tokens[index].text in ("(", "[", "{")
        depth -= tokens[index].text in (")", "]", "}")
        if depth == 0:
            return index
    return -1


def _number(tokens: list[Token]) -> float | None:
    sign = 1.0
    if len(tokens) == 2 and tokens[0].text in ("-", "+"):
        sign, tokens = (-1.0 if tokens[0].text == "-" else 1.0), tokens[1:]
    if len(tokens) != 1 or tokens[0].kind != "number":
        return None
    text = tokens[0].text
    return sign * (float(int(text, 16)) if text.lower().startswith("0x") else float(text))


def _text(expression: str, tokens: list[Token]) -> str:
    return expression[tokens[0].start : tokens[-1].end].strip()
