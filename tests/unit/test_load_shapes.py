from datetime import timedelta
from pathlib import Path

import pytest
from builders import write

from harness.errors import InvalidInput
from harness.load import LoadProfile, UserChange
from harness.runner import _user_change
from harness.scenario import load_scenario
from harness.timescale import TimeScale

EXPECT = "expectations: [{type: no_alerts}]"


def test_load_is_steady_unless_a_shape_is_given(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", f"name: s\n{EXPECT}\n"))

    assert scenario.load.shape.kind == "steady"
    assert not scenario.has_stimulus


def test_a_spike_counts_as_the_stimulus_deadlines_are_measured_from(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", f"""
        name: s
        load: {{users: 4, shape: {{kind: spike, users: 40, at: 1m, duration: 5m}}}}
        {EXPECT}
    """))

    assert scenario.has_stimulus
    assert scenario.fault_window == (timedelta(minutes=1), timedelta(minutes=6))


def test_a_ramp_and_a_fault_share_one_window_from_the_first_start_to_the_last_end(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", f"""
        name: s
        load: {{shape: {{kind: ramp, users: 40, at: 2m, duration: 10m}}}}
        faults:
          - {{at: 0s, duration: 3m, fault: {{kind: app_errors, ratio: 0.5}}}}
        {EXPECT}
    """))

    assert scenario.fault_window == (timedelta(0), timedelta(minutes=12))


def test_an_unknown_shape_names_the_line_and_the_known_shapes(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", f"""
        name: s
        load:
          shape: {{kind: wave, users: 40, duration: 5m}}
        {EXPECT}
    """)

    with pytest.raises(InvalidInput) as raised:
        load_scenario(path)

    assert f"{path}:3" in str(raised.value)
    assert "steady" in str(raised.value) and "ramp" in str(raised.value) and "spike" in str(raised.value)


def test_a_spike_is_scheduled_in_scaled_seconds_after_the_baseline(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yml", f"""
        name: s
        baseline: 2m
        load: {{shape: {{kind: spike, users: 40, at: 1m, duration: 4m}}}}
        {EXPECT}
    """))

    change = _user_change(scenario, lead=6.0, scale=TimeScale(20))

    assert change == UserChange("spike", 40, 9.0, 21.0)
    assert change.argument() == "spike:40:9:21"


def test_a_load_change_beyond_the_user_bound_is_refused() -> None:
    with pytest.raises(InvalidInput, match="1..200 users"):
        LoadProfile(change=UserChange("spike", 500, 1.0, 2.0))


def test_a_pause_in_issuing_requests_is_a_load_gap() -> None:
    from harness.load import issuing_gaps

    history = [(100.0, 10), (101.0, 20), (102.0, 20), (106.0, 20), (107.0, 30), (108.0, 40)]

    (gap,) = issuing_gaps(history, start=100.0, end=110.0, allowed=3.0)

    assert (gap.start, gap.end, gap.reason) == (101.0, 107.0, "no request issued for 6.0 s")


def test_steady_requests_leave_no_load_gap() -> None:
    from harness.load import issuing_gaps

    history = [(100.0 + i, 10 * i) for i in range(10)]

    assert issuing_gaps(history, start=100.0, end=109.0, allowed=3.0) == []


def test_the_request_budget_outlasts_the_scenario() -> None:
    from harness.load import request_budget

    assert request_budget(users=4, rate_per_user=5, seconds=600) >= 4 * 5 * 600
