"""Progress lines: what long work says while it runs. A plain message is kept in the log; a Transient
one (what a scenario is waiting for, repeated every half second) only replaces the status line."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


class Transient(str):
    """A progress message that replaces the last one on screen and is not kept in the log."""


def prefixed(progress: Progress, prefix: str) -> Progress:
    """The same progress, each message led by `prefix` (a lane, a mutant); a Transient stays one."""
    return lambda message: progress(type(message)(f"{prefix}: {message}"))
