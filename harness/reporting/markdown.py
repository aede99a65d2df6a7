"""report.md: the report as text, safe for any PromQL a table cell or a code span may hold.

    cell(text)   a table cell, shown as written: `|` escaped (GitHub's tables split on it even inside
                 code spans), backticks escaped (no code span opens by accident),
                 newlines folded, so `up{a=~`p|q`} || y` stays one cell with its text
    code(text)   a code span whose fence is longer than any run of backticks inside (PromQL's raw
                 strings are written in backticks), padded where the text starts or ends with one
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from harness.reporting.summary import anchor

__all__ = ["cell", "code", "environment", "render"]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def cell(text: object) -> str:
    shown = "" if text is None else str(text)
    for special in ("\\", "|", "`"):
        shown = shown.replace(special, "\\" + special)
    return shown.replace("\r", " ").replace("\n", " ")


def code(text: object) -> str:
    shown = ("" if text is None else str(text)).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def code_cell(text: object) -> str:
    """A code span inside a table cell: `|` still needs its backslash there (GitHub takes it out again)."""
    return code(text).replace("|", "\\|")


def environment(autoescape: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape, trim_blocks=True)
    env.filters.update(cell=cell, code=code, code_cell=code_cell, seconds=seconds, anchor=anchor)
    return env


def seconds(value: float | None, scale: float = 1.0) -> str:
    """`12.3 s`, or `4.1 min` past two minutes; `–` for nothing measured."""
    if value is None:
        return "–"
    shown = value * scale
    return f"{shown / 60:.1f} min" if shown >= 120 else f"{shown:.1f} s"


def render(data: dict[str, Any], summary: dict[str, Any], mutation: dict[str, Any] | None = None) -> str:
    return environment().get_template("report.md.j2").render(run=data, summary=summary, mutation=mutation)
