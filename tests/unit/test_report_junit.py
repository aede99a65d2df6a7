"""report.junit.xml, read by a JUnit parser: a case per expectation, and what fails the gate fails there."""

from __future__ import annotations

from pathlib import Path

from builders import alertmanager_settings, prometheus_settings, scenario
from junitparser import Error, Failure, JUnitXml, Skipped

from harness import report
from harness.expectations import Verdict
from harness.runner import ScenarioResult

PRESENT = {"type": "metric_present", "query": "up", "within": "1m"}


def _run(tmp_path: Path, *results: ScenarioResult) -> dict[str, dict[str, object]]:
    """Write the report; return {suite: {case name: its result (None when passed)}} as junitparser reads it."""
    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, list(results),
                           prometheus=prometheus_settings(), alertmanager=alertmanager_settings())
    report.write(run)
    xml = JUnitXml.fromfile(str(tmp_path / "report.junit.xml"))
    return {suite.name: {case.name: (case.result[0] if case.result else None) for case in suite} for suite in xml}


def _named(name: str, *verdicts: Verdict, **fields: object) -> ScenarioResult:
    return ScenarioResult(scenario(PRESENT, name=name), list(verdicts), **fields)  # type: ignore[arg-type]


def test_each_expectation_is_one_test_case(tmp_path: Path) -> None:
    cases = _run(tmp_path, _named("two", Verdict("up is scraped", "metric_present", True, "after 1 s"),
                                  Verdict("nothing pages unannounced", "unannounced", True, "")))
    assert list(cases["two"]) == ["up is scraped", "nothing pages unannounced"]
    assert cases["two"]["up is scraped"] is None


def test_a_failed_expectation_is_a_failure_with_its_detail(tmp_path: Path) -> None:
    cases = _run(tmp_path, _named("bad", Verdict("A reaches x", "alert_delivered", False, "x: nothing arrived")))
    failure = cases["bad"]["A reaches x"]
    assert isinstance(failure, Failure) and failure.message == "x: nothing arrived"


def test_an_inconclusive_expectation_is_a_failure_since_the_gate_fails_on_it(tmp_path: Path) -> None:
    verdict = Verdict("A stays silent", "alert_silent", False, "prometheus unreadable", status="inconclusive")
    cases = _run(tmp_path, _named("unsure", verdict))
    failure = cases["unsure"]["A stays silent"]
    assert isinstance(failure, Failure) and failure.type == "inconclusive"
    assert failure.message == "inconclusive: prometheus unreadable"


def test_a_skipped_scenario_is_a_failure_not_a_junit_skip(tmp_path: Path) -> None:
    cases = _run(tmp_path, _named("cpu", skipped="no scale is faithful: host 96% busy"))
    (result,) = cases["cpu"].values()
    assert isinstance(result, Failure) and not isinstance(result, Skipped)
    assert result.type == "skipped" and "host 96% busy" in (result.message or "")


def test_a_scenario_that_broke_is_an_error(tmp_path: Path) -> None:
    cases = _run(tmp_path, _named("broke", error="StackError: prometheus did not start"))
    (result,) = cases["broke"].values()
    assert isinstance(result, Error) and "did not start" in (result.message or "")


def test_suite_counts_agree_with_the_cases(tmp_path: Path) -> None:
    _run(tmp_path, _named("mixed", Verdict("a", "metric_present", True, ""), Verdict("b", "alert_fires", False, "never"),
                          Verdict("c", "alert_silent", False, "gap", status="inconclusive")))
    (suite,) = [s for s in JUnitXml.fromfile(str(tmp_path / "report.junit.xml")) if s.name == "mixed"]
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 2, 0, 0)
