"""The ASGI application: /api routes on PostgreSQL behind a Redis cache, /health, /metrics and
the fault control API; a Redis job queue with its workers runs beside them.

Request flow for ``/api/*``: RequestMetrics (times and counts every request, injected errors
included) -> FaultInjection (may wait, then may answer a 5xx before any database work) -> the
route. ``GET /api/items?page=N`` (20 items a page) reads through the cache, one key per page for
CACHE_TTL_SECONDS. ``/health``, ``/metrics`` and ``/control/*`` are not counted in the request
metrics; ``/health`` is about the database only.

Control API: ``PUT /control/faults/{kind}`` (JSON body) causes a fault, replacing one of the same
kind; ``DELETE /control/faults/{kind}`` and ``DELETE /control/faults`` undo; ``GET /control/faults``
lists what is active (with live progress), every known kind, and the last one-shot faults.
Answers: 404 unknown kind, 422 bad body, 409 not possible in this configuration (no Redis),
503 could not be caused right now (Redis did not answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import psycopg
import psycopg.errors
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .business import Business
from .cache import CACHE_SOCKET_TIMEOUT_SECONDS, Cache, connect
from .config import Settings
from .db import Database, DatabaseUnavailable
from .effects import Effects
from .faults import (
    REDIS,
    FaultFailed,
    FaultSpecError,
    FaultState,
    FaultUnavailable,
    UnknownFaultKind,
    decode_body,
)
from .jobs import WORKER_SOCKET_TIMEOUT_SECONDS, JobQueue
from .metrics import AppMetrics, RouteSpec
from .names import MetricNames
from .orders import OrderRequest, OrderSpecError
from .tasks import Tasks

log = logging.getLogger("sample_app")

API_PREFIX = "/api/"
PAGE_SIZE = 20
MAX_PAGE = 1000
ITEMS_SQL = f"SELECT id, name FROM items ORDER BY id LIMIT {PAGE_SIZE} OFFSET %s"
ORDER_SQL = "INSERT INTO orders (item_id, quantity) VALUES (%s, %s) RETURNING id"
#: Every measured route with the statuses it can answer, so each series starts at 0.
API_ROUTES = (
    RouteSpec("GET", "/api/items", (200, 422, 500, 503)),
    RouteSpec("POST", "/api/orders", (201, 422, 500, 503)),
)
NO_REDIS = (
    "REDIS_URL is empty, so the cache and the job queue are off. "
    "Hint: run a Redis beside the app and set REDIS_URL=redis://redis:6379/0."
)
UNMATCHED_ROUTE = "unmatched"
HEALTH_TIMEOUT_SECONDS = 2.0


def create_app(settings: Settings, faults: FaultState | None = None, names: MetricNames | None = None) -> Starlette:
    state = faults if faults is not None else FaultState()
    business = Business(settings.active_users, settings.active_users_limit, settings.credits)
    db = Database(settings)
    metrics = AppMetrics(
        API_ROUTES,
        lambda: db.stats(),
        names or settings.metric_names(),
        business,
        workers=settings.workers if settings.redis_url else 0,
    )
    db.attach(metrics)
    if settings.redis_url:
        redis_client = connect(settings.redis_url, CACHE_SOCKET_TIMEOUT_SECONDS)
        worker_client = connect(settings.redis_url, WORKER_SOCKET_TIMEOUT_SECONDS)
    else:
        redis_client = worker_client = None
        state.without(REDIS, NO_REDIS)
    cache = Cache(redis_client, metrics, state, settings.cache_ttl_seconds)
    background = Tasks()
    queue = JobQueue(redis_client, worker_client, metrics, state, background, settings)
    effects = Effects(state, db, cache, queue, business, settings.pool_max_size)
    # One control request at a time: a PUT and a DELETE of one kind must not interleave their undo and do.
    control = asyncio.Lock()

    async def list_items(request: Request) -> Response:
        try:
            page = _page(request.query_params.get("page", "1"))
        except ValueError as error:
            return _error(422, str(error))
        key = f"sample_app:items:page:{page}"
        cached = await cache.get(key)
        if cached is not None:
            return Response(cached, media_type="application/json")

        async def work(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(ITEMS_SQL, ((page - 1) * PAGE_SIZE,))
            return await cursor.fetchall()

        try:
            rows = await db.run(work, sleep_seconds=state.slow_query_seconds())
        except DatabaseUnavailable as error:
            return _unavailable(error)
        body = json.dumps({"items": [{"id": row[0], "name": row[1]} for row in rows]}).encode()
        await cache.set(key, body)
        return Response(body, media_type="application/json")

    async def create_order(request: Request) -> Response:
        try:
            order = OrderRequest.from_json(await request.body())
        except OrderSpecError as error:
            return _error(422, str(error))

        async def work(conn: psycopg.AsyncConnection[Any]) -> int:
            cursor = await conn.execute(ORDER_SQL, (order.item_id, order.quantity))
            row = await cursor.fetchone()
            assert row is not None
            return int(row[0])

        try:
            order_id = await db.run(work, sleep_seconds=state.slow_query_seconds())
        except DatabaseUnavailable as error:
            return _unavailable(error)
        except psycopg.errors.ForeignKeyViolation:
            return _error(422, f"order: item {order.item_id} does not exist")
        return JSONResponse({"id": order_id, "item_id": order.item_id, "quantity": order.quantity}, status_code=201)

    async def health(request: Request) -> Response:
        try:
            await db.run(
                lambda conn: conn.execute("SELECT 1"),
                wait_timeout=HEALTH_TIMEOUT_SECONDS,
                query_timeout=HEALTH_TIMEOUT_SECONDS,
                record=False,
            )
        except DatabaseUnavailable as error:
            return JSONResponse({"status": "unavailable", "reason": error.reason, "error": str(error)}, 503)
        return JSONResponse({"status": "ok"})

    async def metrics_endpoint(request: Request) -> Response:
        await queue.refresh_depth()
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def list_faults(request: Request) -> Response:
        progress = effects.progress()
        active = {kind: {**described, **progress.get(kind, {})} for kind, described in state.describe().items()}
        return JSONResponse({"active": active, "kinds": state.kinds, "last": state.last()})

    async def set_fault(request: Request) -> Response:
        kind = request.path_params["kind"]
        try:
            fault = state.parse(kind, decode_body(kind, await request.body()))
        except UnknownFaultKind as error:
            return _error(404, str(error))
        except FaultSpecError as error:
            return _error(422, str(error))
        except FaultUnavailable as error:
            return _error(409, str(error))
        for status in fault.response_statuses():
            metrics.ensure_status(status)
        async with control:
            try:
                outcome = await effects.start(fault)
            except FaultFailed as error:
                return _error(503, str(error))
            state.activate(fault, outcome)
        log.info("fault %s on: %s", kind, {**fault.describe(), **outcome})
        return JSONResponse({"kind": kind, **fault.describe(), **outcome})

    async def clear_fault(request: Request) -> Response:
        kind = request.path_params["kind"]
        async with control:
            try:
                was_active = state.clear(kind)
            except UnknownFaultKind as error:
                return _error(404, str(error))
            try:
                await effects.stop(kind)
            except FaultFailed as error:
                return _error(503, str(error))
        log.info("fault %s off", kind)
        return JSONResponse({"cleared": [kind] if was_active else []})

    async def clear_faults(request: Request) -> Response:
        async with control:
            cleared = state.clear_all()
            try:
                await effects.stop_all()
            except FaultFailed as error:
                return _error(503, str(error))
        log.info("all faults off (were on: %s)", ", ".join(cleared) or "none")
        return JSONResponse({"cleared": cleared})

    api_routes = [
        Route("/api/items", list_items, methods=["GET"]),
        Route("/api/orders", create_order, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open()
        await queue.start()
        log.info(
            "serving on :%d, database pool %d..%d connections (wait up to %s s), %s",
            settings.port,
            settings.pool_min_size,
            settings.pool_max_size,
            settings.pool_timeout_seconds,
            (
                f"cache and {settings.workers} job workers on {_without_password(settings.redis_url)}"
                if settings.redis_url
                else "no cache or job queue (REDIS_URL is empty)"
            ),
        )
        try:
            yield
        finally:
            await effects.stop_all()
            await background.stop_all()
            for client in (redis_client, worker_client):
                if client is not None:
                    await client.close(close_connection_pool=True)
            await db.close()

    return Starlette(
        routes=[
            *api_routes,
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/control/faults", list_faults, methods=["GET"]),
            Route("/control/faults", clear_faults, methods=["DELETE"]),
            Route("/control/faults/{kind}", set_fault, methods=["PUT"]),
            Route("/control/faults/{kind}", clear_fault, methods=["DELETE"]),
        ],
        middleware=[
            Middleware(RequestMetrics, metrics=metrics, routes=api_routes),
            Middleware(FaultInjection, faults=state),
        ],
        exception_handlers={Exception: _internal_error},
        lifespan=lifespan,
    )


class RequestMetrics:
    """Counts and times every /api request by route template, whatever answers it."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before it answers

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            self.metrics.observe_request(scope["method"], self._template(scope), status, time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        # The template, not the path, keeps the label set bounded.
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return getattr(route, "path", UNMATCHED_ROUTE)
        return UNMATCHED_ROUTE


class FaultInjection:
    """Delays a share of /api requests (latency fault), then answers a share with the errors
    fault's status, before any database work."""

    def __init__(self, app: ASGIApp, faults: FaultState) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            delay = self.faults.latency_seconds()
            if delay:
                await asyncio.sleep(delay)
            status = self.faults.injected_status()
            if status is not None:
                response = JSONResponse({"error": "injected fault", "kind": "errors", "status": status}, status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _page(raw: str) -> int:
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"items: 'page' must be an integer from 1 to {MAX_PAGE}, got {raw!r}")
    return page


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    _, at, host = rest.rpartition("@")
    return f"{scheme}://{'***@' if at else ''}{host}"


def _unavailable(error: DatabaseUnavailable) -> Response:
    return JSONResponse({"error": str(error), "reason": error.reason}, status_code=503)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def _internal_error(request: Request, error: Exception) -> Response:
    # Starlette re-raises after answering, so uvicorn logs the traceback; no need to log it here.
    return _error(500, f"internal error: {type(error).__name__}: {error}")
