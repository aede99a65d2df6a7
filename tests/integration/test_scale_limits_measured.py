"""Scale limits on real containers: the figure is measured, and a scale it would distort is refused with it."""

from __future__ import annotations

import json
from pathlib import Path

from commands import harness, our_containers, run_folder


def test_postgres_down_at_x40_is_refused_with_the_exporters_measured_answer_time(tmp_path: Path) -> None:
    result = harness("run", "scenarios/library/postgres-down.yml", "--scale", "40", "--scale-limits", "refuse",
                     reports=tmp_path)

    assert result.returncode == 2, result.stderr[-3000:]
    message = " ".join(result.stderr.split())
    assert "ScaleRefused: the requested time scale ×40 would distort 1 scenario(s):" in message
    assert "postgres-exporter:9187 (job postgres)" in message and "(postgres down (container_stop))" in message
    assert "at ×40 the scrape timeout of job postgres is 0.25 s" in message
    run_dir = run_folder(tmp_path)
    report = json.loads((run_dir / "report.json").read_text())
    measured = {f["target"]: f for f in report["limits"]["figures"]["scrapes"] if f["condition"]}
    assert measured["postgres-exporter:9187"]["seconds"] > 0.25 * 1.2  # slower than ×40 allows
    assert "Scale limits" in (run_dir / "report.md").read_text()
    assert our_containers(tmp_path) == []
