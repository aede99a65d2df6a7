"""The host's view of the notification sink: what was delivered, to which receiver, when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

from harness.errors import StackError


@dataclass(frozen=True)
class DeliveredAlert:
    """One alert of a notification, with its own status."""

    name: str
    status: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One notification as the sink received it."""

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
    attributed: bool = True

    def mentions(self, alertname: str) -> bool:
        return alertname in self.alertnames or alertname in self.text

    @classmethod
    def from_json(cls, record: dict[str, Any], known_alertnames: Iterable[str] = ()) -> Delivery:
        text = str(record.get("text", ""))
        names = list(record.get("alertnames") or [])
        # Custom templates may hide the alert name from the sink's parser; the host knows the rules.
        names += [name for name in known_alertnames if name not in names and name in text]
        receiver = record.get("receiver")
        return cls(
            id=int(record["id"]),
            received_at=float(record["received_at"]),
            kind=str(record["kind"]),
            receiver=unquote(receiver) if receiver else None,
            status=str(record.get("status", "unknown")),
            accepted=bool(record.get("accepted", True)),
            alertnames=tuple(names),
            text=text,
            alerts=tuple(
                DeliveredAlert(str(a["name"]), str(a["status"]), tuple(tuple(pair) for pair in a.get("labels") or ()))
                for a in record["alerts"]
            ) if record.get("alerts") and isinstance(record["alerts"][0], dict) and "name" in record["alerts"][0]
            else tuple(DeliveredAlert(name, str(record.get("status", "unknown"))) for name in names),
            refusal=None if record.get("accepted", True) else "refused by sink",
            attributed=bool(names),
        )


class SinkClient:
    def __init__(self, base_url: str, known_alertnames: Iterable[str] = (), timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self.known_alertnames = tuple(known_alertnames)
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def deliveries(self) -> list[Delivery]:
        records = self._request("GET", "/deliveries").json()
        return [Delivery.from_json(record, self.known_alertnames) for record in records]

    def clear(self) -> None:
        self._request("DELETE", "/deliveries")

    def _request(self, method: str, path: str) -> httpx.Response:
        try:
            response = self._http.request(method, path)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise StackError(f"sink at {self.base_url}{path}: {error}") from error
        return response
