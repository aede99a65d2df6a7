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
