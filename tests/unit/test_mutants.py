"""Each mutant kind's `apply` on small stacks shaped like the shipped one and like public configs."""

from __future__ import annotations

from pathlib import Path

import promql_parser
import pytest
import yaml
from builders import write

from harness.errors import InvalidInput
from harness.mutants import Applied, StackFiles, choose, kinds
from harness.mutants.routing import (
    ContinueFlipped, GroupWaitTimes20, InhibitEqualChanged, InhibitRuleRemoved, MatcherTypo, ReceiverRemoved,
    SendResolvedFlipped,
)
from harness.mutants.rules import (
    ForTimes10, RuleFileDropped, SeverityChanged, SeverityToAnnotations, ThresholdDiv10, ThresholdTimes10,
)
from harness.mutants.scenarios import SilenceBroadened
from harness.mutants.targets import AlertingTargetMoved, ScrapePortWrong
from harness.scenario import Scenario

COMPOSE = """
    name: fixture
    services:
      app:
        image: example/app:1
        build: {context: ../images/app}
        x-harness: {role: app}
      sink:
        image: example/sink:1
        x-harness: {role: sink}
      alertmanager:
        image: prom/alertmanager:v0.25.0
        volumes: ["./alertmanager:/etc/alertmanager:ro"]
        x-harness: {role: alertmanager}
      prometheus:
        image: prom/prometheus:v2.42.0
        volumes: ["./prometheus:/etc/prometheus:ro"]
        x-harness: {role: prometheus}
"""

PROMETHEUS = """
    global: {scrape_interval: 15s, evaluation_interval: 15s}
    rule_files: ["rules/*.yml"]
    alerting:
      alertmanagers:
        - static_configs:
            - targets: ["alertmanager:9093"]
    scrape_configs:
      - job_name: app
        static_configs:
          - targets: ["app:8000"]
      - job_name: node
        static_configs:
          - targets: ["node-exporter:9100"]
"""

ERRORS_RULES = """
    groups:
      - name: errors
        rules:
          - alert: HighErrorRate
            expr: |
              sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))
                /
              (sum by (service) (rate(http_requests_total[5m])) > 0)
                > 0.05
            for: 5m
            labels: {severity: critical, team: platform}
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total[5m]))
"""

AVAILABILITY_RULES = """
    groups:
      - name: availability
        rules:
          - alert: TargetDown
            expr: up == 0
            for: 1m
            labels: {severity: critical}
          - alert: LowCacheHitRate
            expr: |
              (sum(rate(cache_hits_total[5m])) / sum(rate(cache_requests_total[5m])) < 0.8)
                and
              sum(rate(cache_requests_total[5m])) > 1
            for: 10m
            labels: {severity: warning}
"""

# Modern matchers, as the shipped stack writes them.
ALERTMANAGER = """
    route:
      receiver: default-webhook
      group_by: [alertname, service]
      group_wait: 30s
      routes:
        - receiver: pagerduty-critical
          matchers: [severity="critical"]
          continue: true
        - receiver: slack-critical
          matchers: [severity="critical"]
        - receiver: slack-warnings
          matchers: [severity="warning"]
    inhibit_rules:
      - source_matchers: [alertname="HighErrorRate"]
        target_matchers: [alertname="ElevatedErrorRate"]
        equal: [service]
    receivers:
      - name: default-webhook
        webhook_configs: [{url: "https://hooks.example.com/am"}]
      - name: pagerduty-critical
        pagerduty_configs: [{routing_key: 0123456789abcdef0123456789abcdef}]
      - name: slack-critical
        slack_configs: [{channel: "#crit", api_url: "https://hooks.slack.com/services/T/B/X", send_resolved: true}]
      - name: slack-warnings
        slack_configs: [{channel: "#warn", api_url: "https://hooks.slack.com/services/T/B/Y"}]
"""

