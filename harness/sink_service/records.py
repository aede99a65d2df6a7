"""The record of deliveries: one frozen Delivery per notification received, oldest first."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import count
from typing import Any, Literal, get_args

from .parsing import Alert, Notification, Status

Kind = Literal["slack", "pagerduty", "pagerduty_v1", "webhook", "email"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: How much of a body the sink could not read is kept in the record.
UNPARSED_BODY_LIMIT = 4096


@dataclass(frozen=True)
class Delivery:
    """One notification as the sink received it, and whether the sink accepted it.

    `refusal` says why the sink, answering as the real service, refused it (None when accepted);
    `parsed` is False when the body was not the service's message at all (then `raw` holds the
    body's start as text); `attributed` is True when `alerts` came from structured parts.
    """

    id: int
    received_at: float
    kind: Kind
    receiver: str | None
    status: Status
    accepted: bool
    alertnames: tuple[str, ...]
    alerts: tuple[Alert, ...]
    text: str
    raw: dict[str, Any]
    refusal: str | None = None
    parsed: bool = True
    attributed: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        names = ",".join(self.alertnames) or "-"
        verdict = "accepted" if self.accepted else f"refused: {self.refusal}"
        return (
            f"delivery #{self.id} {self.kind} receiver={self.receiver or '-'} "
            f"status={self.status} alertnames={names} {verdict}"
        )


class DeliveryStore:
    """Deliveries in the order they arrived. Ids keep counting across `clear()`, so a poller that
    remembers the last id it saw never mistakes a new delivery for an old one."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ids = count(1)
        self._deliveries: list[Delivery] = []

    def record(
        self,
        kind: Kind,
        receiver: str | None,
        notification: Notification,
        refusal: str | None = None,
    ) -> Delivery:
        """Record a delivery the sink read; it was accepted unless there is a `refusal`."""
        return self._add(
            kind=kind,
            receiver=receiver,
            status=notification.status,
            accepted=refusal is None,
            alertnames=notification.alertnames,
            alerts=notification.alerts,
            text=notification.text,
            raw=notification.raw,
            refusal=refusal,
            attributed=notification.attributed,
        )

    def record_unparsed(
        self, kind: Kind, receiver: str | None, body: bytes, refusal: str
    ) -> Delivery:
        """Record a body the sink could not read as the service's message: refused, unattributed."""
        text = body[:UNPARSED_BODY_LIMIT].decode("utf-8", "replace")
        return self._add(
            kind=kind,
            receiver=receiver,
            status="unknown",
            accepted=False,
            alertnames=(),
            alerts=(),
            text=text,
            raw={"body": text, "body_bytes": len(body)},
            refusal=refusal,
            parsed=False,
        )

    def _add(self, **fields: Any) -> Delivery:
        delivery = Delivery(id=next(self._ids), received_at=self._clock(), **fields)
        self._deliveries.append(delivery)
        return delivery

    def all(self) -> list[Delivery]:
        return list(self._deliveries)

    def clear(self) -> int:
        cleared = len(self._deliveries)
        self._deliveries.clear()
        return cleared
