"""One test per defect a tester found feeding the harness broken input; each asserts what the user sees.

The contract: exit 2, `file:line: field: what is wrong`, no traceback, nothing started, no report
path printed that was never written.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from builders import REPO, write
from typer.testing import CliRunner

from harness import tools
from harness.cli import app
from harness.configs import render_alertmanager, render_prometheus
from harness.errors import ConfigError, InvalidInput
from harness.scenario import load_scenario, load_suite_file, suite_path
from harness.stackfile import load_stack
from harness.timescale import TimeScale
from harness.tool_messages import relocate

SCENARIO = """\
name: s
baseline: 1m
faults:
  - {at: 0s, duration: 10m, fault: {kind: app_errors, ratio: 0.5}}
recovery: 15m
expectations:
  - type: alert_delivered
    alert: HighErrorRate
    receivers: [pagerduty-critical, slack-critical]
    within: 9m
"""


def harness(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines; the words are what count


def refused(output: str) -> str:
    """What a refused run says last: the error (a run that got as far as naming itself says so first)."""
    found = re.search(r"\b(?:InvalidInput|ConfigError): ", output)
    return output[found.start():] if found else output


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A copy of the default stack (its configs; no image recipes) that a test may break."""
    shutil.copytree(REPO / "compose", tmp_path / "compose", ignore=shutil.ignore_patterns("images"))
    return tmp_path / "compose" / "docker-compose.yml"


def run(tmp_path: Path, stack: Path, scenario: str, *options: str) -> tuple[int, str]:
    path = write(tmp_path / "s.yml", scenario)
    return harness("run", str(path), "--stack", str(stack), "--reports", str(tmp_path / "reports"), *options)


def refusal(load, path: Path) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as raised:
        load(path)
    return str(raised.value)


# --- values out of range -----------------------------------------------------------------------------


def test_negative_fault_duration_is_refused_before_the_stack_boots(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO.replace("duration: 10m", "duration: -10"))

    assert refusal(load_scenario, path) == (
        f"{path}:4: faults.0.duration: must be longer than 0 (found -10 s) (found -10)"
    )


def test_zero_fault_duration_is_refused_before_the_stack_boots(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO.replace("duration: 10m", "duration: 0s"))

    assert f"{path}:4: faults.0.duration: must be longer than 0 (found 0 s)" in refusal(load_scenario, path)


def test_overflowing_duration_is_refused_not_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO.replace("within: 9m", "within: 99999999999999999999999d"))

    assert refusal(load_scenario, path).startswith(
        f"{path}:10: expectations.0.within: '99999999999999999999999d' is longer than 100y"
    )


def test_overflowing_number_of_seconds_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO.replace("baseline: 1m", "baseline: 1e400"))

    assert refusal(load_scenario, path).startswith(f"{path}:2: baseline: ")


def test_negative_baseline_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO.replace("baseline: 1m", "baseline: -60"))

    assert refusal(load_scenario, path).startswith(f"{path}:2: baseline: must not be negative (found -60 s)")


def test_scale_zero_is_refused_not_silently_run_at_twenty(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO, "--scale", "0")

    assert code == 2
    assert "InvalidInput: --scale: 0 is not a time scale; give 1 (real time) or more" in output
    assert "×20" not in output


def test_negative_scale_is_refused(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO, "--scale", "-3")

    assert (code, "--scale: -3 is not a time scale" in output) == (2, True)


def test_lanes_out_of_range_are_refused(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO, "--lanes", "5")

    assert code == 2
    assert "--lanes" in output and "1<=x<=4" in output


def test_a_suite_with_zero_lanes_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "s.yml", SCENARIO)
    suite = write(tmp_path / "suite.yml", "name: x\nlanes: 0\nscenarios: [s.yml]\n")

    assert refusal(load_suite_file, suite).startswith(f"{suite}:2: lanes: Input should be greater than or equal to 1")


# --- files that are not what they should be ------------------------------------------------------------


def test_a_directory_given_as_a_scenario(tmp_path: Path, stack: Path) -> None:
    code, output = harness("run", str(tmp_path), "--stack", str(stack))

    assert (code, output) == (2, f"InvalidInput: {tmp_path}: is a folder, not a file. Hint: name the file in it.")


def test_a_symlink_loop_given_as_a_scenario(tmp_path: Path, stack: Path) -> None:
    loop = tmp_path / "loop.yml"
    os.symlink(loop, loop)

    code, output = harness("run", str(loop), "--stack", str(stack))

    assert (code, output) == (2, f"InvalidInput: {loop}: a symlink loop (the link leads back to itself); give a real file")


def test_a_file_where_the_reports_folder_belongs(tmp_path: Path, stack: Path) -> None:
    reports = write(tmp_path / "reports", "not a folder")
    scenario = write(tmp_path / "s.yml", SCENARIO)

    code, output = harness("run", str(scenario), "--stack", str(stack), "--reports", str(reports))

    assert (code, output) == (2, f"InvalidInput: --reports: {reports} is a file, not a folder")


