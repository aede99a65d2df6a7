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


@dataclass(frozen=True)
class Delivery:
    """One notification as the sink received it, and whether the sink accepted it."""

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        names = ",".join(self.alertnames) or "-"
        verdict = "accepted" if self.accepted else "refused"
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
        self, kind: Kind, receiver: str | None, notification: Notification, accepted: bool
    ) -> Delivery:
        delivery = Delivery(
            id=next(self._ids),
            received_at=self._clock(),
            kind=kind,
            receiver=receiver,
            status=notification.status,
            accepted=accepted,
            alertnames=notification.alertnames,
            alerts=notification.alerts,
            text=notification.text,
            raw=notification.raw,
        )
        self._deliveries.append(delivery)
        return delivery

    def all(self) -> list[Delivery]:
        return list(self._deliveries)

    def clear(self) -> int:
        cleared = len(self._deliveries)
        self._deliveries.clear()
        return cleared
