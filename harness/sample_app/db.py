"""The database: one psycopg_pool.AsyncConnectionPool, and the only way requests use it.

``Database.run(work)`` lends a pooled connection to ``work`` inside a transaction, times the
wait for the connection, bounds the SQL with a deadline and turns every way the database
can be unusable into ``DatabaseUnavailable`` (the app answers 503), counted by reason.
``Database.hold`` takes connections out of the pool on purpose (the pool_hold fault).
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
from .tasks import pause
from .throttle import ThrottledLog

log = logging.getLogger("sample_app.db")

#: A holder waits this long for each connection, then asks again, so a release is never late by more.
HOLD_ATTEMPT_SECONDS = 0.25
HOLD_STATEMENT_SECONDS = 2.0
SLEEP_SQL = "SELECT pg_sleep(%s)"

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
        self._warnings = ThrottledLog(log)
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
        sleep_seconds: float | None = None,
    ) -> Result:
        """Run ``work`` on a pooled connection in a transaction, committed if it returns.

        The timeouts default to the settings. ``record=False`` keeps the call out of the pool
        metrics (health checks poll while PostgreSQL starts, and must not look like pool
        errors to an alert rule). ``sleep_seconds`` runs ``pg_sleep`` first, in the same
        transaction and under the same deadline (the slow_query fault).
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
            # PostgreSQL notices a closed connection only when it next writes: a sleep longer than the
            # deadline would keep its backend busy after the request gave up on it.
            sleep = min(sleep_seconds, query_timeout + 1.0) if sleep_seconds else None
            return await asyncio.wait_for(_transaction(conn, work, sleep), query_timeout)
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

    async def hold(
        self, connections: int, seconds: float, release: asyncio.Event, on_held: Callable[[int], None]
    ) -> None:
        """Take ``connections`` out of the pool and keep them ``seconds``, or until ``release`` is set.

        Each is left idle in a transaction, as a request stuck after its first query looks in
        pg_stat_activity. While requests hold connections the holder queues with them and
        takes each as it comes free. ``on_held`` hears the count after every change.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        held: list[psycopg.AsyncConnection[Any]] = []
        try:
            while len(held) < connections and not release.is_set() and loop.time() < deadline:
                try:
                    conn = await self.pool.getconn(timeout=min(HOLD_ATTEMPT_SECONDS, deadline - loop.time()))
                except PoolTimeout:
                    continue
                held.append(conn)
                on_held(len(held))
                await _bounded(conn, conn.execute("SELECT pg_backend_pid()"))
            await pause(release, deadline - loop.time())
        finally:
            for conn in held:
                if not conn.closed:
                    await _bounded(conn, conn.rollback())
                await self.pool.putconn(conn)  # the pool replaces a connection it gets back closed
            on_held(0)

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
            self._warnings.warning(reason, f"database unavailable ({reason}): {message}")
        return DatabaseUnavailable(reason, message)


async def _bounded(conn: psycopg.AsyncConnection[Any], statement: Awaitable[Any]) -> None:
    """Run a statement of the pool_hold fault; a database that does not answer must not make the
    fault impossible to undo, so the connection is closed instead."""
    try:
        await asyncio.wait_for(statement, HOLD_STATEMENT_SECONDS)
    except (psycopg.Error, asyncio.TimeoutError) as error:
        log.warning("pool_hold: closing a held connection that failed: %s", error or type(error).__name__)
        await conn.close()


async def _transaction(conn: psycopg.AsyncConnection[Any], work: Work[Result], sleep_seconds: float | None) -> Result:
    try:
        if sleep_seconds:
            await conn.execute(SLEEP_SQL, (sleep_seconds,))
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
