"""A small client for the Alertmanager v2 API."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from harness.errors import StackError


class AlertmanagerClient:
    def __init__(self, base_url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/v2/alerts").json())

    def version_info(self) -> dict[str, Any]:
        """Version, revision, branch, build date and Go version of this Alertmanager (`versionInfo` of /api/v2/status).

        Only that part: the status also carries the loaded config, secrets and all.
        """
        return dict(self._request("GET", "/api/v2/status").json().get("versionInfo") or {})

    def metrics(self) -> str:
        """Alertmanager's own metrics, in the Prometheus text format."""
        return self._request("GET", "/metrics").text

    def post_alert(self, labels: dict[str, str], annotations: dict[str, str] | None = None,
                   ends_in: timedelta | None = None) -> None:
        """Send an alert as Prometheus would (a test alert, straight into routing)."""
        alert: dict[str, Any] = {"labels": labels, "annotations": annotations or {}}
        if ends_in is not None:
            alert["endsAt"] = (datetime.now(timezone.utc) + ends_in).isoformat()
        self._request("POST", "/api/v2/alerts", json=[alert])

    def create_silence(self, matchers: dict[str, str], lasting: timedelta, comment: str) -> str:
        """Silence alerts whose labels equal `matchers`; returns the silence id."""
        now = datetime.now(timezone.utc)
        silence = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": now.isoformat(), "endsAt": (now + lasting).isoformat(),
            "createdBy": "monitoring-harness", "comment": comment,
        }
        return str(self._request("POST", "/api/v2/silences", json=silence).json()["silenceID"])

    def expire_silence(self, silence_id: str) -> None:
        self._request("DELETE", f"/api/v2/silence/{silence_id}")

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise StackError(f"Alertmanager at {self.base_url}{path}: {error}") from error
        return response
