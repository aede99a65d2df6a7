"""A small client for the Prometheus HTTP API: queries, alert states, targets, Alertmanagers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from harness.errors import StackError


@dataclass(frozen=True)
class ActiveAlert:
    name: str
    state: str  # "pending" or "firing"
    labels: dict[str, str]
    active_at: str


class PrometheusClient:
    def __init__(self, base_url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, **params: Any) -> Any:
        try:
            response = self._http.get(path, params=params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise StackError(f"Prometheus at {self.base_url}{path}: {error}") from error
        body = response.json()
        if body.get("status") != "success":
            raise StackError(f"Prometheus at {self.base_url}{path}: {body.get('error', body)}")
        return body["data"]

    def query(self, expression: str) -> list[dict[str, Any]]:
        """Instant query; returns the vector's samples (metric labels and value)."""
        data = self._get("/api/v1/query", query=expression)
        result = data["result"]
        return result if isinstance(result, list) else [{"metric": {}, "value": result}]

    def query_range(self, expression: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """Range query; returns the matrix's series (metric labels and [t, value] pairs)."""
        data = self._get("/api/v1/query_range", query=expression, start=f"{start:.3f}", end=f"{end:.3f}",
                         step=f"{max(step, 0.001):.3f}")
        return list(data["result"])

    def alerts(self) -> list[ActiveAlert]:
        return [
            ActiveAlert(
                name=alert["labels"].get("alertname", "?"),
                state=alert["state"],
                labels=alert["labels"],
                active_at=alert.get("activeAt", ""),
            )
            for alert in self._get("/api/v1/alerts")["alerts"]
        ]

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/targets", state="active")["activeTargets"])

    def unhealthy_targets(self) -> list[str]:
        """Targets not yet up, as `job/instance (health)`; empty when all are scraped."""
        targets = self.targets()
        if not targets:
            return ["(no targets discovered yet)"]
        return [
            f"{target['labels'].get('job')}/{target['labels'].get('instance')} ({target['health']})"
            for target in targets
            if target["health"] != "up"
        ]

    def buildinfo(self) -> dict[str, Any]:
        """Version, revision, branch, build date and Go version of this Prometheus (/api/v1/status/buildinfo)."""
        return dict(self._get("/api/v1/status/buildinfo"))

    def alertmanagers(self) -> list[str]:
        return [entry["url"] for entry in self._get("/api/v1/alertmanagers")["activeAlertmanagers"]]
