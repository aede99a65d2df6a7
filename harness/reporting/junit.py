"""report.junit.xml: one test suite per scenario, one test case per expectation, as a CI system shows them.

The gate fails on anything not verified, so the JUnit file does too: an inconclusive expectation
and a skipped scenario are failures (type `inconclusive` / `skipped`), never a skip a CI page
would show as grey; a scenario that broke is an error, and so is a run that broke before any
verdict. The config check is a suite of its own: each error-level finding fails the gate, and is a
failed case here.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

__all__ = ["render"]


def render(data: dict[str, Any]) -> bytes:
    suites = ElementTree.Element("testsuites", name=f"harness {data['suite']}")
    if data.get("error"):
        suite = _suite(suites, "run", 0.0)
        _case(suite, "run", "the run gives verdicts", "error", "run-error", data["error"])
    for scenario in data.get("scenarios", []):
        suite = _suite(suites, scenario["name"], scenario.get("wall_seconds") or 0.0)
        for verdict in scenario["verdicts"]:
            status = verdict["status"]
            outcome = None if status == "verified" else "failure"
            _case(suite, scenario["name"], verdict["expectation"], outcome, status,
                  verdict["detail"] if status == "failed" else f"{status}: {verdict['detail']}")
        if scenario.get("error"):
            _case(suite, scenario["name"], "scenario runs to its end", "error", "scenario-error", scenario["error"])
        elif scenario.get("skipped"):
            _case(suite, scenario["name"], "scenario runs", "failure", "skipped",
                  f"skipped, so not verified (the gate fails on it): {scenario['skipped']}")
        elif not scenario["verdicts"]:
            _case(suite, scenario["name"], "scenario gives verdicts", "failure", "no-verdicts", "no verdict was given")
    check = data.get("config_check")
    if check:
        suite = _suite(suites, "config check", float(check.get("seconds") or 0.0))
        errors = [f for f in check.get("findings", []) if f.get("severity") == "error"]
        for finding in errors:
            _case(suite, "config check", f"{finding['file']}:{finding['line']}: {finding['subject']} ({finding['code']})",
                  "failure", "config-error", f"{finding['message']} Fix: {finding.get('fix', '')}")
        if not errors:
            _case(suite, "config check", "no error-level finding", None, "", "")
    for suite in suites:
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(case.find("failure") is not None for case in cases)))
        suite.set("errors", str(sum(case.find("error") is not None for case in cases)))
        suite.set("skipped", "0")
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)


def _suite(parent: ElementTree.Element, name: str, seconds: float) -> ElementTree.Element:
    return ElementTree.SubElement(parent, "testsuite", name=name, time=f"{seconds:.1f}")


def _case(suite: ElementTree.Element, classname: str, name: str, outcome: str | None, kind: str, message: str) -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name)
    if outcome is not None:
        element = ElementTree.SubElement(case, outcome, type=kind, message=message)
        element.text = message
