from pathlib import Path

import pytest
from builders import REPO, write

from harness.errors import InvalidInput
from harness.scenario import load_scenario, load_suite

SCENARIOS = sorted(path for path in (REPO / "scenarios").rglob("*.yml") if "suites" not in path.parts)
SUITES = sorted((REPO / "scenarios" / "suites").glob("*.yml"))


def load_error(path: Path) -> str:
    with pytest.raises(InvalidInput) as raised:
        load_scenario(path)
    return str(raised.value)


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_shipped_scenario_loads(path: Path) -> None:
    assert load_scenario(path).name == path.stem


@pytest.mark.parametrize("path", SUITES, ids=[path.stem for path in SUITES])
def test_shipped_suite_loads(path: Path) -> None:
    assert load_suite(path)


def test_every_shipped_scenario_is_in_the_nightly_suite() -> None:
    in_suite = {scenario.path for scenario in load_suite(REPO / "scenarios" / "suites" / "nightly.yml")}

    assert [path.name for path in SCENARIOS if path.resolve() not in in_suite] == []


def test_the_pre_launch_suite_leaves_out_only_the_scenarios_no_scale_keeps_faithful() -> None:
    in_suite = {scenario.path for scenario in load_suite(REPO / "scenarios" / "suites" / "pre-launch.yml")}

    left_out = sorted(path.stem for path in SCENARIOS if path.resolve() not in in_suite)

    assert left_out == ["postgres-down", "redis-down"]
    assert len(in_suite) >= 20


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_shipped_scenario_fits_the_default_stack(path: Path, tmp_path: Path) -> None:
    from harness.configs import render_alertmanager, render_prometheus
    from harness.bounds import check_deadlines
    from harness.expectations import check_receivers
    from harness.timescale import TimeScale

    prometheus = render_prometheus(REPO / "compose" / "prometheus", tmp_path / "p", TimeScale(20))
    alertmanager = render_alertmanager(REPO / "compose" / "alertmanager", tmp_path / "a", TimeScale(20))
    scenario = load_scenario(path)

    check_deadlines(scenario, prometheus, alertmanager)
    check_receivers(scenario, alertmanager)
    for expectation in scenario.expectations:
        if hasattr(expectation, "alert"):
            prometheus.rule(expectation.alert)


def test_default_suite_loads_its_scenarios_in_order() -> None:
    scenarios = load_suite(REPO / "scenarios" / "suites" / "default.yml")

    assert [scenario.name for scenario in scenarios] == ["quiet-baseline", "high-error-rate"]


def test_bad_duration_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        baseline: 2 minutes
        expectations: [{type: no_alerts}]
    """)

    assert load_error(path).startswith(f"{path}:2: baseline: '2 minutes' is not a duration")


def test_bad_duration_inside_an_expectation_names_the_line_of_its_key(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        expectations:
          - type: alert_fires
            alert: HighErrorRate
            within: 8 minutes
    """)

    message = load_error(path)

    assert message.startswith(f"{path}:5: ")
    assert "within" in message and "'8 minutes' is not a duration" in message


def test_unknown_expectation_type_names_the_item_and_the_known_types(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        expectations:
          - type: alert_explodes
            alert: HighErrorRate
    """)

    message = load_error(path)

    assert message.startswith(f"{path}:3: expectations.0: ")
    assert "'alert_explodes'" in message and "'alert_fires'" in message


def test_unknown_top_level_key_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        expectations: [{type: no_alerts}]
        colour: red
    """)

    assert load_error(path) == f"{path}:3: colour: Extra inputs are not permitted (found 'red')"


def test_unknown_key_inside_an_expectation_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        expectations:
          - type: no_alerts
            colour: red
    """)

    message = load_error(path)

    assert message.startswith(f"{path}:4: ")
    assert "colour: Extra inputs are not permitted" in message


def test_missing_required_field_names_the_expectation_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", """
        name: s
        expectations:
          - type: alert_fires
            alert: HighErrorRate
    """)

    message = load_error(path)

    assert message.startswith(f"{path}:3: expectations.0.")
    assert message.endswith("within: Field required")


def test_suite_naming_a_missing_scenario_file_errors_with_its_line(tmp_path: Path) -> None:
    write(tmp_path / "here.yml", "name: here\nexpectations: [{type: no_alerts}]\n")
    suite = write(tmp_path / "suite.yml", """
        name: suite
        scenarios:
          - here.yml
          - gone.yml
    """)

    with pytest.raises(InvalidInput) as raised:
        load_suite(suite)

    assert str(raised.value) == f"{suite}:4: scenarios.1: no scenario file {tmp_path / 'gone.yml'}"
