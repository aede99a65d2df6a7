"""Provenance: what exactly ran, recorded before anything starts (the live part is proven in test_cli)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from harness import provenance
from harness.redaction import Secrets

ROOT = Path(__file__).resolve().parents[2]


def test_every_input_file_is_recorded_with_its_sha256(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("groups: []\n")

    found = provenance.collect(["harness", "gate"], [("prometheus", rules)])

    (entry,) = found.files
    assert (entry.role, entry.sha256, entry.size) == ("prometheus", hashlib.sha256(b"groups: []\n").hexdigest(), 11)


def test_a_file_that_holds_only_a_secret_gets_no_hash(tmp_path: Path) -> None:
    key = tmp_path / "pagerduty.key"
    key.write_text("0123456789abcdef0123456789abcdef\n")

    found = provenance.collect([], [("alertmanager", key)], Secrets(["0123456789abcdef0123456789abcdef"]))

    assert found.files[0].sha256 == provenance.SECRET_FILE


def test_the_harness_commit_is_the_checkout_it_runs_from() -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert provenance.collect([], []).commit == head


def test_the_command_line_and_host_are_recorded() -> None:
    found = provenance.collect(["harness", "gate", "--scale", "40"], [])
    assert found.command == ("harness", "gate", "--scale", "40")
    assert found.host.cores >= 1 and found.host.kernel


def test_the_command_shows_as_typed_not_as_the_path_of_the_module() -> None:
    assert provenance.command_line(["/opt/x/harness/cli.py", "gate"]) == ("python -m harness.cli", "gate")
    assert provenance.command_line(["/work/.venv/bin/harness", "gate", "--scale", "40"]) == (
        "harness", "gate", "--scale", "40")
