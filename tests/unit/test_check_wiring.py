"""`harness check`: configuration that only looks connected. Each fixture folder plants one problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.check.run import check
from harness.errors import InvalidInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"

#: case folder -> (code, file in the folder, line) of the one finding it must produce.
PLANTED = {
    "wiring/rule-file-not-loaded": ("wiring.rule-file-not-loaded", "database-alerts.yml", 1),
    "wiring/rule-files-match-nothing": ("wiring.rule-files-match-nothing", "prometheus.yml", 7),
    "wiring/no-rule-files": ("wiring.no-rule-files", "prometheus.yml", 1),
    "wiring/no-alertmanager": ("wiring.no-alertmanager", "prometheus.yml", 1),
    "wiring/invalid-rule": ("rules.invalid", "rules/api.yml", 5),
    "routing/unknown-receiver": ("routing.unknown-receiver", "alertmanager.yml", 7),
    "routing/receiver-unreached": ("routing.receiver-unreached", "alertmanager.yml", 30),
    "routing/default-receiver-only": ("routing.default-receiver-only", "rules/api.yml", 12),
    "routing/label-in-annotations": ("routing.label-in-annotations", "rules/api.yml", 12),
    "routing/route-never-matches": ("routing.route-never-matches", "alertmanager.yml", 9),
    "inhibits/never-matches": ("inhibit.never-matches", "alertmanager.yml", 11),
    "inhibits/equal-never-holds": ("inhibit.equal-never-holds", "alertmanager.yml", 13),
    "inhibits/time-interval-unused": ("routing.time-interval-unused", "alertmanager.yml", 11),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_the_planted_problem_is_the_only_finding_with_its_file_and_line(case: str) -> None:
    code, file, line = PLANTED[case]
    result = check([FIXTURES / case])
    found = [(finding.code, Path(finding.file).resolve(), finding.line) for finding in result.findings]
    assert found == [(code, (FIXTURES / case / file).resolve(), line)]


def test_the_clean_configs_have_no_finding() -> None:
    assert check([FIXTURES / "clean"]).findings == ()


def test_the_shipped_stack_has_no_error() -> None:
    result = check([Path(__file__).resolve().parents[2] / "compose"])
    assert result.errors == []
    assert len(result.monitoring.alerts) >= 20


def test_a_misspelt_receiver_is_named_with_the_receiver_it_was_meant_to_be() -> None:
    (finding,) = check([FIXTURES / "routing/unknown-receiver"]).findings
    assert "'slack-platfrom'" in finding.message
    assert "did you mean 'slack-platform'?" in finding.fix


def test_a_syntax_error_is_told_in_promtools_words() -> None:
    (finding,) = check([FIXTURES / "wiring/invalid-rule"]).findings
    assert "ApiDown" in finding.subject
    assert "unexpected right parenthesis" in finding.message


def test_a_path_that_does_not_exist_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        check([tmp_path / "missing"])


def test_a_folder_without_monitoring_files_is_invalid_input(tmp_path: Path) -> None:
    (tmp_path / "notes.yml").write_text("shopping: [milk]\n")
    with pytest.raises(InvalidInput, match="no compose file, prometheus.yml"):
        check([tmp_path])


def test_a_prometheus_config_that_is_not_yaml_is_invalid_input_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: [15s\n")
    with pytest.raises(InvalidInput, match=r"prometheus.yml:\d+:\d+: invalid YAML"):
        check([config])


def test_a_rule_file_that_is_not_yaml_is_a_finding_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "prometheus.yml").write_text("rule_files: [rules.yml]\nalerting:\n  alertmanagers:\n"
                                             "    - static_configs: [{targets: ['am:9093']}]\n")
    (tmp_path / "rules.yml").write_text("groups:\n  - name: g\n    rules: [\n")
    (finding,) = check([tmp_path]).findings
    assert (finding.code, finding.severity, finding.line) == ("rules.unreadable", "error", 4)


def test_amtools_refusal_of_an_unexpanded_url_is_told_once_at_the_line_of_the_url() -> None:
    result = check([FIXTURES / "secrets" / "unexpanded-slack-url"])
    codes = [finding.code for finding in result.findings]
    assert "wiring.alertmanager-invalid" not in codes
    (finding,) = [finding for finding in result.findings if finding.code == "secrets.unexpanded-variable"]
    assert finding.line > 1
    assert "amtool check-config confirms" in finding.message
