"""A real run's bundle rendered again from its report.json and timelines (`harness report DIR`, no stack)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml
from report_bundle import FAILING, PASSING, copy_of_recorded_run
from test_report_markdown import _rendered_tables

from harness.reporting import bundle, manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_of_recorded_run(tmp_path_factory.mktemp("recorded"))
    bundle.rerender(folder)
    return folder


@pytest.fixture(scope="module")
def data(rendered: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((rendered / "report.json").read_text())


def test_harness_report_renders_md_html_junit_and_manifest_from_the_json_alone(tmp_path: Path,
                                                                               note: Callable[[str], None]) -> None:
    folder = copy_of_recorded_run(tmp_path)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"})  # no engine needed
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert {"report.md", "report.html", "report.junit.xml", "manifest.sha256"} <= {p.name for p in folder.iterdir()}
    assert manifest.verify(folder).intact
    note(f"harness report on the recorded run: {took:.2f} s as a command; {result.stderr.strip().splitlines()[-1]}")


def test_the_decision_is_no_and_names_the_failing_expectation(rendered: Path) -> None:
    markdown = (rendered / "report.md").read_text()
    html = (rendered / "report.html").read_text()
    failing = f"{FAILING}: HighErrorRate reaches exactly pagerduty-critical, slack-warnings: "
    assert "**Decision: NO: not verified; fix the failures and run again**" in markdown
    assert f"- {failing}" in markdown and "slack-warnings: nothing arrived" in markdown
    assert "Decision: NO: not verified" in html and failing in html


def test_the_passing_scenarios_are_not_among_the_reasons(data: dict) -> None:  # type: ignore[type-arg]
    reasons = data["decision"]["reasons"]
    assert reasons and all(reason.startswith(FAILING) for reason in reasons)
    assert {s["name"]: s["status"] for s in data["scenarios"]} == {**dict.fromkeys(PASSING, "verified"),
                                                                  FAILING: "failed"}


def test_every_verdict_and_its_figures_are_in_the_markdown_and_the_html(rendered: Path, data: dict) -> None:  # type: ignore[type-arg]
    tables = _rendered_tables((rendered / "report.md").read_text())
    rows = [row for table in tables if table and table[0][:2] == ["", "expectation"] for row in table[1:]]
    html = (rendered / "report.html").read_text()
    for scenario in data["scenarios"]:
        for verdict in scenario["verdicts"]:
            figures = [verdict["expectation"], verdict["deadline"], verdict["measured"], verdict["earliest"],
                       verdict["latest"], verdict["measured_real"], verdict["detail"]]
            assert any(row[1:] == figures for row in rows), figures
            assert verdict["detail"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html


def test_a_query_with_a_pipe_and_backticks_stays_in_its_cell(rendered: Path) -> None:
    tables = _rendered_tables((rendered / "report.md").read_text())
    titles = [row[1] for table in tables if table and table[0][:2] == ["", "expectation"] for row in table[1:]]
    assert 'metric `http_requests_total{job="app", route=~`/api/items|/api/none`}` is scraped' in titles


def test_the_alert_table_shows_receivers_expected_and_reached(rendered: Path) -> None:
    tables = _rendered_tables((rendered / "report.md").read_text())
    (alerts,) = [table for table in tables if table[0][:2] == ["scenario", "alert"]]
    wrong = next(row for row in alerts if row[0] == FAILING)
    assert wrong[1:5] == ["HighErrorRate", "critical", "pagerduty-critical, slack-warnings",
                          "pagerduty-critical, slack-critical"]
    paged = next(row for row in alerts if row[0] == "high-error-rate")
    assert paged[4] == "pagerduty-critical, slack-critical" and paged[10] == "verified"
    assert wrong[5] == "8.6 s" and wrong[6] == "–"  # it fired; no delivery reached every receiver it expects
    assert (paged[5], paged[6], paged[7]) == ("8.5 s", "9.2 s", "8.2–9.2 s")


def test_the_checklist_ticks_only_what_a_measured_result_shows(data: dict) -> None:  # type: ignore[type-arg]
    ticks = {item["title"]: item["tick"] for item in data["checklist"]}
    assert ticks["Alerts of severity critical fire and reach their receivers"] == "not ticked"
    assert ticks["Metrics visible: every metric the scenarios read is scraped"] == "ticked"
    assert ticks["slack notifications delivered"] == "ticked"
    assert ticks["Every scenario verified"] == "not ticked"
    assert ticks["Inhibitions and silences hold: suppressed notifications never arrive"] == "not measured"


def test_observer_errors_are_not_listed_as_faults(data: dict) -> None:  # type: ignore[type-arg]
    for scenario in data["scenarios"]:
        assert not any("observer" in fault for fault in scenario["faults"])
        assert isinstance(scenario["observer_errors"], list)


class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.images: list[str] = []
        self.policy = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        if found.get("src") and not (found["src"] or "").startswith("data:"):
            self.fetched.append(f"{tag} src={found['src']}")
        if tag == "link":
            self.fetched.append(f"link {found.get('href')}")
        if tag == "meta" and found.get("http-equiv") == "Content-Security-Policy":
            self.policy = found.get("content") or ""


def test_the_html_fetches_nothing_and_inlines_every_plot(rendered: Path) -> None:
    html = (rendered / "report.html").read_text()
    sources = _Sources()
    sources.feed(html)
    assert sources.fetched == []
    assert "url(" not in html and "@import" not in html
    assert sources.policy.startswith("default-src 'none'; img-src data:")
    assert len(sources.images) == 3 and all(src.startswith("data:image/png;base64,") for src in sources.images)


def test_the_junit_fails_exactly_the_expectations_that_failed(rendered: Path, data: dict) -> None:  # type: ignore[type-arg]
    xml = JUnitXml.fromfile(str(rendered / "report.junit.xml"))
    failed = {(suite.name, case.name) for suite in xml for case in suite
              if any(isinstance(result, Failure) for result in case.result)}
    expected = {(s["name"], v["expectation"]) for s in data["scenarios"] for v in s["verdicts"] if v["status"] != "verified"}
    assert failed == expected and expected
    cases = {(suite.name, case.name) for suite in xml for case in suite}
    assert {(s["name"], v["expectation"]) for s in data["scenarios"] for v in s["verdicts"]} <= cases


def test_the_provenance_says_what_ran(data: dict, rendered: Path) -> None:  # type: ignore[type-arg]
    provenance = data["provenance"]
    assert len(provenance["commit"]) == 40
    assert {info["program"] for info in provenance["build_info"] if info["version"]} == {"prometheus", "alertmanager"}
    assert all(image["image_id"].startswith("sha256:") for image in provenance["images"])
    built = [image for image in provenance["images"] if image["source"] in ("built", "cached") and image["recipe"]]
    assert len(built) == 9 and all(len(image["recipe_digest"]) == 16 for image in built)
    roles = {entry["role"] for entry in provenance["files"]}
    assert {"scenario", "compose", "prometheus", "alertmanager"} <= roles
    markdown = (rendered / "report.md").read_text()
    assert "## Provenance" in markdown and provenance["commit"] in markdown


def test_rendering_again_gives_the_same_markdown_and_junit(rendered: Path, tmp_path: Path) -> None:
    again = copy_of_recorded_run(tmp_path)
    bundle.rerender(again)
    for name in ("report.md", "report.junit.xml"):
        assert (again / name).read_text() == (rendered / name).read_text()


def test_a_mutation_runs_baseline_shows_the_score_and_the_survivors(tmp_path: Path) -> None:
    baseline = copy_of_recorded_run(tmp_path / "mutation-run" / "baseline")
    (tmp_path / "mutation-run" / "mutation.json").write_text(json.dumps({
        "run_id": "20261203-080000-abcd",
        "score": {"killed": 6, "judged": 7, "ratio": 0.857, "killed_by_verdict": 5, "killed_static": 1, "survived": 1},
        "mutants": [{"kind": "group_wait_x20", "file": "alertmanager/alertmanager.yml", "where": "route.group_wait",
                     "change": "30s -> 10m", "outcome": "survived", "reason": "every deadline still met"},
                    {"kind": "receiver_removed", "file": "alertmanager/alertmanager.yml", "where": "route.routes[1]",
                     "change": "receiver removed", "outcome": "killed", "reason": "slack-critical: nothing arrived"}],
    }))

    bundle.rerender(baseline)

    html = (baseline / "report.html").read_text()
    assert "mutation score 6/7 (86%): 5 killed by a verdict, 1 by a static check, 1 survived" in html
    assert "group_wait_x20" in html and "every deadline still met" in html and "receiver_removed" not in html
    assert "## Mutation score" in (baseline / "report.md").read_text()
