"""`harness check` on secrets: what Alertmanager and Prometheus would send is not what the team meant.

Each folder under tests/fixtures/check/secrets/ is the same payments stack with one problem planted.
"""

import shutil
from pathlib import Path

import pytest
from check_cases import only_finding, variant_of

from harness.check import secrets
from harness.check.findings import Finding
from harness.check.sources import discover

FIXTURES = Path(__file__).parents[1] / "fixtures" / "check" / "secrets"
#: A made-up Slack webhook of the real shape, assembled here so that no file holds one for secret scanners to flag.
SLACK_WEBHOOK = "https://hooks.slack.com/services/" + "/".join(["T04RZ8K1QJX", "B06G3MUL5TN", "q7Wm2Ls9PzR4tKb8NcVx3JhD"])


def check(folder: Path) -> list[Finding]:
    return secrets.findings(discover([folder]))


def only(case: str) -> Finding:
    return only_finding(check, FIXTURES / case)


def variant(tmp_path: Path, case: str, old: str, new: str, file: str = "alertmanager.yml") -> Path:
    return variant_of(FIXTURES / case, tmp_path / case, old, new, file)


def test_secrets_kept_in_files_report_nothing() -> None:
    assert check(FIXTURES / "clean") == []


# --- unexpanded variables -------------------------------------------------------------------------------------------

def test_a_slack_url_from_an_environment_variable_is_never_expanded() -> None:
    finding = only("unexpanded-slack-url")

    assert (finding.code, finding.severity, Path(finding.file).name, finding.line) == (
        "secrets.unexpanded-variable", "error", "alertmanager.yml", 30)
    assert "slack_configs[0].api_url is '${SLACK_WEBHOOK_URL}'" in finding.message
    assert "refuses to load" in finding.message
    assert "`api_url_file`" in finding.fix


def test_a_variable_inside_a_url_is_sent_literally() -> None:
    finding = only("unexpanded-variable-inside-url")

    assert (finding.code, finding.line) == ("secrets.unexpanded-variable", 30)
    assert "sends the text '$SLACK_WEBHOOK_PATH'" in finding.message


def test_a_pagerduty_routing_key_from_an_environment_variable_is_never_expanded() -> None:
    finding = only("unexpanded-routing-key")

    assert (finding.code, finding.line) == ("secrets.unexpanded-variable", 36)
    assert "`routing_key_file`" in finding.fix


def test_prometheus_does_not_expand_a_remote_write_password_either() -> None:
    finding = only("unexpanded-remote-write-password")

    assert (finding.code, Path(finding.file).name, finding.line) == ("secrets.unexpanded-variable", "prometheus.yml", 18)
    assert finding.subject == "remote_write grafana-cloud"
    assert "`password_file`" in finding.fix


def test_a_config_rendered_by_envsubst_when_the_container_starts_is_left_alone() -> None:
    assert check(FIXTURES / "rendered-with-envsubst") == []


def test_a_config_rendered_by_a_mounted_entrypoint_script_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "unexpanded-routing-key", folder)
    (folder / "render.sh").write_text("#!/bin/sh\nenvsubst < /etc/alertmanager/alertmanager.yml > /tmp/am.yml\n"
                                      "exec /bin/alertmanager --config.file=/tmp/am.yml\n")
    compose = folder / "docker-compose.yml"
    compose.write_text(compose.read_text().replace(
        "    command:\n      - --config.file=/etc/alertmanager/alertmanager.yml\n",
        "    entrypoint: /usr/local/bin/render.sh\n").replace(
        "      - ./secrets/alertmanager:/etc/alertmanager/secrets:ro\n",
        "      - ./secrets/alertmanager:/etc/alertmanager/secrets:ro\n      - ./render.sh:/usr/local/bin/render.sh:ro\n"))

    assert check(folder) == []


def test_a_config_rendered_by_the_entrypoint_of_a_built_image_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "unexpanded-routing-key", folder)
    (folder / "alertmanager-image").mkdir()
    (folder / "alertmanager-image" / "Dockerfile").write_text(
        "FROM prom/alertmanager:v0.25.0\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n")
    (folder / "alertmanager-image" / "start.sh").write_text(
        "#!/bin/sh\nsed \"s|\\${PAGERDUTY_ROUTING_KEY}|$PAGERDUTY_ROUTING_KEY|\" \\\n"
        "    /etc/alertmanager/alertmanager.yml > /tmp/am.yml\n")
    compose = folder / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("    image: prom/alertmanager:v0.25.0\n",
                                                   "    build: ./alertmanager-image\n"))

    assert check(folder) == []


