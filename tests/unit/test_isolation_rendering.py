"""A run's alerts, samples and notifications stay inside its stack, and the report can say what changed."""

import dataclasses
from pathlib import Path

import pytest
import yaml
from builders import write

from harness.configs import render_alertmanager, render_prometheus
from harness.errors import ConfigError
from harness.isolation import IsolationChange, isolate_http_clients, isolate_prometheus
from harness.receivers import redirect
from harness.timescale import TimeScale

STACK = "alertmanager:9093"
PROD = "alertmanager.prod.example.com:9093"


def alerting(*entries: dict) -> dict:
    return {"alerting": {"alertmanagers": list(entries)}}


def static(*targets: str, **settings: object) -> dict:
    return {"static_configs": [{"targets": list(targets)}], **settings}


# --- Prometheus --------------------------------------------------------------------------------------


def test_production_alertmanager_is_replaced_by_the_stacks_own() -> None:
    config = alerting(static(PROD))

    changes = isolate_prometheus(config, STACK, "prometheus.yml")

    assert config["alerting"]["alertmanagers"] == [static(STACK)]
    assert [change.describe() for change in changes] == [
        f"prometheus.yml alerting.alertmanagers[0] named {PROD} — replaced by the stack's Alertmanager ({STACK})"
    ]


def test_second_alertmanager_beside_the_stacks_is_removed_and_named() -> None:
    config = alerting(static(STACK, PROD))

    (change,) = isolate_prometheus(config, STACK, "prometheus.yml")

    assert config["alerting"]["alertmanagers"] == [static(STACK)]
    assert change.what == f"named {PROD}"


def test_config_naming_only_the_stacks_alertmanager_is_kept_with_its_client_settings() -> None:
    config = alerting(static(STACK, path_prefix="/am", api_version="v2", timeout="5s"))

    changes = isolate_prometheus(config, STACK, "prometheus.yml")

    assert changes == []
    assert config["alerting"]["alertmanagers"] == [static(STACK, path_prefix="/am", api_version="v2", timeout="5s")]


def test_discovered_and_relabelled_alertmanagers_are_replaced_naming_how_they_were_found() -> None:
    entry = {
        "dns_sd_configs": [{"names": ["_alertmanager._tcp.prod.example.com"]}],
        "relabel_configs": [{"target_label": "__address__", "replacement": PROD}],
        "proxy_url": "http://proxy.example.com:3128",
    }
    config = alerting(entry)

    (change,) = isolate_prometheus(config, STACK, "prometheus.yml")

    assert config["alerting"]["alertmanagers"] == [static(STACK)]
    assert change.what == "discovered Alertmanagers through dns_sd_configs; relabelled Alertmanager addresses; set proxy_url"


def test_alert_relabel_configs_are_kept() -> None:
    relabel = [{"action": "labeldrop", "regex": "replica"}]
    config = {"alerting": {"alert_relabel_configs": relabel, "alertmanagers": [static(PROD)]}}

    isolate_prometheus(config, STACK, "prometheus.yml")

    assert config["alerting"]["alert_relabel_configs"] == relabel


def test_config_without_alertmanagers_is_not_given_one() -> None:
    config: dict = {"scrape_configs": []}

    assert isolate_prometheus(config, STACK, "prometheus.yml") == []
    assert "alerting" not in config


def test_remote_write_read_and_tracing_are_dropped_and_recorded() -> None:
    config = {
        "remote_write": [{"url": "https://metrics.example.com/api/v1/write"}],
        "remote_read": [{"url": "https://metrics.example.com/api/v1/read"}],
        "tracing": {"endpoint": "tempo.example.com:4317"},
    }

    changes = isolate_prometheus(config, STACK, "prometheus.yml")

    assert config == {}
    assert [(change.where, change.what) for change in changes] == [
        ("prometheus.yml remote_write[0]", "sent samples to https://metrics.example.com/api/v1/write"),
        ("prometheus.yml remote_read[0]", "read samples from https://metrics.example.com/api/v1/read"),
        ("prometheus.yml tracing", "sent traces to tempo.example.com:4317"),
    ]


def test_rendered_prometheus_config_names_only_the_given_alertmanager(tmp_path: Path) -> None:
    source = tmp_path / "prometheus"
    write(source / "prometheus.yml", f"""
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["{PROD}"]}}]}}]
remote_write: [{{url: "http://receiver.example.com/write"}}]
""")

    settings = render_prometheus(source, tmp_path / "out", TimeScale(20), stack_alertmanager="am:9094")

    rendered = yaml.safe_load((tmp_path / "out" / "prometheus.yml").read_text())
    assert rendered["alerting"]["alertmanagers"] == [static("am:9094")]
    assert "remote_write" not in rendered
    assert [change.where for change in settings.isolation] == [
        "prometheus.yml alerting.alertmanagers[0]", "prometheus.yml remote_write[0]"
    ]


