"""A stack made of the harness's real HTTP clients over httpx.MockTransport: Prometheus, Alertmanager and the sink
answer from plain functions, so the observer and the witnesses are tested without containers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.alertmanager import AlertmanagerClient
from harness.prometheus import PrometheusClient
from harness.sinks import SinkClient

Answer = Callable[[httpx.Request], httpx.Response]


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


@dataclass
class FakeStack:
    """Routes each request to `answers[path]`; a path missing from it answers 503, as a service that is down."""

    answers: dict[str, Answer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        transport = httpx.MockTransport(self._answer)
        self.prometheus = PrometheusClient("http://127.0.0.1:9090", transport=transport)
        self.alertmanager = AlertmanagerClient("http://127.0.0.1:9093", transport=transport)
        self.sink = SinkClient("http://127.0.0.1:8080", transport=transport)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers.get(request.url.path)
        return answer(request) if answer else httpx.Response(503, text="down")


def quiet_stack() -> FakeStack:
    """Every source answers, nothing is active, nothing was delivered."""
    return FakeStack({
        "/api/v1/alerts": lambda _: ok({"alerts": []}),
        "/api/v1/query": lambda _: ok({"resultType": "vector", "result": []}),
        "/api/v2/alerts": lambda _: httpx.Response(200, json=[]),
        "/deliveries": lambda _: httpx.Response(200, json=[]),
    })
