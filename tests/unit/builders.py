"""Shared builders for unit tests: config files, settings objects, scenarios and hand-made timelines."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness.configs import AlertmanagerSettings, AlertRule, PrometheusSettings
from harness.expectations import Evidence, Moments
from harness.load import LoadRecord
from harness.receivers import RedirectedEndpoint
from harness.scenario import Scenario
from harness.timeline import AlertState, Delivery, Event, Gap, RoutingState, Sample, Timeline
from harness.timescale import TimeScale
from harness.witnesses import WitnessAccount

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    """Write dedented YAML (or any text) to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# --- settings as configs.render_* would return them (real-time durations) ---------------------------


def rule(name: str, for_: timedelta = timedelta(minutes=5), expr: str = "up == 0",
         labels: dict[str, str] | None = None) -> AlertRule:
    return AlertRule(name=name, expr=expr, scaled_expr=expr, for_=for_, labels=labels or {}, where="rules.yml")


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


def scenario(*expectations: dict[str, Any], path: Path | None = None, **fields: Any) -> Scenario:
    return Scenario.model_validate({"name": "test", "expectations": list(expectations), "path": path, **fields})


def alert(t: float, name: str, state: str, **labels: str) -> AlertState:
    return AlertState(t, name, state, tuple(sorted(labels.items())))  # type: ignore[arg-type]


def delivery(t: float, name: str, receiver: str, state: str = "firing", accepted: bool = True, refusal: str = "",
             delivery_id: int | None = None, kind: str = "webhook") -> Delivery:
    return Delivery(t, name, state, receiver, kind, delivery_id if delivery_id is not None else int(t * 1000),
                    accepted, refusal, attributed=bool(name))


def routing(t: float, name: str, state: str = "active", receivers: tuple[str, ...] = (),
            inhibited_by: tuple[str, ...] = (), silenced_by: tuple[str, ...] = ()) -> RoutingState:
    return RoutingState(t, name, state, receivers, inhibited_by, silenced_by)


def sample(t: float, name: str, *values: float) -> Sample:
    return Sample(t, name, values)


def gap(start: float, end: float | None, source: str = "prometheus", reason: str = "connection refused") -> Gap:
    return Gap(start, source, reason, end)  # type: ignore[arg-type]


def timeline(*events: Event) -> Timeline:
    return Timeline.of(events)


def evidence(
    scenario: Scenario, events: Timeline, moments: Moments, prometheus: PrometheusSettings,
    alertmanager: AlertmanagerSettings, scale: TimeScale, witnessed: WitnessAccount | None = None,
    load: LoadRecord | None = None,
) -> Evidence:
    return Evidence(scenario, events, moments, prometheus, alertmanager, scale, witnessed or WitnessAccount(),
                    load or LoadRecord(), tolerance=1.0)
