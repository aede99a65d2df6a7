"""The host's view of the notification sink: what was delivered, to which receiver, when, about
which alerts, and whether the sink (answering as the real service) accepted it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

from harness.errors import StackError


@dataclass(frozen=True)
class DeliveredAlert:
    """One alert a delivery is about, with its own status (a group can mix firing and resolved)."""

    name: str
    status: str
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> DeliveredAlert:
        labels = record.get("labels") or {}
        return cls(
            name=str(record.get("name") or labels.get("alertname", "")),
            status=str(record.get("status", "unknown")),
            labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        )


@dataclass(frozen=True)
class Delivery:
    """One notification as the sink received it.

    `status` is the group's status as the payload shows it; `alerts` holds each alert with its own
    status, taken from the payload's structured parts only. `attributed` is False when nothing in
    the payload said which alerts it is about (then `alerts` is empty: nothing is guessed).
    `accepted` is False when the sink refused it as the real service would (`refusal` says why) or
    could not read it at all (`parsed` False).
    """

    id: int
    received_at: float
    kind: str
    receiver: str | None
    status: str
    accepted: bool
    alertnames: tuple[str, ...]
    text: str = field(repr=False)
    alerts: tuple[DeliveredAlert, ...] = ()
    refusal: str | None = None
    parsed: bool = True
    attributed: bool = False

    def alerts_named(self, alertname: str) -> tuple[DeliveredAlert, ...]:
        return tuple(alert for alert in self.alerts if alert.name == alertname)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Delivery:
        alerts = tuple(DeliveredAlert.from_json(item) for item in record.get("alerts") or ())
        receiver = record.get("receiver")
        accepted = bool(record.get("accepted", True))
        refusal = record.get("refusal")
        return cls(
            id=int(record["id"]),
            received_at=float(record["received_at"]),
            kind=str(record["kind"]),
            receiver=unquote(receiver) if receiver else None,
            status=str(record.get("status", "unknown")),
            accepted=accepted,
            alertnames=tuple(dict.fromkeys(alert.name for alert in alerts if alert.name)),
            text=str(record.get("text", "")),
            alerts=alerts,
            refusal=str(refusal) if refusal else (None if accepted else "refused (no reason given)"),
            parsed=bool(record.get("parsed", True)),
            attributed=bool(alerts) and bool(record.get("attributed", True)),
        )


class SinkClient:
    def __init__(self, base_url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def deliveries(self) -> list[Delivery]:
        records = self._request("GET", "/deliveries").json()
        return [Delivery.from_json(record) for record in records]

    def clear(self) -> None:
        self._request("DELETE", "/deliveries")

    def _request(self, method: str, path: str) -> httpx.Response:
        try:
            response = self._http.request(method, path)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise StackError(f"sink at {self.base_url}{path}: {error}") from error
        return response
