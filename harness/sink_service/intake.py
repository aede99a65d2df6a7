"""One HTTP delivery from body to record and answer, free of the web framework so it is tested alone.

Every request ends in the record, whatever happens to it: a body the sink cannot read (recorded
unparsed), a simulated outage (recorded refused), a payload the real service would refuse
(recorded refused with the real API's answer and why), or an accepted delivery.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .behaviour import Behaviour
from .parsing import (
    Notification,
    PayloadError,
    parse_pagerduty_v1,
    parse_pagerduty_v2,
    parse_slack,
    parse_webhook,
)
from .records import Delivery, DeliveryStore, Kind
from .services import Refusal, check_pagerduty_v1, check_pagerduty_v2, unparseable

Check = Callable[[dict[str, Any]], "Refusal | None"]


@dataclass(frozen=True)
class Answer:
    """What the sink answers: a dict is sent as JSON, a str as plain text."""

    status_code: int
    body: dict[str, Any] | str


@dataclass(frozen=True)
class Service:
    """How one kind of endpoint reads a message and answers one it accepts."""

    kind: Kind
    parse: Callable[[object], Notification]
    accept: Callable[[dict[str, Any]], Answer]


def _slack_answer(body: dict[str, Any]) -> Answer:
    return Answer(200, "ok")


def _pagerduty_answer(body: dict[str, Any]) -> Answer:
    return Answer(
        202,
        {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key")},
    )


def _pagerduty_v1_answer(body: dict[str, Any]) -> Answer:
    return Answer(
        200,
        {"status": "success", "message": "Event processed", "incident_key": body.get("incident_key")},
    )


def _webhook_answer(body: dict[str, Any]) -> Answer:
    return Answer(200, {"status": "success"})


SLACK = Service("slack", parse_slack, _slack_answer)
PAGERDUTY = Service("pagerduty", parse_pagerduty_v2, _pagerduty_answer)
PAGERDUTY_V1 = Service("pagerduty_v1", parse_pagerduty_v1, _pagerduty_v1_answer)
WEBHOOK = Service("webhook", parse_webhook, _webhook_answer)
#: What the real service checks, for services whose check needs nothing but the payload.
CHECKS: dict[Kind, Check] = {
    "pagerduty": check_pagerduty_v2,
    "pagerduty_v1": check_pagerduty_v1,
}


def _accept_anything(message: dict[str, Any]) -> Refusal | None:
    return None


def receive(
    store: DeliveryStore,
    service: Service,
    receiver: str | None,
    body: bytes,
    behaviour: Behaviour,
    check: Check | None = None,
) -> tuple[Delivery, Answer]:
    """Record one delivery and return it with the answer the real service would give."""
    kind = service.kind
    check = check or CHECKS.get(kind, _accept_anything)
    try:
        notification = service.parse(json.loads(body))
    except ValueError as error:  # json's decode error and PayloadError alike
        what = str(error) if isinstance(error, PayloadError) else f"body is not JSON ({error})"
        refusal = unparseable(kind, what)
        return store.record_unparsed(kind, receiver, body, refusal.reason), _answer(refusal)
    if not behaviour.accepts:
        reason = f"simulated outage (sink behaviour for {kind}): answering {behaviour.status_code}"
        delivery = store.record(kind, receiver, notification, refusal=reason)
        return delivery, Answer(behaviour.status_code, {"status": "error", "message": reason})
    refusal = check(notification.raw)
    if refusal is not None:
        return store.record(kind, receiver, notification, refusal=refusal.reason), _answer(refusal)
    return store.record(kind, receiver, notification), service.accept(notification.raw)


def _answer(refusal: Refusal) -> Answer:
    body = refusal.body if isinstance(refusal.body, (dict, str)) else json.dumps(refusal.body)
    return Answer(refusal.status_code, body)
