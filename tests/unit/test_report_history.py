"""The report's history: each alert's detection over its recent runs, drawn beside it in report.html."""

from __future__ import annotations

from pathlib import Path

from report_bundle import copy_of_recorded_run

from harness import gate
from harness.reporting import bundle, html
from harness.reporting.summary import alert_rows


def test_a_sparkline_draws_the_verified_times_and_marks_the_runs_that_were_not() -> None:
    svg = str(html.sparkline([("verified", 10.0), ("failed", None), ("verified", 12.0), ("verified", 11.0)]))

    assert svg.startswith('<svg class="spark"') and svg.count("<circle") == 1
    assert svg.count(",") - svg.count(", ") == 3  # three points on the line, one per verified run
    assert "10.0 s, –, 12.0 s, 11.0 s" in svg


def test_one_run_has_no_trend_to_draw() -> None:
    assert str(html.sparkline([("verified", 10.0)])) == "–"


def test_the_alert_table_takes_each_alerts_trend_from_the_history() -> None:
    scenario = {"name": "target-down", "scale": 40, "timeline": [], "moments": None, "verdicts": [
        {"alert": "TargetDown", "kind": "alert_fires", "expectation": "TargetDown goes pending, then firing",
         "status": "verified", "measured_s": 4.2, "window": None}]}
    history = {"target-down": {"TargetDown goes pending, then firing": [
        {"run_id": "a", "status": "verified", "measured_s": 4.0}, {"run_id": "b", "status": "verified",
                                                                    "measured_s": 4.2}]}}

    (row,) = alert_rows({"scenarios": [scenario], "history": history})

    assert row.trend == (("verified", 4.0), ("verified", 4.2))


def test_the_recorded_run_rendered_with_a_history_shows_a_sparkline_per_alert(tmp_path: Path) -> None:
    folder = copy_of_recorded_run(tmp_path)
    data = bundle.load(folder)
    data["history"] = {scenario["name"]: {verdict["expectation"]: [
        {"run_id": f"r{n}", "status": "verified", "measured_s": 4.0 + n} for n in range(4)]
        for verdict in scenario["verdicts"]} for scenario in data["scenarios"]}

    page = (bundle.render(folder, data).html).read_text()

    alerts = len(alert_rows(data))
    assert alerts >= 2
    assert page.count('<svg class="spark"') == alerts
    assert "detection over the last 4 runs: 4.0 s, 5.0 s, 6.0 s, 7.0 s" in page


def test_a_history_that_cannot_be_written_is_said_and_costs_the_run_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "history.sqlite"
    broken.write_bytes(b"this is not a database\n" * 200)
    said: list[str] = []
    run = gate.RunReport("run-1", "nightly", "compose/docker-compose.yml", "2026-12-03T02:00:00+00:00", 40.0, tmp_path)

    assert gate._record_history(broken, run, tmp_path / "docker-compose.yml", said.append) == {}
    assert said and said[0].startswith(f"history not recorded in {broken}: ")
