"""What the command line says after an interrupt is true: everything removed, or exactly what is left."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
import typer

from harness import cli, interrupts, leftovers
from harness.engine import Removal


@pytest.fixture(autouse=True)
def handlers_given_back() -> Iterator[None]:
    yield
    interrupts.uninstall()


def exit_code(work: object) -> int:
    with pytest.raises(typer.Exit) as exited:
        cli._guarded(work, traceback=False)
    return exited.value.exit_code


def ctrl_c_twice() -> int:
    try:
        signal.raise_signal(signal.SIGINT)
    finally:
        signal.raise_signal(signal.SIGINT)  # during the clean-up
    return 0


def test_ctrl_c_with_everything_removed_says_so_and_exits_130(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(leftovers, "remove_own", lambda: Removal(removed=("container app",)))

    assert exit_code(ctrl_c_twice) == 130
    assert ("Interrupted: everything the run started has been removed (interrupted 1 more time(s) during the "
            "clean-up, which ran to its end)") in " ".join(capsys.readouterr().err.split())


def test_ctrl_c_with_something_left_names_it_instead_of_claiming_all_removed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    left = Removal(left=("container app (removal already in progress)", "network 20261202-x"))
    monkeypatch.setattr(leftovers, "remove_own", lambda: left)

    assert exit_code(ctrl_c_twice) == 130
    err = " ".join(capsys.readouterr().err.split())
    assert ("Interrupted: could not remove container app (removal already in progress), network 20261202-x. "
            "Hint: `harness sweep` removes them now that this process has ended") in err
    assert "everything" not in err


def test_a_passing_run_that_leaves_something_behind_exits_2_naming_it(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(leftovers, "remove_own", lambda: Removal(left=("volume v1 (in use)",)))

    assert exit_code(lambda: 0) == 2
    assert "LeftBehind: could not remove volume v1 (in use)" in capsys.readouterr().err
