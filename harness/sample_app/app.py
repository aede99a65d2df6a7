"""The ASGI application: /api routes on PostgreSQL, /health, /metrics and the fault control API.

Request flow for ``/api/*``: RequestMetrics (times and counts every request, injected errors
included) -> FaultInjection (may answer a 5xx before any database work) -> the route.
``/health``, ``/metrics`` and ``/control/*`` are not counted in the request metrics.
"""

from __future__ import annotations

import contextlib
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

from .config import Settings
from .db import Database, DatabaseUnavailable
from .faults import FaultSpecError, FaultState, UnknownFaultKind, decode_body
from .metrics import AppMetrics, MetricNames, RouteSpec
from .orders import OrderRequest, OrderSpecError

log = logging.getLogger("sample_app")

API_PREFIX = "/api/"
ITEMS_SQL = "SELECT id, name FROM items ORDER BY id LIMIT 20"
ORDER_SQL = "INSERT INTO orders (item_id, quantity) VALUES (%s, %s) RETURNING id"
#: Every measured route with the statuses it can answer, so each series starts at 0.
API_ROUTES = (
    RouteSpec("GET", "/api/items", (200, 500, 503)),
    RouteSpec("POST", "/api/orders", (201, 422, 500, 503)),
)
UNMATCHED_ROUTE = "unmatched"
HEALTH_TIMEOUT_SECONDS = 2.0


def create_app(settings: Settings, faults: FaultState | None = None, names: MetricNames = MetricNames()) -> Starlette:
    db = Database(settings)
    metrics = AppMetrics(API_ROUTES, lambda: db.stats(), names)
    db.attach(metrics)
    state = faults if faults is not None else FaultState()

    async def list_items(request: Request) -> Response:
        async def work(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(ITEMS_SQL)
            return await cursor.fetchall()

        try:
            rows = await db.run(work)
        except DatabaseUnavailable as error:
            return _unavailable(error)
        return JSONResponse({"items": [{"id": row[0], "name": row[1]} for row in rows]})

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
            order_id = await db.run(work)
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
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"active": state.describe(), "kinds": state.kinds})

    async def set_fault(request: Request) -> Response:
        kind = request.path_params["kind"]
        try:
            fault = state.set(kind, decode_body(kind, await request.body()))
        except UnknownFaultKind as error:
            return _error(404, str(error))
        except FaultSpecError as error:
            return _error(422, str(error))
        for status in fault.response_statuses():
            metrics.ensure_status(status)
        log.info("fault %s on: %s", kind, fault.describe())
        return JSONResponse({"kind": kind, **fault.describe()})

    async def clear_fault(request: Request) -> Response:
        kind = request.path_params["kind"]
        try:
            was_active = state.clear(kind)
        except UnknownFaultKind as error:
            return _error(404, str(error))
        log.info("fault %s off", kind)
        return JSONResponse({"cleared": [kind] if was_active else []})

    async def clear_faults(request: Request) -> Response:
        cleared = state.clear_all()
        log.info("all faults off (were on: %s)", ", ".join(cleared) or "none")
        return JSONResponse({"cleared": cleared})

    api_routes = [
        Route("/api/items", list_items, methods=["GET"]),
        Route("/api/orders", create_order, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open()
        log.info(
            "serving on :%d, database pool %d..%d connections (wait up to %s s)",
            settings.port,
            settings.pool_min_size,
            settings.pool_max_size,
            settings.pool_timeout_seconds,
        )
        try:
            yield
        finally:
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
    """Answers a share of /api requests with the errors fault's status, before any database work."""

    def __init__(self, app: ASGIApp, faults: FaultState) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            status = self.faults.injected_status()
            if status is not None:
                response = JSONResponse({"error": "injected fault", "kind": "errors", "status": status}, status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unavailable(error: DatabaseUnavailable) -> Response:
    return JSONResponse({"error": str(error), "reason": error.reason}, status_code=503)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def _internal_error(request: Request, error: Exception) -> Response:
    # Starlette re-raises after answering, so uvicorn logs the traceback; no need to log it here.
    return _error(500, f"internal error: {type(error).__name__}: {error}")
