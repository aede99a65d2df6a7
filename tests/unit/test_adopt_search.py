"""The threshold search's logic, against a stand-in that evaluates like Prometheus would on the programmed series.

(The search against the real Prometheus is proven in tests/integration/test_adopt.py.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from harness.adopt.drives import drives_for
from harness.adopt.search import Found, NotFound, run_searches
from harness.configs import AlertRule


def rule(name: str, expr: str) -> AlertRule:
    return AlertRule(name, expr, expr, timedelta(0), {}, f"rules.yml: {name}")


class StandIn:
    """Answers `metric > N`-shaped rules from the last program: a series' rate or value is the metric's value."""

    def __init__(self) -> None:
        self.programs: list[dict[str, Any]] = []

    def program(self, program: dict[str, Any]) -> None:
        self.programs.append(program)

    def value(self, metric: str) -> float | None:
        for series in self.programs[-1]["series"]:
            if series["name"] == metric:
                return float(series.get("rate", series.get("value", 0.0)))
        return None

    def query(self, expression: str) -> list[dict[str, Any]]:
        metric, *comparison = expression.replace("rate(", "").replace("[5m])", "").split()
        value = self.value(metric)
        if value is None:
            return []
        if comparison and not eval(f"{value} {comparison[0]} {comparison[1]}"):  # noqa: S307 - our own test strings
            return []
        return [{"metric": {"instance": "signal-source:9300"}, "value": [0, str(value)]}]

    def searched_together(self, a: str, b: str) -> bool:
        return any({a, b} <= {series["name"] for series in program["series"]} for program in self.programs)


def search(*rules: AlertRule) -> tuple[dict[str, Any], StandIn]:
    stand_in = StandIn()
    drives = {r.name: (r, drives_for(r.name, r.expr)) for r in rules}
    outcomes = run_searches(drives, stand_in.program, stand_in.query, lambda _: 0.0)  # type: ignore[arg-type]
    return outcomes, stand_in


def test_a_rate_threshold_is_bracketed_with_the_silent_input_close_below_it() -> None:
    outcomes, _ = search(rule("Busy", "rate(jobs_total[5m]) > 40"))

    found = outcomes["Busy"]
    assert isinstance(found, Found)
    assert found.fire.fires and found.fire.lhs is not None and found.fire.lhs > 40
    assert not found.silent.fires and 20 < found.silent.lhs <= 40  # type: ignore[operator]


def test_a_rule_that_can_never_fire_is_reported_with_every_intensity_tried() -> None:
    outcomes, _ = search(rule("Impossible", "queue_depth < -1"))

    never = outcomes["Impossible"]
    assert isinstance(never, NotFound)
    assert "stayed silent at every intensity tried (1, 1000, 0.001" in never.reason


def test_rules_reading_the_same_metric_are_never_searched_at_the_same_time() -> None:
    outcomes, stand_in = search(rule("Warn", "queue_depth > 10"), rule("Page", "queue_depth > 100"),
                                rule("Other", "workers_busy > 3"))

    assert all(isinstance(outcome, Found) for outcome in outcomes.values())
    assert not any(len([s for s in p["series"] if s["name"] == "queue_depth"]) > 1 for p in stand_in.programs)
    assert stand_in.searched_together("queue_depth", "workers_busy")


def test_an_equality_rule_fires_at_its_value_and_stays_silent_at_the_first_ordinary_one() -> None:
    outcomes, _ = search(rule("Down", "pg_up == 0"))

    found = outcomes["Down"]
    assert isinstance(found, Found)
    assert (found.fire.probe.intensity, found.silent.probe.intensity) == (0.0, 1.0)


def test_rules_left_when_the_search_budget_runs_out_are_reported_not_found() -> None:
    stand_in = StandIn()
    r = rule("Slow", "queue_depth > 10")

    outcomes = run_searches({"Slow": (r, drives_for(r.name, r.expr))}, stand_in.program, stand_in.query,  # type: ignore[arg-type]
                            lambda _: 0.0, budget=-1.0)

    assert isinstance(outcomes["Slow"], NotFound)
    assert "search budget" in outcomes["Slow"].reason

