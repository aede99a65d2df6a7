"""What a config rejected by promtool or amtool shows the user."""

from harness.checks import problems

PROMTOOL_STDOUT = """Checking /etc/prometheus/prometheus.yml
  SUCCESS: 1 rule files found
 SUCCESS: /etc/prometheus/prometheus.yml is valid prometheus config file syntax

Checking /etc/prometheus/rules/broken.yml
"""
PROMTOOL_STDERR = """
  FAILED:
     /etc/prometheus/rules/broken.yml: group "broken", rule 1, "Broken": annotation "summary": template: __alert_Broken:1: unclosed action
"""


def test_promtool_failure_reasons_are_shown_from_stderr() -> None:
    shown = problems(PROMTOOL_STDOUT, PROMTOOL_STDERR)

    assert any("broken.yml" in line and "unclosed action" in line for line in shown)


def test_promtool_successes_are_left_out() -> None:
    assert not any("SUCCESS" in line for line in problems(PROMTOOL_STDOUT, PROMTOOL_STDERR))


def test_amtool_failure_on_stdout_is_shown() -> None:
    stdout = "Checking '/etc/alertmanager/alertmanager.yml'  FAILED: undefined receiver \"nope\" used in route\n"

    shown = problems(stdout, "amtool: error: failed to validate 1 file(s)\n")

    assert shown[0].endswith('FAILED: undefined receiver "nope" used in route')


def test_output_without_a_failed_line_is_shown_whole() -> None:
    assert problems("something unexpected\n", "") == ["something unexpected"]
