from harness.thresholds import threshold_of


def test_the_left_hand_side_of_a_ratio_rule_is_read_without_its_comparison() -> None:
    threshold = threshold_of("sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0.01")

    assert threshold is not None
    assert (threshold.lhs, threshold.op, threshold.value) == (
        "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))", ">", 0.01)


def test_a_conjunction_is_read_through_its_first_operand() -> None:
    threshold = threshold_of("rate(a[5m]) > 0.5 and rate(b[5m]) > 1")

    assert threshold is not None and (threshold.lhs, threshold.value) == ("rate(a[5m])", 0.5)


def test_a_number_on_the_left_flips_the_comparison() -> None:
    threshold = threshold_of("0.8 > cache_hit_ratio")

    assert threshold is not None and (threshold.lhs, threshold.op) == ("cache_hit_ratio", "<")


def test_a_rule_without_a_number_to_compare_against_has_no_threshold() -> None:
    assert threshold_of("absent(up{job=\"app\"})") is None


def test_nearness_of_a_below_threshold_is_the_threshold_over_the_lowest_value() -> None:
    threshold = threshold_of("cache_hit_ratio < 0.8")

    assert threshold is not None
    assert threshold.approach([0.95, 0.85, float("nan")]) == (0.85, 0.8 / 0.85)


def test_a_comparison_with_zero_has_no_nearness() -> None:
    threshold = threshold_of("up == 0")

    assert threshold is not None and not threshold.comparable and threshold.approach([1.0]) is None


def test_the_left_hand_side_keeps_the_rules_own_strings_and_escapes() -> None:
    threshold = threshold_of('sum(rate(x_bucket{le=~"1(\\\\.0)?", a="it\\"s"}[5m])) > 3')

    assert threshold is not None and threshold.lhs == 'sum(rate(x_bucket{le=~"1(\\\\.0)?", a="it\\"s"}[5m]))'


def test_a_disjunction_has_no_single_threshold() -> None:
    assert threshold_of("rate(a[5m]) > 0.5 or rate(b[5m]) > 1") is None


def test_an_adjusted_count_is_read_with_its_scaling() -> None:
    threshold = threshold_of("((increase(e[3m])) * 20) > 100")

    assert threshold is not None and (threshold.lhs, threshold.value) == ("((increase(e[3m])) * 20)", 100.0)
