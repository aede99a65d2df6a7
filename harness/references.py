"""What a scenario names must exist in the stack it runs on, checked before any container starts.

Alerts (a rule of that name), receivers (in alertmanager.yml), services (in the compose file) and
the scenario's own PromQL (readable by the stack's Prometheus at ×1 and at the run's scale): a
misspelt name found after the stack booted costs a whole run; found here it costs nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import promql_parser

from harness import bounds, expectations
from harness.compression import structure
from harness.compression.lexer import tokenize
from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.errors import InvalidInput
from harness.runner import observed_queries
from harness.scenario import MetricCrosses, MetricPresent, Scenario
from harness.stackfile import Stack
from harness.timescale import TimeScale

#: What an expectation's query may not be: it is read as an instant vector (or a scalar).
_NOT_INSTANT = (promql_parser.MatrixSelector, promql_parser.SubqueryExpr, promql_parser.StringLiteral)


def check_scenarios(
    scenarios: list[Scenario], stack: Stack, prometheus: PrometheusSettings, alertmanager: AlertmanagerSettings,
    scale: TimeScale,
) -> None:
    """Refuse, naming the scenario's file and line, anything in `scenarios` the stack does not have."""
    check_distinct_names(scenarios)
    for scenario in scenarios:
        check_fault_targets(scenario, stack)
        check_alerts(scenario, prometheus)
        expectations.check_receivers(scenario, alertmanager)
        check_queries(scenario, scale, prometheus)
        bounds.check_deadlines(scenario, prometheus, alertmanager)


def check_distinct_names(scenarios: list[Scenario]) -> None:
    """Two scenarios of one name would write one report folder."""
    seen: dict[str, Scenario] = {}
    for scenario in scenarios:
        first = seen.setdefault(scenario.name, scenario)
        if first is not scenario and first.path != scenario.path:
            raise InvalidInput(f"{scenario.where('name')}: the name {scenario.name!r} is also the name of "
                               f"{first.path or 'another scenario'}; each scenario of a run needs its own name")


def check_fault_targets(scenario: Scenario, stack: Stack) -> None:
    """Refuse faults aimed at services the stack does not have (a signal fault aims at its signal source)."""
    for index, scheduled in enumerate(scenario.faults):
        if scheduled.fault.kind == "signal" and stack.with_role("signal_source") is None:
            raise InvalidInput(
                f"{scenario.where('faults', index, 'fault', 'kind')}: a signal fault programs the stack's signal "
                f"source, and no service of {stack.path.name} has `x-harness: {{role: signal_source}}`. Hint: add one "
                "built from compose/images/signal-source, with `ports: [\"127.0.0.1::9300\"]`"
            )
        service = getattr(scheduled.fault, "service", None)
        if service is not None and service not in stack.services:
            raise InvalidInput(
                f"{scenario.where('faults', index, 'fault', 'service')}: {scheduled.fault.kind} names service "
                f"{service!r}, which {stack.path.name} does not have (services: {', '.join(stack.services)})"
                + _did_you_mean(service, stack.services)
            )


def check_alerts(scenario: Scenario, prometheus: PrometheusSettings) -> None:
    """Every alert an expectation or `allow_unannounced` names is an alerting rule of the stack."""
    known = sorted({rule.name for rule in prometheus.rules})
    named = [(("expectations", index, "alert"), getattr(expectation, "alert"))
             for index, expectation in enumerate(scenario.expectations) if getattr(expectation, "alert", None)]
    named += [(("allow_unannounced", index), alert) for index, alert in enumerate(scenario.allow_unannounced)]
    for location, alert in named:
        if alert not in known:
            raise InvalidInput(
                f"{scenario.where(*location)}: no alerting rule named {alert!r} in the stack's rule files "
                f"(known: {', '.join(known) or 'none'})" + _did_you_mean(alert, known)
            )


def check_queries(scenario: Scenario, scale: TimeScale, prometheus: PrometheusSettings) -> None:
    """The scenario's PromQL, as written (×1) and as the run sends it: readable, and an instant vector."""
    for factor in sorted({1.0, scale.factor}):
        observed_queries(scenario, TimeScale(factor), prometheus.evaluation_interval)
    for index, expectation in enumerate(scenario.expectations):
        if isinstance(expectation, (MetricPresent, MetricCrosses)):
            where = scenario.where("expectations", index, "query")
            tree = structure.parse(expectation.query, tokenize(expectation.query), where)
            while isinstance(tree, promql_parser.ParenExpr):
                tree = tree.expr
            if isinstance(tree, _NOT_INSTANT):
                raise InvalidInput(
                    f"{where}: {expectation.query.strip()!r} is a {type(tree).__name__}, not an instant vector; an "
                    "expectation reads one value per series. Hint: wrap a range in a function, e.g. rate(...[5m])"
                )


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f". Did you mean {close[0]!r}?" if close else ""
