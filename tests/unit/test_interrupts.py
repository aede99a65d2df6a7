"""Ctrl-C and SIGTERM stop a run once; a second or third one never cuts its clean-up short."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from harness import interrupts


@pytest.fixture(autouse=True)
def ordinary_handlers() -> Iterator[None]:
    """Each test starts from Python's own handlers (CLI tests elsewhere leave the CLI's installed) and ends with them."""
    interrupts.uninstall()
    ordinary = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    before = {signum: signal.signal(signum, handler) for signum, handler in ordinary.items()}
    yield
    interrupts.uninstall()
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.fixture
def notices() -> Iterator[list[str]]:
    """The CLI's handling installed for one test, with its notices collected."""
    collected: list[str] = []
    interrupts.install(collected.append)
    yield collected
    interrupts.uninstall()


def test_uninstall_gives_back_the_handlers_from_before_install() -> None:
    interrupts.install()
    interrupts.install()  # a second command run in the same process

    interrupts.uninstall()

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_the_first_ctrl_c_interrupts_and_a_second_and_third_during_clean_up_do_not(notices: list[str]) -> None:
    cleaned: list[str] = []

    with pytest.raises(KeyboardInterrupt):
        try:
            signal.raise_signal(signal.SIGINT)
        finally:
            cleaned.append("containers")
            signal.raise_signal(signal.SIGINT)
            cleaned.append("network")
            signal.raise_signal(signal.SIGTERM)
            cleaned.append("everything by label")

    assert cleaned == ["containers", "network", "everything by label"]
    assert interrupts.received() == 3
    assert [notice.split(":")[0] for notice in notices] == ["SIGINT again", "SIGTERM again"]
    assert "still removing what the run started" in notices[0]


def test_sigterm_interrupts_like_ctrl_c(notices: list[str]) -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGTERM)
    assert notices == []


def test_ctrl_c_during_an_ordinary_clean_up_waits_for_its_end_then_interrupts(notices: list[str]) -> None:
    cleaned: list[str] = []

    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            cleaned.append("containers")
            signal.raise_signal(signal.SIGINT)
            cleaned.append("network")
    signal.raise_signal(signal.SIGINT)  # unwinding now: counted, not raised

    assert cleaned == ["containers", "network"]
    assert notices[0] == "SIGINT: finishing the clean-up first, then stopping."
    assert notices[1].startswith("SIGINT again: still removing")


def test_nested_shields_raise_once_the_outermost_ends(notices: list[str]) -> None:
    cleaned: list[str] = []

    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            with interrupts.shielded():
                signal.raise_signal(signal.SIGTERM)
                cleaned.append("inner")
            cleaned.append("outer")

    assert cleaned == ["inner", "outer"]


def test_a_shield_without_the_cli_handler_holds_ctrl_c_back_and_gives_the_old_handler_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    cleaned: list[str] = []

    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            cleaned.append("all of it")

    assert cleaned == ["all of it"]
    assert signal.getsignal(signal.SIGINT) is before
    with pytest.raises(KeyboardInterrupt):  # the next Ctrl-C is an ordinary one again
        signal.raise_signal(signal.SIGINT)


def test_a_shield_outside_the_main_thread_changes_no_handler() -> None:
    seen: list[object] = []

    def clean_up() -> None:
        with interrupts.shielded():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=clean_up)
    thread.start()
    thread.join()

    assert seen == [signal.getsignal(signal.SIGINT)]
