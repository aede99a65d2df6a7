"""Ctrl-C and SIGTERM: the first one stops a run; none cuts its clean-up short.

With `install()` (the CLI does this) the first SIGINT or SIGTERM raises KeyboardInterrupt in the
main thread, and the run unwinds through its `finally` blocks, which remove what it started. Every
later one is counted and announced, never raised: a second Ctrl-C pressed while containers were
being removed used to abort the removal half-way and leave containers and networks behind.
Ctrl-\\ (SIGQUIT) still ends the process at once; `harness sweep` then removes the rest.

`shielded()` guards one clean-up block, also where `install()` was not called (under pytest, in
a library): a SIGINT or SIGTERM arriving inside it is held back and raised as KeyboardInterrupt
once the block has finished. Signals reach only the main thread, so in other threads it is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    # A signal handler may run in the middle of a print to the console; a raw write takes no lock.
    os.write(2, f"\n{message}\n".encode())


@dataclass
class _State:
    installed: bool = False
    #: A KeyboardInterrupt has been raised for this process; from now on it is unwinding.
    raised: bool = False
    #: A signal came inside a shielded block before any was raised; raise once the block ends.
    pending: bool = False
    received: int = 0
    depth: int = 0
    notify: Notify = field(default=_to_stderr)
    previous: dict[int, object] = field(default_factory=dict)


_state = _State()


def install(notify: Notify = _to_stderr) -> None:
    """Handle SIGINT and SIGTERM for the whole process: the first one interrupts, later ones are only counted."""
    global _state
    previous = _state.previous if _state.installed else {signum: signal.getsignal(signum) for signum in SIGNALS}
    _state = _State(installed=True, notify=notify, previous=previous)
    for signum in SIGNALS:
        signal.signal(signum, _handle)


def uninstall() -> None:
    """Give SIGINT and SIGTERM back to the handlers they had before `install()`."""
    global _state
    for signum, handler in _state.previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
    _state = _State()


def received() -> int:
    """How many SIGINT/SIGTERM arrived since `install()` (or in the current shielded block)."""
    return _state.received


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the block to its end even if SIGINT or SIGTERM arrive; raise the held-back interrupt afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {} if _state.installed or _state.depth else {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum in previous:
        signal.signal(signum, _handle)
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if previous:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if not _state.depth and _state.pending:
            _state.pending = False
            # Once the CLI's handler has raised, the process is unwinding: it never raises again.
            _state.raised = _state.installed
            if not _state.installed:
                _state.received = 0
            raise KeyboardInterrupt


def _handle(signum: int, _frame: FrameType | None) -> None:
    _state.received += 1
    if not _state.depth and not _state.raised:
        _state.raised = True
        raise KeyboardInterrupt
    name = signal.Signals(signum).name
    if _state.raised:
        _state.notify(f"{name} again: still removing what the run started (containers, networks, load generator). "
                      "Ctrl-\\ abandons the clean-up; `harness sweep` then removes what is left.")
    else:
        _state.pending = True
        _state.notify(f"{name}: finishing the clean-up first, then stopping.")
