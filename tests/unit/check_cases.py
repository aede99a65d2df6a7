"""Fixture cases of `harness check`: one planted problem per folder, and variants of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from harness.check.findings import Finding

CHECK_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"


def only_finding(check: Callable[[Path], list[Finding]], folder: Path) -> Finding:
    """The one finding of a fixture case."""
    found = check(folder)
    assert len(found) == 1, found
    return found[0]


def variant_of(folder: Path, target: Path, old: str, new: str, file: str) -> Path:
    """A copy of a fixture case with one line changed."""
    shutil.copytree(folder, target)
    text = (target / file).read_text()
    assert text.count(old) == 1, old
    (target / file).write_text(text.replace(old, new))
    return target
