"""The HTTP side of the sink: service endpoints that record deliveries, and the control API.

The same app serves plain HTTP and HTTPS; Alertmanager's PagerDuty Events v1 notifier only ever
posts to `https://events.pagerduty.com/generic/2010-04-15/create_event.json`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .behaviour import Behaviours, BehaviourError, answer_delay, parse_behaviour_request
from .parsing import (
    Notification,
    PayloadError,
    basic_auth_username,
    parse_pagerduty_v1,
    parse_pagerduty_v2,
    parse_slack,
    parse_webhook,
)
from .records import DeliveryStore, Kind

log = logging.getLogger("sink.http")

Parser = Callable[[object], Notification]
Answer = Callable[[dict[str, Any]], Response]
Readiness = Callable[[], bool]

PAGERDUTY_V1_PATH = "/generic/2010-04-15/create_event.json"


def create_app(store: DeliveryStore, behaviours: Behaviours, ready: Readiness) -> Starlette:
    """The ASGI app; `ready` says whether every listener (HTTP, HTTPS, SMTP) is up."""

    async def deliver(
        request: Request, kind: Kind, receiver: str | None, parse: Parser, answer: Answer
    ) -> Response:
        try:
            notification = parse(await _json_body(request))
        except PayloadError as error:
            message = f"{kind} delivery to {request.url.path} not recorded: {error}"
            log.warning(message)
            return JSONResponse({"status": "invalid", "message": message}, status_code=400)
        behaviour = behaviours.for_kind(kind)
        delivery = store.record(kind, receiver, notification, accepted=behaviour.accepts)
        log.info(delivery.summary())
        await answer_delay(behaviour)
        if not behaviour.accepts:
            message = f"sink behaviour for {kind}: answering {behaviour.status_code}"
            return JSONResponse({"status": "error", "message": message}, behaviour.status_code)
        return answer(notification.raw)

    async def slack(request: Request) -> Response:
        receiver = request.path_params["receiver"]
        return await deliver(request, "slack", receiver, parse_slack, _slack_answer)

    async def pagerduty(request: Request) -> Response:
        receiver = request.path_params["receiver"]
        return await deliver(request, "pagerduty", receiver, parse_pagerduty_v2, _pagerduty_answer)

    async def pagerduty_v1(request: Request) -> Response:
        receiver = basic_auth_username(request.headers.get("authorization"))
        return await deliver(
            request, "pagerduty_v1", receiver, parse_pagerduty_v1, _pagerduty_v1_answer
        )

    async def webhook(request: Request) -> Response:
        receiver = request.path_params["receiver"]
        return await deliver(request, "webhook", receiver, parse_webhook, _webhook_answer)

    async def list_deliveries(request: Request) -> Response:
        return JSONResponse([delivery.to_json() for delivery in store.all()])

    async def clear_deliveries(request: Request) -> Response:
        cleared = store.clear()
        log.info("cleared %d deliveries", cleared)
        return JSONResponse({"cleared": cleared})

    async def show_behaviour(request: Request) -> Response:
        return JSONResponse(behaviours.to_json())

    async def set_behaviour(request: Request) -> Response:
        try:
            kind, behaviour = parse_behaviour_request(await _json_body(request))
        except (PayloadError, BehaviourError) as error:
            message = f"behaviour not changed: {error}"
            return JSONResponse({"status": "invalid", "message": message}, status_code=422)
        behaviours.set(kind, behaviour)
        log.info(
            "behaviour for %s: status %d after %.3f s",
            kind,
            behaviour.status_code,
            behaviour.delay_seconds,
        )
        return JSONResponse(behaviours.to_json())

    async def reset_behaviour(request: Request) -> Response:
        behaviours.reset()
        log.info("behaviour reset: every kind answers normally")
        return JSONResponse(behaviours.to_json())

    async def healthz(request: Request) -> Response:
        if ready():
            return PlainTextResponse("ok")
        return PlainTextResponse("starting", status_code=503)

    return Starlette(
        routes=[
            Route("/slack/{receiver}", slack, methods=["POST"]),
            Route("/pagerduty/{receiver}", pagerduty, methods=["POST"]),
            Route(PAGERDUTY_V1_PATH, pagerduty_v1, methods=["POST"]),
            Route("/webhook/{receiver}", webhook, methods=["POST"]),
            Route("/deliveries", list_deliveries, methods=["GET"]),
            Route("/deliveries", clear_deliveries, methods=["DELETE"]),
            Route("/control/behaviour", show_behaviour, methods=["GET"]),
            Route("/control/behaviour", set_behaviour, methods=["PUT"]),
            Route("/control/behaviour", reset_behaviour, methods=["DELETE"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _json_body(request: Request) -> object:
    try:
        return json.loads(await request.body())
    except ValueError as error:
        raise PayloadError(f"body is not JSON ({error})") from error


def _slack_answer(body: dict[str, Any]) -> Response:
    return PlainTextResponse("ok")


def _pagerduty_answer(body: dict[str, Any]) -> Response:
    dedup_key = body.get("dedup_key")
    content = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
    return JSONResponse(content, status_code=202)


def _pagerduty_v1_answer(body: dict[str, Any]) -> Response:
    incident_key = body.get("incident_key")
    content = {"status": "success", "message": "Event processed", "incident_key": incident_key}
    return JSONResponse(content)


def _webhook_answer(body: dict[str, Any]) -> Response:
    return JSONResponse({"status": "success"})
