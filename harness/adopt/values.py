"""Label values a selector's matchers accept: the shortest string a regex matches, one a negation allows."""

from __future__ import annotations

import codecs
import re
from typing import Any

try:  # Python 3.11 moved the regex parser; it is what `re` itself parses with
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

_OTHER = "harness"


def unquote(literal: str) -> str:
    """A PromQL string literal as its value: `"5.."` -> 5.., backquotes raw."""
    if literal.startswith("`"):
        return literal[1:-1]
    return codecs.decode(literal[1:-1].encode("latin-1", "backslashreplace"), "unicode_escape")


def matching(pattern: str) -> str | None:
    """A short string the anchored regex `pattern` matches (as Prometheus anchors it), or None."""
    try:
        parsed = sre_parse.parse(pattern)
        candidate = _generate(list(parsed))
    except (re.error, ValueError, RecursionError, OverflowError):
        return None
    return candidate if re.fullmatch(pattern, candidate, re.DOTALL) else None


def not_matching(pattern: str) -> str | None:
    """A value `!~ pattern` keeps, or None when the regex matches everything we try."""
    for candidate in (_OTHER, "", "x9", "harness-other"):
        try:
            if not re.fullmatch(pattern, candidate, re.DOTALL):
                return candidate
        except re.error:
            return None
    return None


def other_than(value: str) -> str:
    """A value `!= value` keeps."""
    return _OTHER if value != _OTHER else _OTHER + "2"


def _generate(items: list[tuple[Any, Any]]) -> str:
    return "".join(_one(op, argument) for op, argument in items)


def _one(op: Any, argument: Any) -> str:
    name = str(op)
    if name == "LITERAL":
        return chr(argument)
    if name == "NOT_LITERAL":
        return "x" if chr(argument) != "x" else "y"
    if name == "ANY":
        return "0"  # status=~"5.." reads best as 500
    if name == "IN":
        return _from_set(argument)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, inner = argument
        return _generate(list(inner)) * max(low, 0)
    if name == "SUBPATTERN":
        return _generate(list(argument[-1]))
    if name == "BRANCH":
        return _generate(list(argument[1][0]))
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return ""
    if name == "CATEGORY":
        return _category(argument)
    raise ValueError(f"regex construct {name} is not generated")


def _from_set(items: list[tuple[Any, Any]]) -> str:
    negated = any(str(op) == "NEGATE" for op, _ in items)
    if negated:
        excluded = {chr(arg) for op, arg in items if str(op) == "LITERAL"}
        return next(c for c in "xyz0a" if c not in excluded)
    op, argument = items[0]
    if str(op) == "LITERAL":
        return chr(argument)
    if str(op) == "RANGE":
        return chr(argument[0])
    if str(op) == "CATEGORY":
        return _category(argument)
    raise ValueError(f"set member {op} is not generated")


def _category(argument: Any) -> str:
    name = str(argument)
    if "NOT_DIGIT" in name:
        return "x"
    if "DIGIT" in name:
        return "0"
    if "NOT_SPACE" in name or "WORD" in name and "NOT" not in name:
        return "a"
    if "SPACE" in name:
        return " "
    return "x"
