"""Faults the sample app causes on request, through its control API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import FaultError

if TYPE_CHECKING:
    from harness.stack import RunningStack


class AppErrors(BaseModel):
    """Answer a share of the app's API requests with a 5xx status."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["app_errors"] = "app_errors"
    ratio: float = Field(gt=0, le=1, description="share of requests that fail, 0 < ratio <= 1")
    status: int = Field(default=500, ge=500, le=599)

    def start(self, stack: RunningStack) -> None:
        _control(stack, "PUT", "/control/faults/errors", {"ratio": self.ratio, "status": self.status})

    def stop(self, stack: RunningStack) -> None:
        _control(stack, "DELETE", "/control/faults/errors", None)

    def describe(self) -> str:
        return f"app answers {self.ratio:.0%} of API requests with HTTP {self.status}"


def _control(stack: RunningStack, method: str, path: str, body: dict[str, object] | None) -> None:
    url = f"{stack.app_url}{path}"
    try:
        response = httpx.request(method, url, json=body, timeout=5.0)
    except httpx.HTTPError as error:
        raise FaultError(f"app control API {method} {url} failed: {error}") from error
    if response.status_code >= 300:
        raise FaultError(f"app control API {method} {url} answered {response.status_code}: {response.text[:200]}")
