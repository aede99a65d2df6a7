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
from .intake import PAGERDUTY, PAGERDUTY_V1, SLACK, WEBHOOK, Answer, Check, Service, receive
from .parsing import PayloadError, basic_auth_username
from .records import DeliveryStore
from .services import Refusal, check_slack

log = logging.getLogger("sink.http")

Readiness = Callable[[], bool]

PAGERDUTY_V1_PATH = "/generic/2010-04-15/create_event.json"


def create_app(store: DeliveryStore, behaviours: Behaviours, ready: Readiness) -> Starlette:
    """The ASGI app; `ready` says whether every listener (HTTP, HTTPS, SMTP) is up."""

    async def deliver(
        request: Request, service: Service, receiver: str | None, check: Check | None = None
    ) -> Response:
        behaviour = behaviours.for_kind(service.kind)
        delivery, answer = receive(
            store, service, receiver, await request.body(), behaviour, check
        )
        log.info(delivery.summary())
        await answer_delay(behaviour)
        return _response(answer)

    async def slack(request: Request) -> Response:
        # The harness appends the user's webhook host and path to the receiver
        # (`/slack/<receiver>/hooks.slack.com/services/T…/B…/…`) so the sink can check it.
        original = request.path_params.get("original")

        def check(message: dict[str, Any]) -> Refusal | None:
            return check_slack(original, message)

        return await deliver(request, SLACK, request.path_params["receiver"], check)

    async def pagerduty(request: Request) -> Response:
        return await deliver(request, PAGERDUTY, request.path_params["receiver"])

    async def pagerduty_v1(request: Request) -> Response:
        receiver = basic_auth_username(request.headers.get("authorization"))
        return await deliver(request, PAGERDUTY_V1, receiver)

    async def webhook(request: Request) -> Response:
        return await deliver(request, WEBHOOK, request.path_params["receiver"])

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
            Route("/slack/{receiver}/{original:path}", slack, methods=["POST"]),
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


def _response(answer: Answer) -> Response:
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, status_code=answer.status_code)
    return JSONResponse(answer.body, status_code=answer.status_code)
