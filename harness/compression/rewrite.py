"""Compress one PromQL expression under the clock model, changing nothing but what time means.

The clock model (README, "Time compression"): in a run compressed N times, every clock is N times
faster (scrape and evaluation intervals, `for:`, range windows, offsets, subquery steps,
Alertmanager's timers, the fault schedule) while every rate keeps its real per-second value
(load, error and business rates, a gauge's slope) and a level stays the level a fault sets.

Under it an expression is one of:
- exact: with its durations divided by N it means what it meant (a rate, a ratio of rates, a
  level, a quantile, anything over a window's samples, `predict_linear`'s horizon, which multiplies
  a real per-second slope);
- adjusted: it also needs a quantity put back: a count over a window N times shorter
  (`increase`, `delta`, `idelta`) or an age read from the wall clock
  (`time() - x`), each multiplied by N; a count of what the stack's own clocks produce (`up`,
  `prometheus_*`, `alertmanager_*`: scrapes, evaluations, notification attempts) needs none;
- real-time only: nothing sound exists (the calendar, a countdown to a date, a fixed `@`
  moment, a count of discrete events with `changes` or `resets`, a look-back longer than a run's
  history); such a rule is verified only at ×1.

Only spans of the original text change: duration tokens are replaced, and an adjustment wraps
its span in `((` ... `) * N)`. Strings, escapes, comments and layout stay as written. Both texts are
then parsed and compared with durations ignored; any other difference is a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import promql_parser

from harness.compression import structure
from harness.compression.functions import CALENDAR, DISCRETE_EVENT_COUNTS, WINDOW_COUNTS, counts_stack_clock
from harness.compression.lexer import Token, tokenize
from harness.compression.structure import PromQLError
from harness.timescale import TimeScale, format_duration, parse_duration

Fidelity = Literal["exact", "adjusted", "real-time only"]

#: The longest look-back (after compression) a run can supply history for.
HISTORY_LIMIT = timedelta(hours=1)
_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_SET_OPERATORS = frozenset({"and", "or", "unless"})
_OPENING = frozenset({"(", "[", "{"})
_CLOSING = frozenset({")", "]", "}"})
_NOT_METRICS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or",
                          "unless", "start", "end", "inf", "nan"})


@dataclass(frozen=True)
class CompressedExpression:
    original: str
    rewritten: str
    fidelity: Fidelity
    #: Why it is adjusted or real-time only, one sentence each; empty when exact.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def compress_expression(text: str, scale: TimeScale, where: str) -> CompressedExpression:
    """Rewrite `text` for `scale`; PromQLError (with `where` and the place) when it cannot be read."""
    tokens = tokenize(text)
    tree = structure.parse(text, tokens, where)
    if scale.factor == 1:
        return CompressedExpression(text, text, "exact")
    factor = f"{scale.factor:g}"
    edits: list[_Edit] = [
        _Edit(token.start, token.end, _scaled_duration(token, scale, where)) for token in tokens if token.kind == "duration"
    ]
    adjusted: list[str] = []
    real_time: list[str] = []
    wraps = 0
    code = [index for index, token in enumerate(tokens) if token.significant]
    ages: list[tuple[int, int]] = []
    for position, index in enumerate(code):
        token = tokens[index]
        if token.kind != "identifier" or not _opens_call(tokens, code, position):
            if token.text == "@" and position + 1 < len(code) and tokens[code[position + 1]].kind == "number":
                real_time.append(f"`@ {tokens[code[position + 1]].text}` evaluates at a fixed moment on the calendar")
            continue
        name = token.text
        if name in WINDOW_COUNTS:
            closing = _matching(tokens, code, position + 1)
            if _only_stack_clock(tokens, code[position + 1 : closing]):
                continue
            edits += _wrap(token.start, tokens[code[closing]].end, factor)
            wraps += 1
            adjusted.append(
                f"`{name}` counts what happens in its window, which is {factor}x shorter while events keep their "
                f"real rate: multiplied by {factor}"
            )
        elif name in DISCRETE_EVENT_COUNTS:
            closing = _matching(tokens, code, position + 1)
            if not _only_stack_clock(tokens, code[position + 1 : closing]):
                real_time.append(
                    f"`{name}` counts discrete events (restarts, flaps); at their real rate a window {factor}x "
                    "shorter holds whole events, and no scaling restores a count of a few"
                )
        elif name in CALENDAR:
            real_time.append(f"`{name}()` reads the calendar, which a compressed run does not compress")
        elif name == "time":
            age_end = _age_end(tokens, code, position)
            if age_end is None:
                real_time.append(_clock_reason(tokens, code, position))
                continue
            edits += _wrap(token.start, tokens[code[age_end]].end, factor)
            ages.append((token.start, tokens[code[age_end]].end))
            wraps += 1
            adjusted.append(
                f"`time() - ...` is an age on the wall clock, which runs {factor}x faster than the run's own: "
                f"multiplied by {factor}"
            )
        elif name == "timestamp" and not any(start <= token.start < end for start, end in ages):
            real_time.append("`timestamp()` outside `time() - timestamp(...)` reads a moment on the wall clock")
    longest = _longest_lookback(tree)
    if longest / scale.factor > HISTORY_LIMIT:
        real_time.append(
            f"looks back {format_duration(longest)} ({format_duration(scale.compress(longest))} at x{factor}), more "
            f"history than a run has (at most {format_duration(HISTORY_LIMIT)})"
        )
    rewritten = _apply(text, edits)
    _check_same_meaning(text, tokens, tree, rewritten, scale, wraps, where)
    fidelity: Fidelity = "real-time only" if real_time else "adjusted" if adjusted else "exact"
    return CompressedExpression(text, rewritten, fidelity, tuple(dict.fromkeys(real_time + adjusted)))


def _scaled_duration(token: Token, scale: TimeScale, where: str) -> str:
    return format_duration(scale.compress(parse_duration(token.text, where)))


def _opens_call(tokens: list[Token], code: list[int], position: int) -> bool:
    return position + 1 < len(code) and tokens[code[position + 1]].text == "(" and tokens[code[position]].kind == "identifier"


def _matching(tokens: list[Token], code: list[int], opening: int) -> int:
    """Position (in `code`) of the bracket that closes the one at `opening`."""
    depth = 0
    for position in range(opening, len(code)):
        text = tokens[code[position]].text
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth -= 1
            if depth == 0:
                return position
    raise PromQLError("unbalanced brackets")


def _only_stack_clock(tokens: list[Token], span: list[int]) -> bool:
    """Do the metrics read in `span` all come from the stack's own clocks (scrapes, evaluations)?"""
    metrics = []
    depth = 0
    for index in span:
        token = tokens[index]
        depth += token.text == "{"
        depth -= token.text == "}"
        if token.kind == "identifier" and depth == 0 and token.text.lower() not in _NOT_METRICS:
            metrics.append(token.text)
    return bool(metrics) and all(counts_stack_clock(metric) for metric in metrics)


