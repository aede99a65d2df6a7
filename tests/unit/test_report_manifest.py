"""manifest.sha256 covers every file of a report folder; `harness verify-report` finds any change to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import BundleError
from harness.reporting import manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    (folder / "logs").mkdir(parents=True)
    (folder / "report.json").write_text('{"suite": "x", "scenarios": []}\n')
    (folder / "report.md").write_text("# report\n")
    (folder / "logs" / "prometheus.log").write_text("level=info\n")
    manifest.write(folder)
    return folder


def verify_report(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "verify-report", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_manifest_lists_every_file_in_sha256sum_format(bundle: Path) -> None:
    checked = subprocess.run(["sha256sum", "--check", "--strict", manifest.MANIFEST], cwd=bundle,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(line.split("  ")[1] for line in (bundle / manifest.MANIFEST).read_text().splitlines()) == [
        "logs/prometheus.log", "report.json", "report.md"]


def test_an_untouched_bundle_verifies_with_exit_0(bundle: Path) -> None:
    result = verify_report(bundle)
    assert result.returncode == 0, result.stderr
    assert "intact: 3 file(s)" in result.stderr


def test_a_tampered_file_fails_verification_with_exit_1_naming_it(bundle: Path) -> None:
    (bundle / "report.md").write_text("# report, edited after the run\n")
    result = verify_report(bundle)
    assert result.returncode == 1
    assert "changed: report.md" in result.stderr
    assert "logs/prometheus.log" not in result.stderr


def test_a_removed_file_is_named_missing(bundle: Path) -> None:
    (bundle / "logs" / "prometheus.log").unlink()
    assert manifest.verify(bundle).missing == ("logs/prometheus.log",)


def test_an_added_file_is_named_extra(bundle: Path) -> None:
    (bundle / "logs" / "planted.log").write_text("x\n")
    assert manifest.verify(bundle).extra == ("logs/planted.log",)


def test_a_folder_without_a_manifest_is_bad_input_with_exit_2(tmp_path: Path) -> None:
    result = verify_report(tmp_path)
    assert result.returncode == 2
    assert "BundleError" in result.stderr and "manifest.sha256" in result.stderr


def test_a_manifest_line_that_is_not_sha256sum_format_is_located(bundle: Path) -> None:
    (bundle / manifest.MANIFEST).write_text("not a digest  report.md\n")
    with pytest.raises(BundleError, match="manifest.sha256:1: not a `sha256sum` line"):
        manifest.verify(bundle)
