"""HTTP calls to the control APIs of the services we run (the sample app, the sink)."""

from __future__ import annotations

from typing import Any

import httpx

from harness.errors import FaultError


def call(method: str, url: str, body: dict[str, Any] | None, what: str) -> httpx.Response:
    """Send one control request; any failure or non-2xx answer is a FaultError naming `what`."""
    try:
        response = httpx.request(method, url, json=body, timeout=10.0)
    except httpx.HTTPError as error:
        raise FaultError(f"{what} control {method} {url} failed: {error}") from error
    if response.status_code >= 300:
        raise FaultError(f"{what} control {method} {url} answered {response.status_code}: {response.text[:300]}")
    return response
