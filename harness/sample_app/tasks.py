"""The app's background loops, each started under a name and stopped by asking (standard library only).

A loop is never cancelled: it gets an ``asyncio.Event`` and returns soon after it is set. Cancelling
in the middle of a Redis command (redis-py 4.3) or a pool checkout (psycopg_pool 3.1) can leave a
connection in use by nobody, or answering the wrong caller; asking cannot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("sample_app.tasks")

Loop = Callable[[asyncio.Event], Awaitable[None]]
Step = Callable[[float], Awaitable[bool | None]]


class Tasks:
    """Named background loops; starting a name again stops the one running under it first."""

    def __init__(self) -> None:
        self._running: dict[str, tuple[asyncio.Event, asyncio.Task[None]]] = {}

    async def start(self, name: str, loop: Loop) -> None:
        await self.stop(name)
        stop = asyncio.Event()
        self._running[name] = (stop, asyncio.create_task(self._guarded(name, loop, stop), name=name))

    def running(self, name: str) -> bool:
        entry = self._running.get(name)
        return entry is not None and not entry[1].done()

    async def stop(self, name: str) -> None:
        """Ask the loop under ``name`` to stop and wait until it has."""
        entry = self._running.pop(name, None)
        if entry is not None:
            stop, task = entry
            stop.set()
            await task

    async def stop_all(self) -> None:
        entries = list(self._running.values())
        self._running.clear()
        for stop, _ in entries:
            stop.set()
        await asyncio.gather(*(task for _, task in entries))

    @staticmethod
    async def _guarded(name: str, loop: Loop, stop: asyncio.Event) -> None:
        try:
            await loop(stop)
        except Exception:
            # A loop that dies would leave its fault half on; say so instead of failing silently.
            log.exception("background loop %s failed", name)


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set, whichever comes first. Returns whether it was set."""
    if seconds <= 0:
        return stop.is_set()
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def every(seconds: float, stop: asyncio.Event, step: Step) -> None:
    """Call ``step(elapsed)`` every ``seconds`` until ``stop`` is set or ``step`` returns True (done)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not stop.is_set():
        if await step(loop.time() - started):
            return
        if await pause(stop, seconds):
            return
