"""Compressing one PromQL expression: only durations change, and meaning is kept, adjusted or refused."""

import pytest

from harness.compression.rewrite import compress_expression
from harness.compression.structure import PromQLError
from harness.timescale import TimeScale

WHERE = "rules.yml:7: groups[0] (app).rules[0] (X).expr"
FORTY = TimeScale(40)


def rewritten(expression: str, scale: TimeScale = FORTY) -> str:
    return compress_expression(expression, scale, WHERE).rewritten


def fidelity(expression: str) -> str:
    return compress_expression(expression, FORTY, WHERE).fidelity


# --- only the duration spans change --------------------------------------------------------------


def test_a_range_window_is_divided_by_the_factor_to_the_millisecond() -> None:
    assert rewritten("rate(x[5m]) > 0.5") == "rate(x[7s500ms]) > 0.5"


def test_subquery_range_and_step_are_scaled_and_a_default_step_is_left_to_the_scaled_global_interval() -> None:
    assert rewritten("max_over_time(rate(x[1m])[1h:5m]) > 3") == "max_over_time(rate(x[1s500ms])[1m30s:7s500ms]) > 3"
    assert rewritten("max_over_time(x[10m:])") == "max_over_time(x[15s:])"


def test_offsets_are_scaled_and_keep_their_sign_and_their_at_modifier() -> None:
    assert rewritten("x offset -5m") == "x offset -7s500ms"
    assert rewritten("rate(x[5m] offset 10m @ end())") == "rate(x[7s500ms] offset 15s @ end())"


def test_escaped_strings_stay_byte_for_byte_as_written() -> None:
    for expression in (r'x{le=~"1(\\.0)?"} > 0', r'x{a="it\"s"} > 0', r'x{l="a\", b=\"c"}[5m:]', r"x{a=`a\b`}", "x{a='q'}"):
        original_strings = expression.split("{", 1)[1].split("}", 1)[0]
        assert original_strings in rewritten(expression)


def test_comments_and_layout_are_kept() -> None:
    expression = "sum by (job) (\n  rate(x[5m])  # errors\n)\n  > 1"

    assert rewritten(expression) == "sum by (job) (\n  rate(x[7s500ms])  # errors\n)\n  > 1"


def test_unicode_label_values_are_kept() -> None:
    assert rewritten('rate(x{city="Zürich ✓"}[1m])') == 'rate(x{city="Zürich ✓"}[1s500ms])'


def test_scale_one_changes_nothing() -> None:
    assert rewritten("increase(x[1h]) > 100", TimeScale(1)) == "increase(x[1h]) > 100"


# --- the Prometheus the stack runs --------------------------------------------------------------


def test_holt_winters_is_known_to_the_stacks_prometheus() -> None:
    assert rewritten("holt_winters(x[10m], 0.3, 0.3) > 1") == "holt_winters(x[15s], 0.3, 0.3) > 1"


def test_a_function_prometheus_242_does_not_have_is_a_located_error() -> None:
    with pytest.raises(PromQLError) as raised:
        rewritten('x > 1 and\n  sort_by_label(y, "a")')

    assert str(raised.value).startswith(f"{WHERE} (expr line 2, column 3): unknown function `sort_by_label`")


def test_invalid_promql_names_the_rule_and_shows_the_expression() -> None:
    with pytest.raises(PromQLError) as raised:
        rewritten("rate(x[5m] > 1")

    assert str(raised.value).startswith(f"{WHERE}: invalid PromQL:")
    assert "rate(x[5m] > 1" in str(raised.value)


# --- fidelity under the clock model ---------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "rate(http_requests_total[5m]) > 0.5",
    "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.3",
    "avg_over_time(x[10m]) > 0.9",
    "predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600) < 0",
    "absent(up{job=\"app\"})",
    "deriv(queue_depth[30m]) > 0",
])
def test_rates_levels_and_sample_statistics_are_exact(expression: str) -> None:
    assert fidelity(expression) == "exact"


def test_predict_linear_horizon_is_not_scaled_because_it_multiplies_a_real_per_second_slope() -> None:
    assert rewritten("predict_linear(x[1h], 14400) < 0") == "predict_linear(x[1m30s], 14400) < 0"


@pytest.mark.parametrize("function", ["increase", "delta", "idelta"])
def test_a_count_over_a_compressed_window_is_scaled_back(function: str) -> None:
    compressed = compress_expression(f"{function}(x[1h]) > 100", FORTY, WHERE)

    assert (compressed.fidelity, compressed.rewritten) == ("adjusted", f"(({function}(x[1m30s])) * 40) > 100")
    assert "multiplied by 40" in compressed.reasons[0]


@pytest.mark.parametrize("function", ["changes", "resets"])
def test_a_count_of_discrete_events_is_real_time_only(function: str) -> None:
    compressed = compress_expression(f"{function}(process_start_time_seconds[15m]) > 2", FORTY, WHERE)

    assert (compressed.fidelity, compressed.rewritten) == ("real-time only", f"{function}(process_start_time_seconds[22s500ms]) > 2")
    assert "counts discrete events" in compressed.reasons[0]


def test_the_adjustment_keeps_operator_precedence() -> None:
    assert rewritten("increase(x[1h]) ^ 2 > 100") == "((increase(x[1m30s])) * 40) ^ 2 > 100"


def test_an_age_on_the_wall_clock_is_scaled_back() -> None:
    assert rewritten("time() - last_success_timestamp > 3600") == "((time() - last_success_timestamp) * 40) > 3600"
    assert rewritten("(time() - x) / 3600 > 24") == "(((time() - x) * 40)) / 3600 > 24"
    assert fidelity("time() - timestamp(up) > 60") == "adjusted"


@pytest.mark.parametrize(("expression", "why"), [
    ("probe_ssl_earliest_cert_expiry - time() < 86400 * 30", "counts down to a moment on the calendar"),
    ("hour() >= 22", "reads the calendar"),
    ("x @ 1609746000 > 1", "fixed moment"),
    ("rate(x[5m]) > 2 * rate(x[5m] offset 1w)", "more history than a run has"),
    ("time() - 3600 > x", "only `time() - x`, an age, can be adjusted"),
])
def test_what_no_rewrite_keeps_is_real_time_only_with_the_reason(expression: str, why: str) -> None:
    compressed = compress_expression(expression, FORTY, WHERE)

    assert compressed.fidelity == "real-time only"
    assert why in " ".join(compressed.reasons)


def test_a_count_of_what_the_stacks_own_clocks_produce_is_not_scaled_back() -> None:
    expression = 'increase(alertmanager_notifications_failed_total{job="alertmanager"}[10m]) > 0 or changes(up[10m]) > 3'

    assert compress_expression(expression, FORTY, WHERE).fidelity == "exact"