def test_without_a_file_form_in_the_running_version_the_fix_is_rendering_or_upgrading() -> None:
    finding = only("unexpanded-webhook-url-on-0.25")

    assert (finding.code, finding.line) == ("secrets.unexpanded-variable", 41)
    assert "envsubst" in finding.fix
    assert "upgrade Alertmanager to 0.26 or later (running 0.25) and use `url_file`" in finding.fix


def test_template_variables_and_dollar_amounts_are_not_environment_variables(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "        send_resolved: true\n",
                     "        send_resolved: true\n"
                     "        footer: '{{ $first := index .Alerts 0 }}{{ $first.Labels.instance }} costs $5 a minute'\n")

    assert check(folder) == []


def test_a_relabelling_group_reference_is_not_a_variable(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", '      - targets: ["payments-api:8080"]\n',
                     '      - targets: ["payments-api:8080"]\n    relabel_configs:\n'
                     '      - source_labels: [__address__]\n        regex: "([^:]+):.*"\n'
                     '        replacement: "${1}"\n        target_label: host\n', file="prometheus.yml")

    assert check(folder) == []


# --- placeholders ---------------------------------------------------------------------------------------------------

def test_a_pagerduty_key_that_says_your_key_is_a_placeholder() -> None:
    finding = only("placeholder-pagerduty-key")

    assert (finding.code, finding.severity, finding.line) == ("secrets.placeholder-value", "error", 36)
    assert "'your-pagerduty-key'" in finding.message


def test_a_slack_webhook_of_zeros_and_xs_is_a_placeholder() -> None:
    finding = only("placeholder-slack-webhook")

    assert (finding.code, finding.line) == ("secrets.placeholder-value", 30)
    assert "not a Slack webhook URL" in finding.message


def test_a_secret_copied_from_the_status_page_is_a_placeholder() -> None:
    finding = only("placeholder-copied-from-status-page")

    assert (finding.code, finding.line) == ("secrets.placeholder-value", 7)
    assert "status page" in finding.message
    assert finding.subject == "global"


def test_an_smtp_server_at_example_com_is_a_placeholder() -> None:
    finding = only("placeholder-example-smarthost")

    assert (finding.code, finding.line) == ("secrets.placeholder-value", 4)
    assert "reserved example domain" in finding.message


