"""PromQL text as tokens with their places, so a rewrite can change spans and leave the rest alone.

This lexer only finds where things are: strings (any quoting, escapes kept as written), comments,
durations, numbers, identifiers and punctuation. Whether the expression is valid PromQL is for the
parser to say; a character the lexer does not know becomes a one-character `unknown` token, which
the parser then refuses with its own message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["space", "comment", "string", "duration", "number", "identifier", "punct", "unknown"]

_PATTERNS: tuple[tuple[TokenKind, re.Pattern[str]], ...] = (
    ("space", re.compile(r"[ \t\r\n]+")),
    ("comment", re.compile(r"#[^\n]*")),
    ("string", re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`')),
    ("duration", re.compile(r"(?:[0-9]+(?:ms|[smhdwy]))+(?![A-Za-z0-9_])")),
    ("number", re.compile(r"0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")),
    ("identifier", re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")),
    ("punct", re.compile(r"==|!=|=~|!~|>=|<=|[-+*/%^=<>@,(){}\[\]:]")),
)
#: Inside `{...}` and `[...]` a colon is not part of a name (`x[5m:1m]`, label names have none).
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def significant(self) -> bool:
        return self.kind not in ("space", "comment")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    nesting = 0  # depth of `{` and `[`, where names carry no colon
    while position < len(text):
        token = _next_token(text, position, inside_brackets=nesting > 0)
        if token.text in ("{", "["):
            nesting += 1
        elif token.text in ("}", "]"):
            nesting = max(0, nesting - 1)
        tokens.append(token)
        position = token.end
    return tokens


def _next_token(text: str, position: int, inside_brackets: bool) -> Token:
    for kind, pattern in _PATTERNS:
        if kind == "identifier" and inside_brackets:
            pattern = _LABEL_NAME
        match = pattern.match(text, position)
        if match and match.end() > position:
            return Token(kind, match.group(), position)
    return Token("unknown", text[position], position)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def significant(tokens: list[Token]) -> list[Token]:
    return [token for token in tokens if token.significant]
