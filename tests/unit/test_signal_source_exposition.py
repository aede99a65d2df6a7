"""The signal source's HTTP API and exposition: a real server on an ephemeral port, on a clock the test moves.

What Prometheus reads is checked through prometheus_client's text parser, as a scrape would read it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.signal_source.server import make_server
from harness.signal_source.state import Signals


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Source:
    http: httpx.Client
    clock: Clock

    def program(self, *series: dict[str, Any], down_jobs: tuple[str, ...] = ()) -> httpx.Response:
        return self.http.put("/program", json={"series": list(series), "down_jobs": list(down_jobs)})

    def samples(self, job: str = "signal") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample `job` exposes, by name and labels, as Prometheus's parser reads them."""
        response = self.http.get(f"/metrics/{job}")
        assert response.status_code == 200, response.text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(response.text) for s in family.samples}

    def types(self, job: str = "signal") -> dict[str, str]:
        text = self.http.get(f"/metrics/{job}").text
        return {family.name: family.type for family in text_string_to_metric_families(text)}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    # One client for the module: making one costs about 0.1 s (its TLS context), a request 1 ms.
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def source(http: httpx.Client) -> Iterator[Source]:
    clock = Clock()
    server = make_server("127.0.0.1", 0, Signals(clock))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    http.base_url = httpx.URL(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield Source(http, clock)
    finally:
        server.shutdown()
        server.server_close()


def counter(name: str = "requests_total", rate: float = 3.0, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "counter", "rate": rate, **fields}


def test_a_counter_grows_by_its_rate_per_second(source: Source) -> None:
    assert source.program(counter(rate=3.0, labels={"code": "500"})).json() == {"series": 1}
    source.clock.now += 10

    assert source.samples()[("requests_total", (("code", "500"),))] == pytest.approx(30.0)


def test_a_new_counter_starts_at_zero(source: Source) -> None:
    source.program(counter())

    assert source.samples()[("requests_total", ())] == 0.0


def test_a_counter_kept_by_the_next_program_goes_on_from_its_value(source: Source) -> None:
    source.program(counter(rate=3.0))
    source.clock.now += 10
    source.program(counter(rate=1.0))
    source.clock.now += 5

    assert source.samples()[("requests_total", ())] == pytest.approx(35.0)


def test_a_counter_left_out_of_a_program_is_no_longer_exposed(source: Source) -> None:
    source.program(counter("a_total"), counter("b_total"))
    source.program(counter("a_total"))

    assert [name for name, _ in source.samples()] == ["a_total"]


def test_a_gauge_reads_its_value_plus_its_slope_since_it_was_programmed(source: Source) -> None:
    source.program({"name": "queue_depth", "kind": "gauge", "value": 40, "slope": -2})
    source.clock.now += 5

    assert source.samples()[("queue_depth", ())] == pytest.approx(30.0)


def test_histogram_buckets_are_cumulative_and_count_only_bounds_at_or_above_the_latency(source: Source) -> None:
    source.program({"name": "request_seconds", "kind": "histogram", "rate": 2, "latency": 0.3,
                    "buckets": [0.1, 0.25, 0.5, 1]})
    source.clock.now += 10
    samples = source.samples()

    buckets = {dict(labels)["le"]: value for (name, labels), value in samples.items() if name == "request_seconds_bucket"}
    assert buckets == {"0.1": 0, "0.25": 0, "0.5": 20, "1": 20, "+Inf": 20}
    assert samples[("request_seconds_count", ())] == pytest.approx(20)
    assert samples[("request_seconds_sum", ())] == pytest.approx(6.0)


def test_histogram_without_buckets_uses_the_client_libraries_default_bounds(source: Source) -> None:
    source.program({"name": "request_seconds", "kind": "histogram", "rate": 1, "latency": 0.05})

    bounds = [dict(labels)["le"] for (name, labels) in source.samples() if name == "request_seconds_bucket"]
    assert bounds == ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5",
                      "10", "+Inf"]


def test_a_summary_reports_its_latency_at_every_quantile(source: Source) -> None:
    source.program({"name": "rpc_seconds", "kind": "summary", "rate": 4, "latency": 0.2, "labels": {"rpc": "get"}})
    source.clock.now += 5
    samples = source.samples()

    quantiles = {dict(labels)["quantile"]: value for (name, labels), value in samples.items() if name == "rpc_seconds"}
    assert quantiles == {"0.5": 0.2, "0.9": 0.2, "0.95": 0.2, "0.99": 0.2}
    assert samples[("rpc_seconds_count", (("rpc", "get"),))] == pytest.approx(20)
    assert samples[("rpc_seconds_sum", (("rpc", "get"),))] == pytest.approx(4.0)


