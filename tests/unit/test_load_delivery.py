"""Load asked against load delivered: a generator that cannot keep up is said so, and absence is not earned."""

from __future__ import annotations

from harness.load import LoadRecord, issued_rate


def history(rate: float, start: float, seconds: int, stop_after: int | None = None) -> list[tuple[float, int]]:
    rows, total = [], 0
    for second in range(seconds + 1):
        rows.append((start + second, total))
        if stop_after is None or second < stop_after:
            total += int(rate)
    return rows


def test_a_generator_that_keeps_up_delivers_what_was_asked() -> None:
    assert issued_rate(history(20, 1000.0, 30), 1000.0, 1030.0) == 20.0
    assert LoadRecord(asked_rps=20.0, delivered_rps=19.5).shortfall == ""


def test_a_generator_that_cannot_keep_up_is_a_shortfall_naming_both_figures() -> None:
    delivered = issued_rate(history(1056, 0.0, 30), 0.0, 30.0)
    assert LoadRecord(asked_rps=2000.0, delivered_rps=delivered).shortfall == \
        "load asked 2000 req/s and got 1056 req/s (53 %)"


def test_a_generator_that_stopped_early_counts_its_silence_against_it() -> None:
    # A request budget spent 19 s into a 30 s window: the rows stop growing, the rate falls.
    rate = issued_rate(history(1000, 0.0, 19), 0.0, 30.0)
    assert rate is not None and rate < 0.95 * 1000
    assert LoadRecord(asked_rps=1000.0, delivered_rps=rate).shortfall.startswith("load asked 1000 req/s")


def test_a_window_too_short_to_judge_is_not_compared() -> None:
    assert issued_rate(history(20, 0.0, 4), 0.0, 4.0) is None
    assert LoadRecord(asked_rps=20.0, delivered_rps=None).shortfall == ""
