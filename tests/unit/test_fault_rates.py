from types import SimpleNamespace

from harness.faults.app import AppErrors, BusinessRate
from harness.timescale import TimeScale


def stack_at(scale: float) -> SimpleNamespace:
    return SimpleNamespace(scale=TimeScale(scale))


def test_a_business_rate_keeps_its_real_per_second_value_at_every_scale() -> None:
    fault = BusinessRate(counter="credits_consumed", per_second=4)

    assert fault.body_for(stack_at(40))["per_second"] == 4  # type: ignore[arg-type]
    assert fault.body_for(stack_at(1))["per_second"] == 4  # type: ignore[arg-type]


def test_faults_without_a_rate_ask_the_app_for_the_same_thing_at_any_scale() -> None:
    fault = AppErrors(ratio=0.5)

    assert fault.body_for(stack_at(40)) == fault.body_for(stack_at(1))  # type: ignore[arg-type]


def test_a_fault_ratio_is_reported_as_it_is_not_rounded_across_a_threshold() -> None:
    from harness.faults.app import AppErrors

    assert AppErrors(kind="app_errors", ratio=0.009).describe() == "app answers 0.9% of API requests with HTTP 500"