def test_each_name_is_typed_once_as_its_kind(source: Source) -> None:
    source.program(counter(labels={"code": "200"}), counter(labels={"code": "500"}),
                   {"name": "temperature", "kind": "gauge", "value": 1},
                   {"name": "latency_seconds", "kind": "histogram"}, {"name": "rpc_seconds", "kind": "summary"})

    text = source.http.get("/metrics").text

    assert text.count("# TYPE requests_total counter") == 1
    assert source.types() == {"requests": "counter", "temperature": "gauge", "latency_seconds": "histogram",
                              "rpc_seconds": "summary"}


def test_label_values_are_escaped(source: Source) -> None:
    awkward = 'say "hi"\\now\nthen'
    source.program(counter(labels={"path": awkward}))

    assert source.samples()[("requests_total", (("path", awkward),))] == 0.0


def test_each_job_exposes_only_its_own_series(source: Source) -> None:
    source.program(counter("node_total", job="node"), counter("app_total"))

    assert list(source.samples("node")) == [("node_total", ())]
    assert list(source.samples("signal")) == [("app_total", ())]


def test_plain_metrics_path_is_the_signal_job(source: Source) -> None:
    source.program(counter("app_total"))

    assert "app_total 0" in source.http.get("/metrics").text


def test_a_down_job_answers_503_and_other_jobs_still_answer(source: Source) -> None:
    source.program(counter("node_total", job="node"), down_jobs=("node",))

    assert source.http.get("/metrics/node").status_code == 503
    assert source.http.get("/metrics/db").status_code == 200


def test_a_job_with_no_series_answers_an_empty_page(source: Source) -> None:
    assert source.samples("anything") == {}


def test_the_program_reads_back_as_it_was_given(source: Source) -> None:
    source.program(counter(labels={"code": "500"}, job="api"), down_jobs=("node",))

    program = source.http.get("/program").json()

    assert program == {"series": [{"name": "requests_total", "kind": "counter", "labels": {"code": "500"},
                                   "job": "api", "rate": 3.0}], "down_jobs": ["node"]}


def test_delete_clears_every_series_and_every_down_job(source: Source) -> None:
    source.program(counter(), down_jobs=("signal",))

    assert source.http.delete("/program").status_code == 200

    assert source.samples() == {}
    assert source.http.get("/program").json() == {"series": [], "down_jobs": []}


@pytest.mark.parametrize(("body", "field"), [
    ({"series": [{"kind": "counter"}]}, "series[0].name"),
    ({"series": [{"name": "x", "kind": "meter"}]}, "series[0].kind"),
    ({"series": [{"name": "x", "kind": "counter", "rate": -1}]}, "series[0].rate"),
    ({"series": [{"name": "x", "kind": "counter", "rate": "fast"}]}, "series[0].rate"),
    ({"series": [{"name": "x", "kind": "gauge", "rate": 1}]}, "series[0].rate"),
    ({"series": [{"name": "x", "kind": "counter", "labels": {"a": 1}}]}, "series[0].labels.a"),
    ({"series": [{"name": "x", "kind": "histogram", "labels": {"le": "1"}}]}, "series[0].labels.le"),
    ({"series": [{"name": "x", "kind": "histogram", "buckets": [1, 0.5]}]}, "series[0].buckets[1]"),
    ({"series": [{"name": "x", "kind": "counter", "job": "a/b"}]}, "series[0].job"),
    ({"series": [{"name": "x", "kind": "counter"}, {"name": "x", "kind": "gauge", "labels": {"a": "b"}}]},
     "series[1].kind"),
    ({"series": [], "down_jobs": "node"}, "down_jobs"),
    ({"series": [], "up_jobs": []}, "up_jobs"),
    ([], "body"),
])
def test_a_bad_program_is_refused_with_400_naming_the_field(source: Source, body: Any, field: str) -> None:
    response = source.http.put("/program", json=body)

    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}:")


def test_a_refused_program_leaves_the_last_one_in_force(source: Source) -> None:
    source.program(counter())

    source.program({"name": "x", "kind": "meter"})

    assert ("requests_total", ()) in source.samples()


def test_the_health_check_answers_200(source: Source) -> None:
    assert source.http.get("/healthz").status_code == 200