@pytest.mark.parametrize(("section", "kind", "value"), [
    ("pagerduty", "key", "YOUR_ROUTING_KEY"),
    ("pagerduty", "key", "<pagerduty-integration-key>"),
    ("pagerduty", "key", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("pagerduty", "key", "1234"),
    ("opsgenie", "key", "changeme"),
    ("email", "password", "REPLACE_ME"),
    ("email", "password", "TODO"),
    ("basic_auth", "password", "password"),
    ("opsgenie", "key", "example-api-key"),
    ("slack", "secret-url", "https://hooks.slack.com/services/XXX/YYY/ZZZ"),
    ("slack", "secret-url", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("slack", "secret-url", "https://hooks.slack.com/services/..."),
    ("webhook", "url", "https://alerts.example.com/hook"),
    ("discord", "secret-url", "https://discord.com/api/webhooks/YOUR_WEBHOOK_ID/YOUR_TOKEN"),
    ("email", "address", "oncall@example.org"),
    ("pagerduty", "key", "PD_SERVICE_KEY"),
    ("authorization", "key", "__METRICS_AUTH__"),
    ("slack", "secret-url", "SLACK_WEBHOOK_URL"),
])
def test_placeholders_are_recognised(section: str, kind: str, value: str) -> None:
    assert secrets.placeholder(section, kind, value) is not None


@pytest.mark.parametrize(("section", "kind", "value"), [
    ("pagerduty", "key", "4f9a0c2e7b1d46e8a35f90c1d2e7b6a4"),
    ("pagerduty", "key", "R02E1F0K8ZQ3XV7N5M4L6P9B2C1D0A7T"),  # an Event Orchestration routing key
    ("opsgenie", "key", "3f2b6a1e-8c4d-4e7f-9a0b-5d6c7e8f9a0b"),
    ("email", "password", "k9#Vd2!qLm7@xR4z"),
    ("slack", "secret-url", SLACK_WEBHOOK),
    ("slack", "secret-url", "http://slack-relay:8080/"),
    ("webhook", "url", "http://dummy-receiver:5001/alerts"),
    ("email", "address", "smtp.gmail.com:587"),
])
def test_real_looking_values_are_not_placeholders(section: str, kind: str, value: str) -> None:
    assert secrets.placeholder(section, kind, value) is None


def test_a_pagerduty_compatible_service_may_use_keys_of_its_own_shape(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "      - routing_key_file: /etc/alertmanager/secrets/pagerduty-routing-key\n",
                     "      - routing_key_file: /etc/alertmanager/secrets/pagerduty-routing-key\n"
                     "      - url: https://api.incidenthub.io/v2/pagerduty/events\n"
                     "        routing_key_file: /etc/alertmanager/secrets/incidenthub-key\n")

    assert check(folder) == []


def test_any_recipient_is_fine_for_a_mail_catcher(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "      - to: payments-oncall@acme-corp.io\n",
                     "      - to: payments-oncall@example.com\n        smarthost: mailpit:1025\n")

    assert check(folder) == []


# --- empty values ---------------------------------------------------------------------------------------------------

def test_an_empty_smtp_password_with_a_username_is_an_error() -> None:
    finding = only("empty-smtp-password")

    assert (finding.code, finding.severity, finding.line) == ("secrets.empty-value", "error", 7)
    assert "alertmanager@payments.acme-corp.io" in finding.message


def test_an_empty_webhook_url_is_an_error() -> None:
    finding = only("empty-webhook-url")

    assert (finding.code, finding.line) == ("secrets.empty-value", 41)
    assert finding.subject == "receiver deploy-bot"
    assert "url_file" not in finding.fix  # Alertmanager 0.25 has none


def test_an_empty_password_without_a_username_is_no_login_at_all(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "  smtp_auth_username: alertmanager@payments.acme-corp.io\n"
                     "  smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password\n",
                     "  smtp_auth_password: ''\n")

    assert check(folder) == []


def test_a_receiver_field_left_blank_takes_the_global_one(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", '      - channel: "#payments-alerts"\n',
                     '      - api_url:\n        channel: "#payments-alerts"\n')

    assert check(folder) == []


# --- plain-text secrets ---------------------------------------------------------------------------------------------

def test_a_plain_text_pagerduty_key_should_move_to_a_file() -> None:
    finding = only("plain-text-routing-key")

    assert (finding.code, finding.severity, finding.line) == ("secrets.plain-text-secret", "warning", 36)
    assert "`routing_key_file`" in finding.fix


def test_a_plain_text_slack_webhook_should_move_to_a_file(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", '      - channel: "#payments-alerts"\n',
                     f'      - api_url: {SLACK_WEBHOOK}\n        channel: "#payments-alerts"\n')
    [finding] = check(folder)

    assert (finding.code, finding.line) == ("secrets.plain-text-secret", 30)
    assert "`api_url_file`" in finding.fix


def test_a_plain_text_remote_write_password_should_move_to_a_file() -> None:
    finding = only("plain-text-remote-write-password")

    assert (finding.code, Path(finding.file).name, finding.line) == ("secrets.plain-text-secret", "prometheus.yml", 18)
    assert "`password_file`" in finding.fix


def test_a_secret_without_a_file_form_in_the_running_version_is_not_reported() -> None:
    assert check(FIXTURES / "plain-text-telegram-token-on-0.25") == []


def test_the_same_secret_is_reported_once_the_version_reads_a_file() -> None:
    finding = only("plain-text-telegram-token-on-0.26")

    assert (finding.code, finding.line) == ("secrets.plain-text-secret", 41)
    assert "`bot_token_file`" in finding.fix


def test_a_slack_url_to_a_relay_inside_the_stack_holds_no_secret(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", '      - channel: "#payments-alerts"\n',
                     '      - api_url: http://slack-relay:8080/hook\n        channel: "#payments-alerts"\n')

    assert check(folder) == []
