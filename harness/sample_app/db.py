"""The database: one psycopg_pool.AsyncConnectionPool, and the only way requests use it.

``Database.run(work)`` lends a pooled connection to ``work`` inside a transaction, times the
wait for the connection, bounds the SQL with a deadline and turns every way the database
can be unusable into ``DatabaseUnavailable`` (the app answers 503), counted by reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from .config import Settings, SettingsError
from .metrics import AppMetrics

log = logging.getLogger("sample_app.db")

LOG_EVERY_SECONDS = 10.0

Result = TypeVar("Result")
Work = Callable[[psycopg.AsyncConnection[Any]], Awaitable[Result]]


class DatabaseUnavailable(Exception):
    """The request could not use the database; ``reason`` is the pool error label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Database:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._metrics: AppMetrics | None = None
        self._last_logged: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}
        self._checking: asyncio.Task[None] | None = None
        # A network fault can leave a socket silently dead: give up on unacknowledged data and on
        # dead idle peers after seconds, not after the kernel's 15-minute retransmission limit.
        defaults = {
            "application_name": "sample_app",
            "connect_timeout": "5",
            "tcp_user_timeout": "10000",
            "keepalives_idle": "10",
            "keepalives_interval": "5",
            "keepalives_count": "2",
        }
        try:
            given = conninfo_to_dict(settings.database_url)
        except psycopg.ProgrammingError as error:
            raise SettingsError(f"DATABASE_URL cannot be used: {error}") from None
        self.pool = AsyncConnectionPool(
            settings.database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.pool_timeout_seconds,
            kwargs={key: value for key, value in defaults.items() if key not in given},
            name="sample_app",
            open=False,
        )

    def attach(self, metrics: AppMetrics) -> None:
        self._metrics = metrics

    async def open(self) -> None:
        # Do not wait for the first connections: the app serves /health (503) while PostgreSQL starts.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close(timeout=2.0)

    def stats(self) -> Mapping[str, int]:
        return self.pool.get_stats()

    async def run(
        self,
        work: Work[Result],
        wait_timeout: float | None = None,
        query_timeout: float | None = None,
        record: bool = True,
    ) -> Result:
        """Run ``work`` on a pooled connection in a transaction, committed if it returns.

        The timeouts default to the settings. ``record=False`` keeps the call out of the pool
        metrics (health checks poll while PostgreSQL starts, and must not look like pool
        errors to an alert rule).
        """
        query_timeout = query_timeout or self._settings.query_timeout_seconds
        started = time.perf_counter()
        try:
            conn = await self.pool.getconn(timeout=wait_timeout)
        except PoolTimeout as error:
            self._waited(started, record)
            waited = wait_timeout or self._settings.pool_timeout_seconds
            message = f"no database connection free within {waited} s (pool max {self._settings.pool_max_size})"
            raise self._unavailable(record, "timeout", message) from error
        self._waited(started, record)
        try:
            return await asyncio.wait_for(_transaction(conn, work), query_timeout)
        except asyncio.TimeoutError as error:
            # The server may be paused or cut off: do not wait for a rollback, drop the connection.
            await conn.close()
            message = f"the query did not finish within {query_timeout} s"
            raise self._unavailable(record, "query_timeout", message) from error
        except psycopg.OperationalError as error:
            self._check_idle_connections()
            raise self._unavailable(record, "connection", f"the database connection failed: {error}") from error
        finally:
            await self.pool.putconn(conn)

    def _check_idle_connections(self) -> None:
        # One broken connection usually means all idle ones are (PostgreSQL restarted): test and
        # replace them in the background, rather than fail one request per stale connection.
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self.pool.check())

    def _waited(self, started: float, record: bool) -> None:
        if record and self._metrics is not None:
            self._metrics.observe_pool_wait(time.perf_counter() - started)

    def _unavailable(self, record: bool, reason: str, message: str) -> DatabaseUnavailable:
        if record and self._metrics is not None:
            self._metrics.count_pool_error(reason)
            self._log_throttled(reason, message)
        return DatabaseUnavailable(reason, message)

    def _log_throttled(self, reason: str, message: str) -> None:
        # Under a fault this happens on every request; one line per reason per 10 s is enough.
        now = time.monotonic()
        if now - self._last_logged.get(reason, -LOG_EVERY_SECONDS) < LOG_EVERY_SECONDS:
            self._unlogged[reason] = self._unlogged.get(reason, 0) + 1
            return
        self._last_logged[reason] = now
        more = self._unlogged.pop(reason, 0)
        log.warning("database unavailable (%s): %s%s", reason, message, f" (and {more} more)" if more else "")


async def _transaction(conn: psycopg.AsyncConnection[Any], work: Work[Result]) -> Result:
    try:
        result = await work(conn)
    except Exception:
        # Not on cancellation: a rollback to a hung server would hang the deadline too.
        try:
            await conn.rollback()
        except psycopg.Error:
            pass
        raise
    await conn.commit()
    return result
