from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from builders import REPO, write

from harness.configs import render_alertmanager, render_prometheus
from harness.errors import ConfigError
from harness.timescale import TimeScale

TWENTY = TimeScale(20)

RULES = """
groups:
  - name: app
    rules:
      - alert: HighErrorRate
        expr: rate(errors[5m]) > 0.05
        for: 5m
        labels: {severity: critical}
      - record: job:errors:rate5m
        expr: rate(errors[5m])
"""

ROUTE = """
route:
  receiver: bot
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: bot
      group_wait: 1m
      routes:
        - receiver: bot
          repeat_interval: 1h
receivers:
  - name: bot
    webhook_configs: [{url: "https://bot.example.com"}]
"""


def prometheus_folder(tmp_path: Path, config: str, rules: str = RULES) -> Path:
    source = tmp_path / "prometheus"
    write(source / "prometheus.yml", config)
    write(source / "rules" / "app.yml", rules)
    return source


def rendered(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# --- Prometheus --------------------------------------------------------------------------------------


def test_global_intervals_are_scaled_and_reported_in_real_time(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "global: {scrape_interval: 15s, evaluation_interval: 30s, scrape_timeout: 10s}\n")

    settings = render_prometheus(source, tmp_path / "out", TWENTY)

    assert rendered(tmp_path / "out" / "prometheus.yml")["global"] == {
        "scrape_interval": "750ms", "evaluation_interval": "1s500ms", "scrape_timeout": "500ms"
    }
    assert (settings.scrape_interval, settings.evaluation_interval) == (timedelta(seconds=15), timedelta(seconds=30))


def test_prometheus_defaults_are_filled_in_and_scaled_when_absent(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "scrape_configs: []\n")

    settings = render_prometheus(source, tmp_path / "out", TWENTY)

    assert rendered(tmp_path / "out" / "prometheus.yml")["global"] == {
        "scrape_interval": "3s", "evaluation_interval": "3s", "scrape_timeout": "500ms"
    }
    assert settings.scrape_interval == timedelta(minutes=1)


def test_rule_for_and_expression_are_scaled_in_the_rendered_rule_file(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "rule_files: [rules/*.yml]\n")

    render_prometheus(source, tmp_path / "out", TWENTY)

    alert, record = rendered(tmp_path / "out" / "rules" / "app.yml")["groups"][0]["rules"]
    assert (alert["expr"], alert["for"]) == ("rate(errors[15s]) > 0.05", "15s")
    assert record["expr"] == "rate(errors[15s])"


def test_alert_rules_are_summarised_with_real_time_for(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "rule_files: [rules/*.yml]\n")

    (rule,) = render_prometheus(source, tmp_path / "out", TWENTY).rules

    assert (rule.name, rule.for_, rule.labels) == ("HighErrorRate", timedelta(minutes=5), {"severity": "critical"})
    assert (rule.expr, rule.scaled_expr) == ("rate(errors[5m]) > 0.05", "rate(errors[15s]) > 0.05")


def test_invalid_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "global:\n  scrape_interval: 15s\n  evaluation_interval: [15s\n")

    with pytest.raises(ConfigError) as raised:
        render_prometheus(source, tmp_path / "out", TWENTY)

    assert str(raised.value).startswith(f"{source / 'prometheus.yml'}:4:")
    assert "invalid YAML" in str(raised.value)


# --- Alertmanager ------------------------------------------------------------------------------------


def test_route_timers_are_scaled_recursively_through_nested_routes(tmp_path: Path) -> None:
    write(tmp_path / "am" / "alertmanager.yml", ROUTE)

    settings = render_alertmanager(tmp_path / "am", tmp_path / "out", TWENTY)

    route = rendered(tmp_path / "out" / "alertmanager.yml")["route"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("1s500ms", "15s", "12m")
    assert route["routes"][0]["group_wait"] == "3s"
    assert route["routes"][0]["routes"][0]["repeat_interval"] == "3m"
    assert settings.group_wait == timedelta(seconds=30)


def test_alertmanager_route_defaults_are_applied_and_scaled_when_absent(tmp_path: Path) -> None:
    write(tmp_path / "am" / "alertmanager.yml", "route: {receiver: bot}\nreceivers: [{name: bot}]\n")

    settings = render_alertmanager(tmp_path / "am", tmp_path / "out", TWENTY)

    route = rendered(tmp_path / "out" / "alertmanager.yml")["route"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("1s500ms", "15s", "12m")
    assert (settings.group_wait, settings.group_interval, settings.repeat_interval) == (
        timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=4)
    )


def test_missing_route_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "am" / "alertmanager.yml", "receivers: [{name: bot}]\n")

    with pytest.raises(ConfigError, match=f"{path}:1: has no top-level `route:`"):
        render_alertmanager(tmp_path / "am", tmp_path / "out", TWENTY)


