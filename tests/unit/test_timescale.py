from datetime import timedelta

import pytest

from harness.errors import ConfigError
from harness.timescale import TimeScale, parse_duration

TWENTY = TimeScale(20)


def test_factor_below_one_is_refused() -> None:
    with pytest.raises(ConfigError, match="time scale must be 1 .* got 0.5"):
        TimeScale(0.5)


@pytest.mark.parametrize("zero", ["0", "0s", "0m"])
def test_zero_duration_stays_zero(zero: str) -> None:
    assert TWENTY.compress_text(zero, "for") == "0s"


def test_compound_duration_text_is_scaled() -> None:
    assert TWENTY.compress_text("1h30m", "for") == "4m30s"


def test_parse_duration_reads_milliseconds() -> None:
    assert parse_duration("500ms", "scrape_interval") == timedelta(milliseconds=500)


def test_invalid_duration_names_the_place_and_shows_an_example() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_duration("5 minutes", "prometheus.yml: global.scrape_interval")

    assert str(raised.value).startswith("prometheus.yml: global.scrape_interval: '5 minutes' is not a duration")
    assert "30s, 5m, 1h30m" in str(raised.value)


def test_sub_second_results_keep_their_milliseconds() -> None:
    assert TimeScale(40).compress_text("5m", "for") == "7s500ms"
