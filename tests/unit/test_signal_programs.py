"""Signal programs as the host writes them: what they refuse, how they read, what they send, how Prometheus scrapes them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from harness.errors import StackError
from harness.signal_source.program import parse_program
from harness.signals import Series, SignalProgram, SignalSourceClient, scrape_configs

CPU = {"name": "node_cpu_seconds_total", "kind": "counter", "rate": 3, "labels": {"mode": "user"}, "job": "node"}
QUEUE = {"name": "queue_depth", "kind": "gauge", "value": 40, "slope": 2}
LATENCY = {"name": "http_request_duration_seconds", "kind": "histogram", "rate": 5, "latency": 0.8}


def refusal(model: type[Series] | type[SignalProgram], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


def test_a_series_defaults_to_the_signal_job_and_the_client_libraries_buckets() -> None:
    series = Series.model_validate({"name": "x_seconds", "kind": "histogram"})

    assert series.job == "signal"
    assert series.buckets[:3] == (0.005, 0.01, 0.025) and series.buckets[-1] == 10.0


@pytest.mark.parametrize(("data", "says"), [
    ({"name": "x", "kind": "gauge", "rate": 1}, "a gauge has no field 'rate' (its fields: value, slope)"),
    ({"name": "x", "kind": "counter", "latency": 1}, "a counter has no field 'latency'"),
    ({"name": "x", "kind": "histogram", "labels": {"le": "1"}}, "label 'le'"),
    ({"name": "x", "kind": "summary", "labels": {"quantile": "1"}}, "label 'quantile'"),
    ({"name": "x", "kind": "counter", "labels": {"__name__": "y"}}, "'__name__' is not a label name"),
    ({"name": "x", "kind": "counter", "labels": {"a-b": "y"}}, "'a-b' is not a label name"),
    ({"name": "x-y", "kind": "counter"}, "name"),
    ({"name": "x", "kind": "meter"}, "kind"),
    ({"name": "x", "kind": "counter", "rate": -1}, "rate"),
    ({"name": "x", "kind": "gauge", "value": float("nan")}, "value"),
    ({"name": "x", "kind": "histogram", "buckets": [1, 1]}, "bucket bounds must increase, and 1 follows 1"),
    ({"name": "x", "kind": "counter", "job": "a/b"}, "job"),
    ({"name": "x", "kind": "counter", "unit": "s"}, "unit"),
])
def test_a_series_the_source_could_not_run_is_refused_saying_why(data: dict[str, Any], says: str) -> None:
    assert says in refusal(Series, data)


def test_a_program_with_the_same_series_twice_is_refused() -> None:
    assert "series[1] (node_cpu_seconds_total {'mode': 'user'}) is also series[0]" in refusal(
        SignalProgram, {"series": [CPU, {**CPU, "rate": 1}]})


def test_a_program_giving_one_name_two_kinds_is_refused() -> None:
    says = refusal(SignalProgram, {"series": [QUEUE, {"name": "queue_depth", "kind": "counter", "labels": {"q": "a"}}]})

    assert "queue_depth is a gauge in series[0] and a counter here" in says


def test_a_down_job_must_be_a_job_name() -> None:
    assert "'a b' is not a job name" in refusal(SignalProgram, {"down_jobs": ["a b"]})


def test_a_program_describes_its_series_and_its_down_jobs() -> None:
    program = SignalProgram.model_validate({"series": [CPU, QUEUE, LATENCY], "down_jobs": ["node"]})

    assert program.describe() == (
        '3 series (node_cpu_seconds_total{mode="user"} counter at 3/s, queue_depth gauge at 40 (+2/s), '
        "http_request_duration_seconds histogram at 5/s taking 0.8 s), job node down"
    )


def test_an_empty_program_describes_itself_as_such() -> None:
    assert SignalProgram().describe() == "no series"


def test_a_program_names_every_job_it_uses() -> None:
    program = SignalProgram.model_validate({"series": [CPU, QUEUE], "down_jobs": ["db", "node"]})

    assert program.jobs == ["node", "signal", "db"]


def test_the_service_reads_the_programs_body_as_the_host_wrote_it() -> None:
    program = SignalProgram.model_validate({"series": [CPU, QUEUE, LATENCY], "down_jobs": ["node"]})

    assert parse_program(json.loads(json.dumps(program.body()))).to_json() == program.body()


def test_scrape_configs_give_each_job_its_own_metrics_path_on_the_source() -> None:
    assert scrape_configs(["node", "api"], "signal-source:9300") == [
        {"job_name": "node", "metrics_path": "/metrics/node", "honor_labels": True,
         "static_configs": [{"targets": ["signal-source:9300"]}]},
        {"job_name": "api", "metrics_path": "/metrics/api", "honor_labels": True,
         "static_configs": [{"targets": ["signal-source:9300"]}]},
    ]


def test_scrape_configs_set_the_interval_only_when_asked() -> None:
    (entry,) = scrape_configs(["node", "node"], "s:9300", scrape_interval="1s")

    assert entry["scrape_interval"] == "1s"


def client(answer: Any, seen: list[httpx.Request] | None = None) -> SignalSourceClient:
    def handler(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        return answer(request) if callable(answer) else answer

    return SignalSourceClient("http://127.0.0.1:9300", transport=httpx.MockTransport(handler))


def test_the_client_puts_the_whole_program_and_returns_the_count_exposed() -> None:
    seen: list[httpx.Request] = []
    program = SignalProgram.model_validate({"series": [CPU], "down_jobs": ["db"]})

    count = client(httpx.Response(200, json={"series": 1}), seen).program(program)

    assert count == 1
    assert (seen[0].method, seen[0].url.path, json.loads(seen[0].content)) == ("PUT", "/program", program.body())


def test_the_client_clears_with_delete() -> None:
    seen: list[httpx.Request] = []

    client(httpx.Response(200, json={"series": 0}), seen).clear()

    assert (seen[0].method, seen[0].url.path) == ("DELETE", "/program")


def test_the_client_reads_the_current_program_back() -> None:
    program = SignalProgram.model_validate({"series": [QUEUE]})

    assert client(httpx.Response(200, json=program.body())).current() == program


def test_a_refused_program_is_a_stack_error_quoting_the_sources_reason() -> None:
    answer = httpx.Response(400, json={"error": "series[0].rate: must be a finite number >= 0, not -1"})

    with pytest.raises(StackError, match=r"PUT answered HTTP 400: series\[0\]\.rate: must be"):
        client(answer).program(SignalProgram())


def test_an_unreachable_source_is_a_stack_error_naming_its_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(StackError, match=r"signal source at http://127.0.0.1:9300/program: DELETE failed"):
        client(refuse).clear()
