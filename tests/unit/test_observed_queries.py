from datetime import timedelta

import pytest

from harness.errors import InvalidInput
from harness.runner import observed_queries
from harness.scenario import Scenario
from harness.timescale import TimeScale

EVALUATION = timedelta(seconds=15)


def scenario(*expectations: dict[str, object]) -> Scenario:
    return Scenario.model_validate({"name": "s", "expectations": list(expectations)})


def test_expectation_queries_are_written_in_real_time_and_sent_scaled() -> None:
    query = 'sum(rate(http_requests_total{job="app"}[1m]))'

    present, sampled = observed_queries(
        scenario({"type": "metric_crosses", "query": query, "above": 25, "within": "3m"}), TimeScale(40), EVALUATION
    )

    assert present == {}
    assert sampled == {query: 'sum(rate(http_requests_total{job="app"}[1s500ms]))'}


def test_a_plain_metric_query_is_sent_as_written() -> None:
    query = 'http_requests_total{job="app"}'

    present, _ = observed_queries(scenario({"type": "metric_present", "query": query, "within": "2m"}), TimeScale(40),
                                  EVALUATION)

    assert present == {query: query}


def test_a_query_that_is_not_promql_is_refused_naming_the_expectation() -> None:
    bad = scenario({"type": "metric_crosses", "query": "sum(rate(x[1m]", "above": 1, "within": "1m"})

    with pytest.raises(InvalidInput, match=r"expectations.0.query \(metric_crosses\): invalid PromQL"):
        observed_queries(bad, TimeScale(40), EVALUATION)


def test_every_alert_a_scenario_names_has_its_left_hand_side_sampled_for_the_report_plot() -> None:
    from builders import prometheus_settings, rule, scenario

    from harness.judges import lhs_name
    from harness.runner import threshold_queries

    settings = prometheus_settings(rule("Down", expr="up == 0"), rule("Slow", expr="latency_seconds > 0.5"))
    wanted = scenario({"type": "alert_delivered", "alert": "Slow", "receivers": ["x"], "within": "5m"},
                      {"type": "alert_fires", "alert": "Down", "within": "5m"})

    assert threshold_queries(wanted, settings) == {lhs_name("Slow"): "latency_seconds", lhs_name("Down"): "up"}
