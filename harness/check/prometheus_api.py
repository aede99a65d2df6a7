"""The read-only questions `harness check --live` asks a running Prometheus, bounded in number and time.

    PrometheusError        (RunFailure) Prometheus does not answer, or not as its HTTP API does
    └── QueryRefused       it refused one question as bad data; the others can still be asked

Every question is an HTTP GET with a timeout; at most `max_queries` are asked, after which
BudgetExhausted says so (the caller reports what it could not check). Series and label questions
cover a recent window (an hour by default), so a metric scraped a minute ago counts and one that
vanished last week does not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from harness.errors import RunFailure

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_QUERIES = 500
WINDOW = timedelta(hours=1)


class PrometheusError(RunFailure):
    """The Prometheus being checked does not answer, or answers with an error."""


class QueryRefused(PrometheusError):
    """Prometheus refused one query as bad data (HTTP 400/422)."""


class BudgetExhausted(Exception):
    """The check asked all the questions it may; `asked` says how many."""

    def __init__(self, asked: int) -> None:
        super().__init__(f"stopped after {asked} queries")
        self.asked = asked


@dataclass
class PrometheusApi:
    """A Prometheus HTTP API at `url`, asked through `client`; errors translated, questions counted."""

    url: str
    client: httpx.Client
    max_queries: int = MAX_QUERIES
    window: timedelta = WINDOW
    now: float = field(default_factory=time.time)
    asked: int = 0
    _cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = field(default_factory=dict, repr=False)

    def get(self, path: str, **params: str) -> Any:
        """The `data` of a successful answer to GET `path`; cached, so asking twice costs once."""
        key = (path, tuple(sorted(params.items())))
        if key in self._cache:
            return self._cache[key]
        if self.asked >= self.max_queries:
            raise BudgetExhausted(self.asked)
        self.asked += 1
        where = f"Prometheus at {self.url}"
        try:
            response = self.client.get(f"{self.url.rstrip('/')}{path}", params=params)
        except httpx.TimeoutException as error:
            raise PrometheusError(f"{where} did not answer GET {path} {params} within the timeout ({error!r}). "
                                  "Hint: is it overloaded? A selector matching very many series is slow to list") from error
        except httpx.HTTPError as error:
            raise PrometheusError(f"{where} does not answer: {error}. Hint: is it running, and is the URL "
                                  "its published address (e.g. http://127.0.0.1:9090)?") from error
        body = _json(response)
        if response.status_code in (400, 422) and isinstance(body, dict) and body.get("status") == "error":
            raise QueryRefused(f"{where} refused GET {path} {params}: {body.get('error')}")
        if response.status_code != 200 or not isinstance(body, dict) or body.get("status") != "success":
            detail = body.get("error") if isinstance(body, dict) else response.text[:200]
            raise PrometheusError(
                f"{where} answered GET {path} with HTTP {response.status_code}: {detail!r}. "
                "Hint: the URL must be Prometheus's own base URL (not Grafana's, nor a path under it)")
        self._cache[key] = body.get("data")
        return self._cache[key]

    def _span(self) -> dict[str, str]:
        return {"start": f"{self.now - self.window.total_seconds():.3f}", "end": f"{self.now:.3f}"}

    def metric_names(self) -> set[str]:
        return {str(name) for name in _list(self.get("/api/v1/label/__name__/values", **self._span()))}

    def has_series(self, selector: str) -> bool:
        # `limit` (Prometheus 2.48+) keeps the answer small; older servers ignore it.
        return bool(self.get("/api/v1/series", **{"match[]": selector, "limit": "1"}, **self._span()))

    def label_values(self, label: str, match: str = "") -> list[str]:
        params = {"match[]": match} if match else {}
        return sorted(str(value) for value in _list(self.get(f"/api/v1/label/{label}/values", **params, **self._span())))

    def label_names(self, match: str = "") -> list[str]:
        params = {"match[]": match} if match else {}
        return sorted(str(name) for name in _list(self.get("/api/v1/labels", **params, **self._span())))

    def targets(self) -> list[dict[str, Any]]:
        data = self.get("/api/v1/targets", state="active")
        targets = data.get("activeTargets") if isinstance(data, dict) else None
        return [target for target in _list(targets) if isinstance(target, dict)]

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        data = self.get("/api/v1/metadata")
        return data if isinstance(data, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