def test_a_file_where_the_prometheus_config_folder_belongs(tmp_path: Path, stack: Path) -> None:
    folder = stack.parent / "prometheus"
    shutil.rmtree(folder)
    folder.write_text("global: {}\n")

    code, output = run(tmp_path, stack, SCENARIO)

    assert code == 2
    assert f"ConfigError: {stack}:" in output and "service 'prometheus' mounts no folder holding prometheus.yml" in output


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("binary", b"name: s\n\x89PNG\x00\x00", ":2: binary data (a NUL byte at offset 12)"),
    ("utf16", "name: s\n".encode("utf-16"), ":1: UTF-16 text (it starts with a UTF-16 byte-order mark)"),
    ("nul", b"name: s\x00\n", ":1: binary data (a NUL byte at offset 7)"),
])
def test_binary_utf16_and_nul_scenarios_are_refused_naming_the_file(
    tmp_path: Path, stack: Path, name: str, content: bytes, expected: str,
) -> None:
    path = tmp_path / f"{name}.yml"
    path.write_bytes(content)

    code, output = harness("run", str(path), "--stack", str(stack))

    assert code == 2
    assert output.startswith(f"InvalidInput: {path}{expected}")


def test_a_binary_rule_file_is_refused_naming_it(tmp_path: Path, stack: Path) -> None:
    rules = stack.parent / "prometheus" / "rules" / "errors.yml"
    rules.write_bytes(b"groups:\n\x00\x01\x02")

    code, output = run(tmp_path, stack, SCENARIO)

    assert (code, refused(output).startswith(f"ConfigError: {rules}:2: binary data")) == (2, True)


def test_a_fifty_thousand_deep_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text("name: s\nexpectations: " + "[" * 50_000 + "]" * 50_000 + "\n")

    assert refusal(load_scenario, path) == f"{path}:2: nested deeper than 100 levels"


def test_a_twelve_line_alias_bomb_returns_at_once(tmp_path: Path) -> None:
    from test_hostile_input_files import ALIAS_BOMB

    path = write(tmp_path / "s.yml", ALIAS_BOMB)

    assert "aliases expand the document beyond 20000 nodes" in refusal(load_scenario, path)


def test_a_duplicate_baseline_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", SCENARIO + "baseline: 5m\n")

    assert refusal(load_scenario, path).startswith(f"{path}:11: baseline: duplicate key (first at line 2)")


# --- wrong container types -----------------------------------------------------------------------------


def test_rule_groups_as_a_mapping(tmp_path: Path, stack: Path) -> None:
    rules = write(stack.parent / "prometheus" / "rules" / "errors.yml", "groups:\n  errors: {rules: []}\n")

    code, output = run(tmp_path, stack, SCENARIO)

    assert (code, refused(output)) == (2, f"ConfigError: {rules}:1: groups: Input should be a valid list")


def test_slack_configs_as_a_mapping(tmp_path: Path, stack: Path) -> None:
    config = stack.parent / "alertmanager" / "alertmanager.yml"
    config.write_text(config.read_text().replace(
        '    slack_configs:\n      - channel: "#alerts-warning"', '    slack_configs:\n        channel: "#alerts-warning"'))

    code, output = run(tmp_path, stack, SCENARIO)

    assert code == 2
    assert refused(output).startswith(f"ConfigError: {config}:")
    assert "receivers.4.slack_configs: Input should be a valid list" in output


def test_a_compose_port_named_http(tmp_path: Path) -> None:
    path = write(tmp_path / "docker-compose.yml", "services:\n  app:\n    image: app\n    ports: [http]\n")

    with pytest.raises(ConfigError) as raised:
        load_stack(path)

    assert str(raised.value) == (
        f"{path}:4: services.app.ports: 'http' is not a port entry; write the container's port as a number, e.g. "
        '"9090" or "127.0.0.1::9090" (names such as `http` and port ranges are not supported)'
    )


def test_a_stack_without_a_sink_is_refused_before_anything_starts(tmp_path: Path, stack: Path) -> None:
    stack.write_text(stack.read_text().replace("      role: sink\n", ""))

    code, output = run(tmp_path, stack, SCENARIO)

    assert code == 2
    assert "no service has `x-harness: {role: sink}`" in output and f"{stack}:" in output


# --- what a scenario names -----------------------------------------------------------------------------


def test_a_misspelt_receiver_is_refused_up_front_naming_the_known_ones(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO.replace("slack-critical]", "slack-critcal]"))

    assert code == 2
    assert refused(output) == (
        f"InvalidInput: {tmp_path / 's.yml'}:9: expectations.0.receivers.1: no receiver named 'slack-critcal' in the "
        "Alertmanager config (alert_delivered HighErrorRate; receivers: default-webhook, email-oncall, "
        "pagerduty-critical, pagerduty-database, slack-critical, slack-warnings). Did you mean 'slack-critical'?"
    )


