"""Shared builders for unit tests: config files, settings objects, scenarios and hand-made timelines."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from harness.configs import AlertmanagerSettings, AlertRule, PrometheusSettings
from harness.receivers import RedirectedEndpoint
from harness.scenario import Scenario

REPO = Path(__file__).resolve().parents[2]
TIMELINE_COLUMNS = ["t", "source", "name", "state", "receiver", "kind", "labels", "detail"]


def write(path: Path, text: str) -> Path:
    """Write dedented YAML (or any text) to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# --- settings as configs.render_* would return them (real-time durations) ---------------------------


def rule(name: str, for_: timedelta = timedelta(minutes=5)) -> AlertRule:
    return AlertRule(name=name, expr="up == 0", scaled_expr="up == 0", for_=for_, labels={}, where="rules.yml")


def prometheus_settings(*rules: AlertRule, scrape: float = 15, evaluation: float = 15) -> PrometheusSettings:
    return PrometheusSettings(
        scrape_interval=timedelta(seconds=scrape),
        evaluation_interval=timedelta(seconds=evaluation),
        rules=rules or (rule("HighErrorRate"),),
    )


def endpoint(receiver: str, kind: str = "webhook", send_resolved: bool = True) -> RedirectedEndpoint:
    return RedirectedEndpoint(receiver, kind, send_resolved, False, "https://example.com")  # type: ignore[arg-type]


def alertmanager_settings(*endpoints: RedirectedEndpoint, group_wait: float = 30) -> AlertmanagerSettings:
    return AlertmanagerSettings(
        group_wait=timedelta(seconds=group_wait),
        group_interval=timedelta(minutes=5),
        repeat_interval=timedelta(hours=4),
        endpoints=endpoints,
    )


# --- scenarios and timelines -------------------------------------------------------------------------


def scenario(*expectations: dict[str, Any], path: Path | None = None) -> Scenario:
    return Scenario.model_validate({"name": "test", "expectations": list(expectations), "path": path})


def alert(t: float, name: str, state: str) -> dict[str, Any]:
    return {"t": t, "source": "alert", "name": name, "state": state}


def delivery(t: float, name: str, receiver: str, state: str = "firing", detail: str = "accepted") -> dict[str, Any]:
    return {"t": t, "source": "delivery", "name": name, "state": state, "receiver": receiver, "kind": "webhook",
            "detail": detail}


def timeline(*events: dict[str, Any]) -> pd.DataFrame:
    rows = [{column: "" for column in TIMELINE_COLUMNS} | event for event in events]
    frame = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    return frame.sort_values("t", kind="stable").reset_index(drop=True)