# The older spelling many public configs still use: `match:` maps and source_match / target_match.
LEGACY_ALERTMANAGER = """
    route:
      receiver: email
      group_by: ['alertname', 'cluster', 'service']
      routes:
        - match: {severity: critical}
          receiver: pager
          group_wait: 10s
    inhibit_rules:
      - source_match: {severity: 'critical'}
        target_match: {severity: 'warning'}
        equal: ['alertname', 'dev', 'instance']
    receivers:
      - name: email
        email_configs: [{to: ops@example.com}]
      - name: pager
        pagerduty_configs: [{service_key: fedcba9876543210fedcba9876543210}]
"""


def make_stack(root: Path, alertmanager: str = ALERTMANAGER) -> StackFiles:
    stack = root / "stack"
    write(stack / "docker-compose.yml", COMPOSE)
    write(stack / "prometheus" / "prometheus.yml", PROMETHEUS)
    write(stack / "prometheus" / "rules" / "errors.yml", ERRORS_RULES)
    write(stack / "prometheus" / "rules" / "availability.yml", AVAILABILITY_RULES)
    write(stack / "alertmanager" / "alertmanager.yml", alertmanager)
    return StackFiles.of(stack / "docker-compose.yml")


@pytest.fixture
def files(tmp_path: Path) -> StackFiles:
    return make_stack(tmp_path)


def only(mutants: list[Applied], where_contains: str) -> Applied:
    matching = [mutant for mutant in mutants if where_contains in mutant.where]
    assert len(matching) == 1, [mutant.where for mutant in mutants]
    return matching[0]


def written(mutant: Applied, files: StackFiles, tmp_path: Path) -> dict:
    """The mutant written into a copy of the stack, read back as YAML."""
    copy = tmp_path / "copy"
    (copy / Path(mutant.file).parent).mkdir(parents=True, exist_ok=True)
    mutant.write(copy)
    return yaml.safe_load((copy / mutant.file).read_text())


def rule_named(document: dict, name: str) -> dict:
    return next(rule for group in document["groups"] for rule in group["rules"] if rule.get("alert") == name)


def test_threshold_x10_multiplies_the_comparisons_number_and_keeps_the_rest_of_the_expression(files, tmp_path):
    mutant = only(ThresholdTimes10().apply(files, []), "HighErrorRate")
    expr = rule_named(written(mutant, files, tmp_path), "HighErrorRate")["expr"]
    parsed = promql_parser.parse(expr)
    assert (str(parsed.op), parsed.rhs.val) == (">", 0.5)
    assert "> 0)" in expr  # the `> 0` guard inside the division is not a threshold
    assert mutant.change == "threshold > 0.05 -> > 0.5"
    assert "never fired" in mutant.symptom.phrases


def test_threshold_div10_makes_a_greater_than_rule_fire_too_soon(files, tmp_path):
    mutant = only(ThresholdDiv10().apply(files, []), "HighErrorRate")
    assert promql_parser.parse(rule_named(written(mutant, files, tmp_path), "HighErrorRate")["expr"]).rhs.val == 0.005
    assert "went pending" in mutant.symptom.phrases


def test_threshold_mutants_find_comparisons_joined_by_and_and_tell_direction_by_operator(files, tmp_path):
    mutants = [m for m in ThresholdTimes10().apply(files, []) if "LowCacheHitRate" in m.where]
    assert sorted(m.change for m in mutants) == ["threshold < 0.8 -> < 8", "threshold > 1 -> > 10"]
    below = next(m for m in mutants if "< 8" in m.change)
    assert "went pending" in below.symptom.phrases  # x10 on a `<` threshold fires more, not less


def test_threshold_mutants_skip_a_comparison_with_zero(files):
    assert not [m for m in ThresholdTimes10().apply(files, []) if "TargetDown" in m.where]


def test_for_x10_writes_ten_times_the_duration(files, tmp_path):
    mutant = only(ForTimes10().apply(files, []), "TargetDown")
    assert rule_named(written(mutant, files, tmp_path), "TargetDown")["for"] == "10m"
    assert mutant.change == "for: 1m -> 10m"


def test_severity_changed_swaps_critical_and_warning(files, tmp_path):
    mutants = SeverityChanged().apply(files, [])
    critical = only(mutants, "HighErrorRate")
    assert rule_named(written(critical, files, tmp_path), "HighErrorRate")["labels"]["severity"] == "warning"
    assert only(mutants, "LowCacheHitRate").change == "severity: warning -> critical"


