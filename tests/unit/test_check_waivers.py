"""Accepted findings (`harness-check.yml`): listed with their reason, not counted; stale waivers are findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.check.run import check
from harness.cli import app
from harness.errors import InvalidInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"


def stack_with_waivers(tmp_path: Path, case: str, waivers: str) -> Path:
    folder = tmp_path / "stack"
    shutil.copytree(FIXTURES / case, folder)
    (folder / "harness-check.yml").write_text(waivers)
    return folder


def test_an_accepted_finding_is_listed_with_its_reason_and_not_counted(tmp_path: Path) -> None:
    folder = stack_with_waivers(tmp_path, "wiring/no-alertmanager", """\
accept:
  - code: wiring.no-alertmanager
    file: prometheus.yml
    reason: this Prometheus only records; alerting runs in another cluster
""")
    result = check([folder])
    assert result.findings == ()
    (accepted,) = result.accepted
    assert accepted.finding.code == "wiring.no-alertmanager"
    assert accepted.reason == "this Prometheus only records; alerting runs in another cluster"
    assert accepted.waiver.endswith("harness-check.yml:2")


def test_an_accepted_error_does_not_fail_the_check(tmp_path: Path) -> None:
    folder = stack_with_waivers(tmp_path, "wiring/no-alertmanager",
                                "accept: [{code: wiring.no-alertmanager, reason: recording only}]\n")
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 0
    assert "1 accepted" in result.stdout and "recording only" in result.stdout


def test_a_waiver_for_another_file_accepts_nothing(tmp_path: Path) -> None:
    folder = stack_with_waivers(tmp_path, "wiring/no-alertmanager", """\
accept:
  - {code: wiring.no-alertmanager, file: other/prometheus.yml, reason: not this one}
""")
    codes = sorted(finding.code for finding in check([folder]).findings)
    assert codes == ["waivers.unused", "wiring.no-alertmanager"]


def test_a_waiver_that_matches_nothing_is_a_warning_at_its_line(tmp_path: Path) -> None:
    folder = stack_with_waivers(tmp_path, "clean", """\
accept:
  - code: secrets.placeholder-value
    reason: was a demo once
""")
    (finding,) = check([folder]).findings
    assert (finding.code, finding.severity, finding.line) == ("waivers.unused", "warning", 2)
    assert finding.file.endswith("harness-check.yml")


def test_a_waiver_without_a_reason_is_invalid_input_naming_the_line(tmp_path: Path) -> None:
    folder = stack_with_waivers(tmp_path, "clean", "accept:\n  - code: secrets.placeholder-value\n")
    with pytest.raises(InvalidInput, match=r"harness-check.yml:2: accept.0.reason: Field required"):
        check([folder])
