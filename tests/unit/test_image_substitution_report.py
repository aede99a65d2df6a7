"""A report says which image a run used in place of the one the compose file names, and why."""

from __future__ import annotations

import json
from pathlib import Path

from report_bundle import copy_of_recorded_run

from harness.images import ResolvedImage
from harness.reporting import bundle

WHY = "prom/prometheus:v2.42.0 is not on unix:///var/run/docker.sock and was not pulled (no such host)"


def test_a_stand_in_describes_itself_as_requested_x_ran_y_and_why() -> None:
    image = ResolvedImage("prometheus", "harness/prometheus:e3135082c69c693c", "cached",
                          requested="prom/prometheus:v2.42.0", substituted_because=WHY)

    assert image.describe() == f"requested prom/prometheus:v2.42.0, ran harness/prometheus:e3135082c69c693c (cached): {WHY}"


def test_the_image_the_file_names_describes_itself_by_tag_and_source() -> None:
    image = ResolvedImage("prometheus", "prom/prometheus:v2.42.0", "local", requested="prom/prometheus:v2.42.0")

    assert (image.substituted, image.describe()) == (False, "prom/prometheus:v2.42.0 (local)")


def test_the_report_names_the_requested_image_the_one_that_ran_and_why(tmp_path: Path) -> None:
    folder = copy_of_recorded_run(tmp_path)
    report = folder / "report.json"
    data = json.loads(report.read_text())
    image = next(i for i in data["provenance"]["images"] if i["service"] == "prometheus")
    image.update(requested="prom/prometheus:v2.42.0", substituted_because=WHY)
    report.write_text(json.dumps(data))

    bundle.rerender(folder)

    markdown = (folder / "report.md").read_text()
    assert (f"- image of prometheus: requested `prom/prometheus:v2.42.0`, ran `{image['tag']}` ({image['source']}): "
            f"{WHY}") in markdown
    assert "(stands in for <code>prom/prometheus:v2.42.0</code>: " in (folder / "report.html").read_text()