def test_severity_to_annotations_moves_the_label(files, tmp_path):
    mutant = only(SeverityToAnnotations().apply(files, []), "TargetDown")
    rule = rule_named(written(mutant, files, tmp_path), "TargetDown")
    assert "labels" not in rule  # severity was its only label
    assert rule["annotations"]["severity"] == "critical"


def test_rule_file_dropped_spells_out_the_glob_without_one_file(files, tmp_path):
    mutants = RuleFileDropped().apply(files, [])
    mutant = only([m for m in mutants if "errors.yml" in m.change], "rule_files")
    assert written(mutant, files, tmp_path)["rule_files"] == ["rules/availability.yml"]
    assert mutant.subjects == ("HighErrorRate",)


def test_receiver_removed_deletes_the_route_that_sends_to_it(files, tmp_path):
    mutant = only(ReceiverRemoved().apply(files, []), "routes[1]")
    routes = written(mutant, files, tmp_path)["route"]["routes"]
    assert [route["receiver"] for route in routes] == ["pagerduty-critical", "slack-warnings"]
    assert mutant.symptom.phrases == ("slack-critical: nothing arrived",)


def test_matcher_typo_drops_a_letter_of_the_value(files, tmp_path):
    mutant = only(MatcherTypo().apply(files, []), "routes[0]")
    assert written(mutant, files, tmp_path)["route"]["routes"][0]["matchers"] == ['severity="criticl"']


def test_matcher_typo_reaches_legacy_match_maps_and_spaced_matchers(tmp_path):
    legacy = make_stack(tmp_path, LEGACY_ALERTMANAGER)
    mutant = only(MatcherTypo().apply(legacy, []), "match.severity")
    assert written(mutant, legacy, tmp_path)["route"]["routes"][0]["match"] == {"severity": "criticl"}
    spaced = make_stack(tmp_path / "spaced", ALERTMANAGER.replace('[severity="warning"]', "[severity = warning]"))
    assert only(MatcherTypo().apply(spaced, []), "routes[2]").change == "severity=warning -> severity=warnig"


def test_continue_flipped_true_to_false_expects_the_next_receivers_to_get_nothing(files, tmp_path):
    mutant = only(ContinueFlipped().apply(files, []), "routes[0]")
    assert written(mutant, files, tmp_path)["route"]["routes"][0]["continue"] is False
    assert "slack-critical: nothing arrived" in mutant.symptom.phrases


def test_continue_flipped_skips_the_last_route_which_has_no_sibling_after_it(files):
    assert [m.where for m in ContinueFlipped().apply(files, [])] == [
        "route.routes[0].continue (pagerduty-critical)", "route.routes[1].continue (slack-critical)"]


def test_inhibit_rule_removed_names_the_target_alert_in_its_symptom(files, tmp_path):
    mutant = only(InhibitRuleRemoved().apply(files, []), "inhibit_rules[0]")
    assert written(mutant, files, tmp_path)["inhibit_rules"] == []
    assert mutant.symptom.names == ("ElevatedErrorRate",)


def test_inhibit_equal_changed_adds_alertname_where_absent_and_drops_the_last_label_otherwise(files, tmp_path):
    mutant = only(InhibitEqualChanged().apply(files, []), "inhibit_rules[0]")
    assert written(mutant, files, tmp_path)["inhibit_rules"][0]["equal"] == ["service", "alertname"]
    legacy = make_stack(tmp_path / "legacy", LEGACY_ALERTMANAGER)
    assert only(InhibitEqualChanged().apply(legacy, []), "inhibit_rules[0]").change == (
        "equal: [alertname, dev, instance] -> [alertname, dev]")


def test_send_resolved_flipped_covers_written_values_and_defaults(files, tmp_path):
    mutants = SendResolvedFlipped().apply(files, [])
    assert only(mutants, "(slack-critical)").change == "send_resolved: true -> false"
    default = only(mutants, "(slack-warnings)")
    assert default.change == "send_resolved: false (default) -> true"
    assert written(default, files, tmp_path)["receivers"][3]["slack_configs"][0]["send_resolved"] is True