def test_a_misspelt_receiver_in_resolved_notifications_is_refused_too(tmp_path: Path, stack: Path) -> None:
    scenario = SCENARIO + "  - {type: alert_resolves, alert: HighErrorRate, within: 12m, notified: [pagerduty-critcal]}\n"

    code, output = run(tmp_path, stack, scenario)

    assert code == 2
    assert f"s.yml:11: expectations.1.notified.0: no receiver named 'pagerduty-critcal'" in output


def test_a_misspelt_alert_is_refused_with_its_line(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO.replace("alert: HighErrorRate", "alert: HighErorRate"))

    assert code == 2
    assert f"s.yml:8: expectations.0.alert: no alerting rule named 'HighErorRate'" in output
    assert "Did you mean 'HighErrorRate'?" in output


def test_a_fault_on_a_missing_service_is_refused_with_its_line(tmp_path: Path, stack: Path) -> None:
    scenario = SCENARIO.replace("fault: {kind: app_errors, ratio: 0.5}", "fault: {kind: container_stop, service: postgress}")

    code, output = run(tmp_path, stack, scenario)

    assert code == 2
    assert f"s.yml:4: faults.0.fault.service: container_stop names service 'postgress'" in output


@pytest.mark.parametrize("query", ["rate(http_requests_total[5m]", "http_requests_total[5m]"])
def test_broken_promql_in_a_scenario_is_refused_at_scale_one(tmp_path: Path, stack: Path, query: str) -> None:
    scenario = SCENARIO + f"  - {{type: metric_present, query: '{query}', within: 2m}}\n"

    code, output = run(tmp_path, stack, scenario, "--scale", "1")

    assert code == 2
    assert f"s.yml:11: expectations.1.query" in output


# --- what a refusal prints -----------------------------------------------------------------------------


def test_a_refused_run_prints_no_report_path_and_leaves_no_run_folder(tmp_path: Path, stack: Path) -> None:
    code, output = run(tmp_path, stack, SCENARIO.replace("slack-critical]", "slack-critcal]"))

    assert code == 2
    assert "report:" not in output
    assert not any((tmp_path / "reports").glob("*/config"))


def test_suite_by_name_is_found_in_the_suites_folder() -> None:
    assert suite_path(Path("pre-launch")) == REPO / "scenarios" / "suites" / "pre-launch.yml"


def test_gate_with_a_suite_name_reads_that_suite(tmp_path: Path) -> None:
    code, output = harness("gate", "--suite", "pre-launch", "--stack", str(tmp_path / "missing.yml"))

    assert (code, refused(output)) == (2, f"ConfigError: {tmp_path / 'missing.yml'}: stack file not found")


def test_an_unknown_suite_name_lists_the_suites(tmp_path: Path) -> None:
    code, output = harness("gate", "--suite", "pre-lunch")

    assert code == 2
    assert "--suite: 'pre-lunch' is neither a suite file nor the name of one" in output
    assert "default, nightly, pre-launch" in output


# --- promtool and amtool speak of the user's files -----------------------------------------------------


def test_promtool_refusing_a_rendered_rule_file_names_the_users_file_and_line(tmp_path: Path) -> None:
    import subprocess

    source = tmp_path / "prometheus"
    shutil.copytree(REPO / "compose" / "prometheus", source)
    rules = source / "rules" / "errors.yml"
    original = rules.read_text()
    rules.write_text(original + "  - name: errors\n    rules: []\n")  # a second group of the same name
    user_line = len(original.splitlines()) + 1
    rendered = tmp_path / "rendered"
    render_prometheus(source, rendered, TimeScale(20))
    done = subprocess.run([str(tools.promtool()), "check", "rules", str(rendered / "rules" / "errors.yml")],
                          capture_output=True, text=True, check=False)
    complaint = [line for line in done.stderr.splitlines() if "repeated" in line]

    relocated = relocate(complaint, str(rendered), rendered, source)

    assert complaint and relocated == [f'{rules}:{user_line}: groupname: "errors" is repeated in the same file']


def test_amtool_naming_the_rendered_alertmanager_yml_names_the_users(tmp_path: Path) -> None:
    source = tmp_path / "alertmanager"
    shutil.copytree(REPO / "compose" / "alertmanager", source)
    render_alertmanager(source, tmp_path / "rendered", TimeScale(20))

    relocated = relocate(["Checking '/etc/alertmanager/alertmanager.yml'  FAILED: yaml: unmarshal errors:",
                          "  line 9: field bogus not found in type config.plain"],
                         "/etc/alertmanager", tmp_path / "rendered", source)

    assert relocated[0] == f"Checking '{source / 'alertmanager.yml'}'  FAILED: yaml: unmarshal errors:"
    assert relocated[1].startswith("  line ") and relocated[1] != "  line 9: field bogus not found in type config.plain"
