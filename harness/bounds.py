"""Theoretical windows: when an alert can fire, be delivered and resolve at the earliest, and is due at the latest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.errors import InvalidInput
from harness.scenario import AlertDelivered, AlertFires, AlertResolves, Scenario
from harness.timescale import TimeScale


@dataclass(frozen=True)
class Window:
    """When an event can happen at the earliest and is due at the latest (scaled seconds)."""

    earliest: float
    latest: float


@dataclass(frozen=True)
class Bounds:
    """Theoretical windows for one alert rule on one stack."""

    fires: Window
    delivered: Window
    resolves: Window

    @property
    def pipeline(self) -> float:
        """How long a condition must hold, at the latest, before its notification is due (scaled seconds)."""
        return self.delivered.latest


def bounds(alert: str, prometheus: PrometheusSettings, alertmanager: AlertmanagerSettings, scale: TimeScale) -> Bounds:
    rule = prometheus.rule(alert)
    scrape = _scaled(prometheus.scrape_interval, scale)
    evaluation = _scaled(prometheus.evaluation_interval, scale)
    hold = _scaled(rule.for_, scale)
    group_wait = _scaled(alertmanager.group_wait, scale)
    resolves = Window(evaluation, _scaled(rule.longest_range, scale) + scrape + evaluation)
    return Bounds(
        fires=Window(hold, scrape + evaluation + hold),
        delivered=Window(hold + group_wait, scrape + evaluation + hold + group_wait),
        resolves=resolves,
    )


def check_deadlines(scenario: Scenario, prometheus: PrometheusSettings, alertmanager: AlertmanagerSettings) -> None:
    """Refuse deadlines shorter than the theoretical bound, explaining the arithmetic (real time)."""
    one = TimeScale(1)
    for index, expectation in enumerate(scenario.expectations):
        if not isinstance(expectation, (AlertFires, AlertDelivered, AlertResolves)):
            continue
        rule = prometheus.rule(expectation.alert)
        bound = bounds(expectation.alert, prometheus, alertmanager, one)
        latest = {AlertFires: bound.fires, AlertDelivered: bound.delivered, AlertResolves: bound.resolves}[
            type(expectation)
        ].latest
        if expectation.within.total_seconds() < latest:
            parts = (
                f"scrape {prometheus.scrape_interval.total_seconds():g} s + evaluation "
                f"{prometheus.evaluation_interval.total_seconds():g} s"
            )
            if isinstance(expectation, AlertResolves):
                parts += f" + longest range window {rule.longest_range.total_seconds():g} s"
            else:
                parts += f" + for {rule.for_.total_seconds():g} s"
            if isinstance(expectation, AlertDelivered):
                parts += f" + group_wait {alertmanager.group_wait.total_seconds():g} s"
            raise InvalidInput(
                f"{scenario.path}: expectations.{index} ({expectation.type} {expectation.alert}): "
                f"within {expectation.within.total_seconds():g} s is shorter than the {latest:g} s it can "
                f"take ({parts}). Hint: give it at least {latest:g} s, better twice that."
            )




def _scaled(duration: timedelta, scale: TimeScale) -> float:
    return scale.compress(duration).total_seconds()