def test_group_wait_x20_scales_the_root_and_children_that_set_their_own(tmp_path):
    legacy = make_stack(tmp_path, LEGACY_ALERTMANAGER)
    mutants = GroupWaitTimes20().apply(legacy, [])
    assert [(m.where, m.change) for m in mutants] == [
        ("route.group_wait (email)", "group_wait: 30s -> 10m"),
        ("route.routes[0].group_wait (pager)", "group_wait: 10s -> 3m20s"),
    ]


def test_alerting_target_moved_keeps_the_host_and_changes_the_port(files, tmp_path):
    mutant = AlertingTargetMoved().apply(files, [])[0]
    document = written(mutant, files, tmp_path)
    assert document["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9094"]


def test_scrape_port_wrong_makes_one_mutant_per_target_naming_its_job(files, tmp_path):
    mutants = ScrapePortWrong().apply(files, [])
    assert [m.change for m in mutants] == ["app:8000 -> app:8001", "node-exporter:9100 -> node-exporter:9101"]
    assert mutants[1].symptom.refusals == ("node/node-exporter:9101",)
    assert written(mutants[1], files, tmp_path)["scrape_configs"][1]["static_configs"][0]["targets"] == [
        "node-exporter:9101"]


def silenced_scenario(matchers: dict[str, str]) -> Scenario:
    return Scenario.model_validate({
        "name": "silenced", "baseline": "1m",
        "faults": [{"at": "0s", "duration": "5m", "fault": {"kind": "silence", "matchers": matchers}}],
        "expectations": [{"type": "alert_not_delivered", "alert": "TargetDown", "reason": "silenced"}],
    })


def test_silence_broadened_rewrites_the_scenario_not_the_stack(files):
    scenario = silenced_scenario({"alertname": "TargetDown"})
    mutant = SilenceBroadened().apply(files, [scenario])[0]
    rewritten = mutant.scenarios([scenario])[0]
    assert rewritten.faults[0].fault.matchers == {"severity": "critical"}
    assert scenario.faults[0].fault.matchers == {"alertname": "TargetDown"}  # the original is untouched
    assert mutant.document is None


def test_silence_broadened_has_nothing_to_do_without_an_alertname_matcher(files):
    assert SilenceBroadened().apply(files, [silenced_scenario({"team": "db"})]) == []


def test_every_mutant_changes_its_file_and_leaves_the_original_alone(files, tmp_path):
    before = {path: path.read_text() for path in files.directory.rglob("*.yml")}
    chosen, _ = choose(files, [], every=True)
    for mutant in chosen:
        if mutant.document is None:
            continue
        assert yaml.safe_load((files.directory / mutant.file).read_text()) != mutant.document, mutant.describe()
    assert {path: path.read_text() for path in files.directory.rglob("*.yml")} == before


def test_default_choice_is_one_per_kind_touching_what_the_scenarios_name(files):
    scenario = silenced_scenario({"alertname": "TargetDown"})
    chosen, skipped = choose(files, [scenario])
    assert sorted({m.kind for m in chosen}) == sorted(set(kinds()))
    assert len(chosen) == len(kinds()) and not skipped
    assert only([m for m in chosen if m.kind == "severity_changed"], "labels").subjects == ("TargetDown",)


def test_a_kind_with_nothing_to_mutate_is_skipped_with_the_reason(files):
    chosen, skipped = choose(files, [], only_kinds=["silence_broadened", "for_x10"])
    assert {m.kind for m in chosen} == {"for_x10"}
    assert [(s.kind, s.reason.split(":")[0]) for s in skipped] == [("silence_broadened", "nothing to mutate")]


def test_kinds_and_limit_narrow_the_choice(files):
    chosen, _ = choose(files, [], only_kinds=["threshold_x10"], every=True, limit=2)
    assert [m.kind for m in chosen] == ["threshold_x10", "threshold_x10"]


def test_an_unknown_kind_is_refused_naming_the_known_ones(files):
    with pytest.raises(InvalidInput, match="unknown mutant kind.*thresold.*known: threshold_x10"):
        choose(files, [], only_kinds=["thresold"])