def test_shipped_prometheus_config_needs_no_isolation_change(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]

    settings = render_prometheus(repo / "compose" / "prometheus", tmp_path / "out", TimeScale(20))

    assert settings.isolation == ()


# --- Alertmanager ------------------------------------------------------------------------------------


def test_notifier_proxy_and_oauth2_token_server_are_removed_and_recorded() -> None:
    config = {
        "global": {"http_config": {"proxy_url": "http://proxy.example.com:3128"}},
        "receivers": [{"name": "hooks", "webhook_configs": [{
            "url": "http://sink:8080/webhook/hooks",
            "http_config": {"oauth2": {"client_id": "c", "client_secret": "s", "token_url": "https://auth.example.com/token"},
                            "tls_config": {"insecure_skip_verify": True}},
        }]}],
    }

    changes = isolate_http_clients(config, "alertmanager.yml")

    assert config["global"]["http_config"] == {}
    assert config["receivers"][0]["webhook_configs"][0]["http_config"] == {"tls_config": {"insecure_skip_verify": True}}
    assert changes == [
        IsolationChange("alertmanager.yml global.http_config.proxy_url", "was http://proxy.example.com:3128",
                        "removed: notifications go straight to the harness's sink"),
        IsolationChange("alertmanager.yml receivers[0] (hooks).webhook_configs[0].http_config.oauth2",
                        "was https://auth.example.com/token",
                        "removed: notifications go straight to the harness's sink"),
    ]


def test_rendered_alertmanager_config_has_no_proxy_left(tmp_path: Path) -> None:
    source = tmp_path / "alertmanager"
    write(source / "alertmanager.yml", """
route: {receiver: chat}
receivers:
  - name: chat
    slack_configs: [{api_url: "https://hooks.slack.com/services/T/B/X", http_config: {proxy_url: "http://proxy:3128"}}]
""")

    settings = render_alertmanager(source, tmp_path / "out", TimeScale(20))

    rendered = yaml.safe_load((tmp_path / "out" / "alertmanager.yml").read_text())
    assert "proxy_url" not in rendered["receivers"][0]["slack_configs"][0]["http_config"]
    assert [change.where for change in settings.isolation] == [
        "alertmanager.yml receivers[0] (chat).slack_configs[0].http_config.proxy_url"
    ]


@pytest.mark.parametrize("kind", [
    "opsgenie_configs", "victorops_configs", "wechat_configs", "pushover_configs", "sns_configs",
    "telegram_configs", "webex_configs", "discord_configs", "msteams_configs",
])
def test_receiver_type_the_sink_cannot_stand_in_for_is_refused(kind: str) -> None:
    config = {"route": {"receiver": "ops"}, "receivers": [{"name": "ops", kind: [{"api_url": "https://real.example.com"}]}]}

    with pytest.raises(ConfigError) as raised:
        redirect(config, "stack/alertmanager/alertmanager.yml")

    message = str(raised.value)
    assert message.startswith(f"stack/alertmanager/alertmanager.yml: receivers[0].{kind}: receiver 'ops' uses {kind}")
    assert "Hint:" in message


# --- report ------------------------------------------------------------------------------------------


def test_report_names_what_was_replaced(tmp_path: Path) -> None:
    from builders import alertmanager_settings, prometheus_settings

    from harness import report

    change = IsolationChange("prometheus.yml alerting.alertmanagers[0]", f"named {PROD}",
                             "replaced by the stack's Alertmanager (alertmanager:9093)")
    prometheus = dataclasses.replace(prometheus_settings(), isolation=(change,))
    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, prometheus=prometheus,
                           alertmanager=alertmanager_settings())

    markdown = report.write(run).read_text()

    assert "### Isolation" in markdown
    assert (f"- prometheus.yml alerting.alertmanagers[0] named {PROD} — replaced by the stack's Alertmanager "
            "(alertmanager:9093)") in markdown


def test_report_says_when_nothing_had_to_change(tmp_path: Path) -> None:
    from builders import alertmanager_settings, prometheus_settings

    from harness import report

    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, prometheus=prometheus_settings(),
                           alertmanager=alertmanager_settings())

    markdown = report.write(run).read_text()

    assert "- nothing in the stack's configs had to change for that" in markdown


def test_the_stack_alertmanager_on_a_wrong_port_is_kept_for_the_run_to_find() -> None:
    from harness.isolation import isolate_prometheus

    config = {"alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9999"]}]}]}}

    changes = isolate_prometheus(config, "alertmanager:9093", "prometheus.yml")

    assert changes == []
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9999"]
