from datetime import timedelta

from harness.gate import plan_lanes, stack_segments
from harness.scenario import NoAlerts, Scenario


def scenario(name: str, minutes: int, fresh_stack: bool = False) -> Scenario:
    return Scenario(name=name, baseline=timedelta(minutes=minutes), fresh_stack=fresh_stack,
                    expectations=[NoAlerts(type="no_alerts")])


def test_one_lane_runs_every_scenario_in_suite_order() -> None:
    scenarios = [scenario("a", 5), scenario("b", 50), scenario("c", 1)]

    assert plan_lanes(scenarios, 1) == [[0, 1, 2]]


def test_two_lanes_balance_the_expected_time_and_keep_suite_order_within_each() -> None:
    scenarios = [scenario("a", 10), scenario("b", 30), scenario("c", 10), scenario("d", 10)]

    assert plan_lanes(scenarios, 2) == [[1], [0, 2, 3]]


def test_no_lane_is_left_empty_when_there_are_fewer_scenarios_than_lanes() -> None:
    assert plan_lanes([scenario("a", 1)], 3) == [[0]]


def test_a_scenario_asking_for_a_fresh_stack_starts_a_new_stack() -> None:
    scenarios = [scenario("a", 1), scenario("b", 1), scenario("c", 1, fresh_stack=True), scenario("d", 1)]

    assert stack_segments([0, 1, 2, 3], scenarios) == [[0, 1], [2, 3]]


def test_a_first_scenario_asking_for_a_fresh_stack_does_not_boot_two() -> None:
    scenarios = [scenario("a", 1, fresh_stack=True), scenario("b", 1)]

    assert stack_segments([0, 1], scenarios) == [[0, 1]]


def test_a_long_warmup_counts_when_lanes_are_balanced() -> None:
    warmed = Scenario(name="w", warmup=timedelta(hours=1), baseline=timedelta(minutes=1),
                      expectations=[NoAlerts(type="no_alerts")])
    scenarios = [scenario("a", 20), scenario("b", 20), warmed]

    assert plan_lanes(scenarios, 2) == [[2], [0, 1]]
