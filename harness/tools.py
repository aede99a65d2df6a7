"""The command-line tools of the stack's own versions that the harness runs on this machine.

`promtool` (of the Prometheus the stack runs) checks and unit-tests rule files; `amtool` (of its
Alertmanager) checks routing. `scripts/setup` copies both out of the stack's images into
`.venv/bin`, so their versions are the stack's and not whatever a package manager has.
Each is looked for in its environment variable, then `.venv/bin`, then `PATH`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["ToolMissing", "amtool", "promtool"]


class ToolMissing(ConfigError):
    """A tool the harness needs is not on this machine."""


def promtool() -> Path:
    """The stack's promtool: `HARNESS_PROMTOOL`, then `.venv/bin/promtool`, then `PATH`."""
    return _find("promtool", "HARNESS_PROMTOOL", "Prometheus")


def amtool() -> Path:
    """The stack's amtool: `HARNESS_AMTOOL`, then `.venv/bin/amtool`, then `PATH`."""
    return _find("amtool", "HARNESS_AMTOOL", "Alertmanager")


def _find(name: str, variable: str, image: str) -> Path:
    configured = os.environ.get(variable)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolMissing(f"{variable}={configured} is not an executable file. Hint: unset it, or run scripts/setup")
    looked = [str(directory / name) for directory in _venv_bins()]
    for candidate in looked:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolMissing(
        f"{name} not found (looked at ${variable}, {', '.join(looked)} and PATH). Hint: run scripts/setup, which "
        f"copies it out of the stack's {image} image into .venv/bin, or set {variable}"
    )


def _venv_bins() -> list[Path]:
    # The venv that runs us, then the checkout's own (an editable install may run from another venv).
    bins = [Path(sys.prefix) / "bin", Path(__file__).resolve().parents[1] / ".venv" / "bin"]
    return list(dict.fromkeys(bins))