def _age_end(tokens: list[Token], code: list[int], position: int) -> int | None:
    """For `time() - X` at the start of an additive expression, the position of X's last token."""
    previous = tokens[code[position - 1]].text.lower() if position > 0 else "("
    if previous not in {"(", ","} | _COMPARISONS | _SET_OPERATORS | {"bool"}:
        return None
    if position + 3 >= len(code) or tokens[code[position + 2]].text != ")" or tokens[code[position + 3]].text != "-":
        return None
    start = position + 4
    depth = 0
    end = None
    for cursor in range(start, len(code)):
        token = tokens[code[cursor]]
        text = token.text.lower()
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and cursor > start and (text in {"+", ",", "-"} | _COMPARISONS | _SET_OPERATORS):
            if text == "-" and tokens[code[cursor - 1]].text.lower() == "offset":
                end = cursor
                continue
            break
        end = cursor
    if end is None:
        return None
    operand = [tokens[code[cursor]] for cursor in range(start, end + 1)]
    if all(token.kind == "number" or token.text in "()+-*/%^" for token in operand):
        return None  # `time() - 3600` is a moment, not an age
    return end


def _clock_reason(tokens: list[Token], code: list[int], position: int) -> str:
    if position > 0 and tokens[code[position - 1]].text == "-":
        return "`... - time()` counts down to a moment on the calendar, which a compressed run never reaches"
    return "`time()` is read in a way no rewrite keeps (only `time() - x`, an age, can be adjusted)"


def _wrap(start: int, end: int, factor: str) -> list[_Edit]:
    return [_Edit(start, start, "(("), _Edit(end, end, f") * {factor})")]


def _apply(text: str, edits: list[_Edit]) -> str:
    # At one position an insertion that closes a span goes before one that opens the next.
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end, not edit.text.startswith(")")))
    parts: list[str] = []
    cursor = 0
    for edit in ordered:
        parts.append(text[cursor : edit.start])
        parts.append(edit.text)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def lookback(text: str, where: str) -> timedelta:
    """How far back an expression looks, in its own (real) time: its longest range plus offset."""
    return _longest_lookback(structure.parse(text, tokenize(text), where))


def _longest_lookback(tree: Any) -> timedelta:
    longest = timedelta(0)

    def visit(node: Any) -> None:
        nonlocal longest
        if isinstance(node, promql_parser.MatrixSelector):
            longest = max(longest, node.range + abs(node.vector_selector.offset or timedelta(0)))
        elif isinstance(node, promql_parser.SubqueryExpr):
            longest = max(longest, node.range + abs(node.offset or timedelta(0)))
        elif isinstance(node, promql_parser.VectorSelector):
            longest = max(longest, abs(node.offset or timedelta(0)))

    promql_parser.walk(tree, post_visit=visit)
    return longest


def _check_same_meaning(
    original: str, tokens: list[Token], tree: Any, rewritten: str, scale: TimeScale, wraps: int, where: str
) -> None:
    refusal = (
        f"{where}: compression would change more than durations, so the rule is refused rather than "
        f"run with another meaning\n    original:  {original.strip()}\n    rewritten: {rewritten.strip()}"
    )
    rewritten_tokens = tokenize(rewritten)
    try:
        rewritten_tree = structure.parse(rewritten, rewritten_tokens, where)
    except PromQLError as error:
        raise PromQLError(f"{refusal}\n    ({error})") from None
    if structure.shape(tree, scale.factor) != structure.shape(rewritten_tree, scale.factor):
        raise PromQLError(f"{refusal}\n    (the parsed trees differ)")
    if structure.count_scalings(rewritten_tree, scale.factor) != structure.count_scalings(tree, scale.factor) + wraps:
        raise PromQLError(f"{refusal}\n    (the adjustments are not where they were made)")
    expected = [scale.compress(duration) for duration in structure.durations(tree)]
    if structure.durations(rewritten_tree) != expected:
        raise PromQLError(f"{refusal}\n    (a duration was not divided by {scale.factor:g})")
    if _literal_text(tokens) != _literal_text(rewritten_tokens):
        raise PromQLError(f"{refusal}\n    (a string or comment changed)")


def _literal_text(tokens: list[Token]) -> list[str]:
    return [token.text for token in tokens if token.kind in ("string", "comment")]

