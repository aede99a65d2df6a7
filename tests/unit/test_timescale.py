from datetime import timedelta

import pytest

from harness.errors import ConfigError
from harness.timescale import TimeScale, parse_duration

EVALUATION = timedelta(seconds=15)
TWENTY = TimeScale(20)


def compress(expression: str, scale: TimeScale = TWENTY) -> str:
    return scale.compress_promql(expression, "rules.yml: groups[0].rules[0].expr", EVALUATION)


# --- PromQL ------------------------------------------------------------------------------------------


def test_rate_window_is_divided_by_the_factor() -> None:
    assert compress("rate(x[5m])") == "rate(x{}[15s])"


def test_label_matchers_are_kept_as_written() -> None:
    assert compress('rate(http_requests_total{job="app", status=~"5.."}[5m])') == (
        'rate(http_requests_total{job="app",status=~"5.."}[15s])'
    )


def test_compound_range_window_is_scaled_as_one_duration() -> None:
    assert compress("rate(x[1h30m])") == "rate(x{}[4m30s])"


def test_sub_second_range_window_is_rounded_up_to_whole_seconds() -> None:
    # 30s / 20 = 1.5 s; promql-parser cannot print sub-second durations, and a shorter window
    # could hold fewer scrapes than the rule's author meant, so windows round up
    assert compress("rate(x[30s])") == "rate(x{}[2s])"


def test_scaled_window_never_reaches_zero() -> None:
    assert TimeScale(1000).compress_promql("rate(x[1m])", "test", timedelta(seconds=15)) == "rate(x{}[1s])"


def test_subquery_range_and_step_are_both_scaled() -> None:
    assert compress("max_over_time(rate(x[1m])[10m:1m])") == "max_over_time(rate(x{}[3s])[30s:3s])"


def test_subquery_without_step_gets_the_scaled_evaluation_interval_as_explicit_step() -> None:
    # the default step is the evaluation interval: 15 s / 20 = 750 ms, rounded up to 1 s
    assert compress("max_over_time(rate(x[1m])[10m:])") == "max_over_time(rate(x{}[3s])[30s:1s])"


def test_offset_is_scaled() -> None:
    assert compress("x offset 5m") == "x{} offset 15s"


def test_negative_offset_stays_negative() -> None:
    assert compress("x offset -5m") == "x{} offset -15s"


def test_offset_on_a_range_selector_is_scaled_with_the_range() -> None:
    assert compress("rate(x[5m] offset 1h)") == "rate(x{}[15s] offset 3m)"


def test_at_modifier_with_end_is_preserved_next_to_a_scaled_offset() -> None:
    assert compress("x @ end() offset 10m") == "x{} @ end() offset 30s"


def test_factor_one_leaves_the_expression_untouched() -> None:
    expression = "sum(rate(x[5m]))   >   1"

    assert compress(expression, TimeScale(1)) == expression


def test_invalid_promql_raises_config_error_naming_the_place_and_the_expression() -> None:
    with pytest.raises(ConfigError) as raised:
        compress("rate(x[5m]")

    message = str(raised.value)
    assert message.startswith("rules.yml: groups[0].rules[0].expr: invalid PromQL")
    assert "rate(x[5m]" in message


# --- durations ---------------------------------------------------------------------------------------


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


def test_predict_linear_horizon_in_seconds_is_scaled_like_a_duration() -> None:
    assert compress("predict_linear(x[30m], 3600) < 0") == "predict_linear(x{}[1m30s], 180) < 0"