# --- the default stack -------------------------------------------------------------------------------


def test_default_prometheus_renders_with_its_alert_rules(tmp_path: Path) -> None:
    settings = render_prometheus(REPO / "compose" / "prometheus", tmp_path / "prometheus", TWENTY)

    names = {rule.name for rule in settings.rules}
    assert {"HighErrorRate", "HighLatencyP95", "TargetDown", "DatabasePoolSaturated", "PostgresDown"} <= names
    assert settings.rule("HighErrorRate").for_ == timedelta(minutes=5)


SHIPPED_SLACK_HOOK = "hooks.slack.com/services/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"


def destination(receiver: dict) -> str:
    """Where a rendered receiver's single notifier sends to."""
    ((key, (notifier,)),) = [(key, value) for key, value in receiver.items() if key.endswith("_configs")]
    if "service_key" in notifier:
        return f"events v1 as {notifier['http_config']['basic_auth']['username']}"
    if key == "email_configs":
        return f"{notifier['smarthost']} as {notifier['hello']}"
    return notifier.get("api_url") or notifier["url"]


def test_default_alertmanager_renders_with_every_receiver_sent_to_the_sink(tmp_path: Path) -> None:
    render_alertmanager(REPO / "compose" / "alertmanager", tmp_path / "alertmanager", TWENTY)

    receivers = rendered(tmp_path / "alertmanager" / "alertmanager.yml")["receivers"]
    assert {receiver["name"]: destination(receiver) for receiver in receivers} == {
        "default-webhook": "http://sink:8080/webhook/default-webhook",
        "pagerduty-critical": "http://sink:8080/pagerduty/pagerduty-critical",
        "pagerduty-database": "events v1 as pagerduty-database",
        "slack-critical": f"http://sink:8080/slack/slack-critical/{SHIPPED_SLACK_HOOK}",
        "slack-warnings": f"http://sink:8080/slack/slack-warnings/{SHIPPED_SLACK_HOOK}",
        "email-oncall": "sink:2525 as smtp-auth.email-oncall",
    }


def test_rule_summary_knows_its_longest_range_window() -> None:
    from datetime import timedelta

    from harness.configs import longest_range

    assert longest_range('rate(a[5m]) / rate(b[1m]) > max_over_time(c[10m:1m])') == timedelta(minutes=10)


def test_an_offset_counts_in_how_far_back_a_rule_looks() -> None:
    from datetime import timedelta

    from harness.configs import longest_range

    assert longest_range("rate(a[1m]) > 3 * rate(a[1m] offset 1h)") == timedelta(hours=1, minutes=1)


def test_a_job_without_its_own_timeout_takes_the_global_one_capped_at_its_interval(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, """
        global: {scrape_interval: 15s, scrape_timeout: 10s}
        scrape_configs:
          - {job_name: fast, scrape_interval: 5s}
          - {job_name: slow, scrape_interval: 2m, scrape_timeout: 30s}
          - {job_name: plain}
    """)

    settings = render_prometheus(source, tmp_path / "out", TWENTY)

    assert [(job.name, job.interval.total_seconds(), job.timeout.total_seconds()) for job in settings.jobs] == [
        ("fast", 5, 5), ("slow", 120, 30), ("plain", 15, 10)
    ]


def test_rules_know_their_group_interval_keep_firing_for_and_the_recording_rules_beside_them(tmp_path: Path) -> None:
    source = prometheus_folder(tmp_path, "rule_files: [rules/*.yml]\n", rules="""
        groups:
          - name: app
            interval: 1m
            rules:
              - record: job:errors:rate5m
                expr: rate(errors[5m])
              - alert: HighErrorRate
                expr: job:errors:rate5m > 0.05
                keep_firing_for: 10m
    """)

    settings = render_prometheus(source, tmp_path / "out", TWENTY)
    rule = settings.rule("HighErrorRate")

    assert (rule.group.name, rule.group.interval, rule.position, rule.keep_firing_for) == (
        "app", timedelta(minutes=1), 1, timedelta(minutes=10)
    )
    assert [(recorder.record, recorder.expr, recorder.position) for recorder in settings.recorders("job:errors:rate5m")] == [
        ("job:errors:rate5m", "rate(errors[5m])", 0)
    ]
    assert rendered(tmp_path / "out" / "rules" / "app.yml")["groups"][0]["rules"][1]["keep_firing_for"] == "30s"
