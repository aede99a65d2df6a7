"""The one place that waits. Everything that polls with a deadline goes through here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


_cancelled = threading.Event()


class Cancelled(BaseException):
    """The run was interrupted (Ctrl-C, SIGTERM) while this thread waited; unwind and clean up."""


def cancel() -> None:
    """Wake every waiting thread with Cancelled, so parallel lanes stop as promptly as the main one."""
    _cancelled.set()


def reset_cancellation() -> None:
    _cancelled.clear()


def _pause(seconds: float, cancellable: bool = True) -> None:
    if not cancellable:
        # Clean-up waits: an interrupted run must still finish removing what it started.
        time.sleep(max(0.0, seconds))
    elif _cancelled.wait(max(0.0, seconds)):
        raise Cancelled("the run was interrupted")


class Timeout(Exception):
    """A wait ran out of time; `last` says what was seen last."""

    def __init__(self, message: str, last: object = None) -> None:
        super().__init__(message)
        self.last = last


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    describe: str,
    on_error: tuple[type[BaseException], ...] = (),
    cancellable: bool = True,
) -> T:
    """Call `probe` until it returns something other than None (or False), or raise Timeout.

    Exceptions listed in `on_error` count as "not yet" and the last one is reported on timeout.
    A wait that is part of a clean-up passes `cancellable=False`: `cancel()` does not cut it short.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = probe()
        except on_error as error:  # type: ignore[misc]
            result, last = None, error
        else:
            if result is not None and result is not False:
                return result
            last = result
        if time.monotonic() >= deadline:
            raise Timeout(f"{describe}: not reached within {timeout:.1f} s (last seen: {last!r})", last)
        _pause(interval, cancellable)


def sleep(seconds: float) -> None:
    """Pause a scenario step (a baseline, a fault window); the only plain sleep in the harness."""
    if seconds > 0:
        _pause(seconds)


def now() -> float:
    """Wall-clock seconds, comparable with the sink's and Prometheus's timestamps."""
    return time.time()


def monotonic() -> float:
    return time.monotonic()


def repeat_until_stopped(action: Callable[[], None], interval: float, stopped: threading.Event) -> None:
    """Call `action` every `interval` seconds until `stopped` is set (for background observers)."""
    while not stopped.is_set():
        action()
        stopped.wait(interval)
