import os
from pathlib import Path

import pytest

from harness import tools
from harness.errors import ConfigError


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_PROMTOOL", str(_executable(tmp_path / "my-promtool")))
    assert tools.promtool() == tmp_path / "my-promtool"


def test_a_variable_naming_no_executable_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_AMTOOL", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="HARNESS_AMTOOL=.*scripts/setup"):
        tools.amtool()


def test_a_missing_tool_tells_the_user_to_run_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_AMTOOL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tools, "_venv_bins", lambda: [tmp_path / "venv-bin"])
    with pytest.raises(ConfigError, match=r"amtool not found .*Hint: run scripts/setup"):
        tools.amtool()


def test_path_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_PROMTOOL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tools, "_venv_bins", lambda: [tmp_path / "venv-bin"])
    found = _executable(tmp_path / "promtool")
    assert tools.promtool() == found
