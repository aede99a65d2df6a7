"""Warnings that would come once per request under a fault, logged once per key per interval."""

from __future__ import annotations

import logging
import time


class ThrottledLog:
    """Logs the first warning of a key, then at most one per ``every`` seconds with a count of the rest."""

    def __init__(self, log: logging.Logger, every: float = 10.0) -> None:
        self._log = log
        self._every = every
        self._last_logged: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    def warning(self, key: str, message: str) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(key, -self._every) < self._every:
            self._unlogged[key] = self._unlogged.get(key, 0) + 1
            return
        self._last_logged[key] = now
        more = self._unlogged.pop(key, 0)
        self._log.warning("%s%s", message, f" (and {more} more)" if more else "")
