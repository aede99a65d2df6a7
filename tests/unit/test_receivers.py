import copy
import secrets
import string
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.receivers import redirect

WHERE = "alertmanager.yml"


def config(*receivers: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"route": {"receiver": receivers[0]["name"]}, "receivers": list(receivers), **top}


def only_notifier(redirected: dict[str, Any], key: str) -> dict[str, Any]:
    (notifier,) = redirected["receivers"][0][key]
    return notifier


def test_slack_api_url_goes_to_the_sink_under_the_receiver_name_followed_by_the_original_host_and_path() -> None:
    hook = "https://hooks.slack.com/services/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"
    redirected, _ = redirect(config({"name": "slack-critical", "slack_configs": [{"api_url": hook}]}), WHERE)

    assert only_notifier(redirected, "slack_configs")["api_url"] == (
        "http://sink:8080/slack/slack-critical/hooks.slack.com/services/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"
    )


def test_slack_api_url_from_a_file_goes_to_the_sink_without_a_path_to_check() -> None:
    notifier = {"api_url_file": "/etc/alertmanager/slack-url"}
    redirected, _ = redirect(config({"name": "slack-critical", "slack_configs": [notifier]}), WHERE)

    assert only_notifier(redirected, "slack_configs")["api_url"] == "http://sink:8080/slack/slack-critical"


def test_slack_notifier_carries_the_alert_list_in_callback_id() -> None:
    redirected, _ = redirect(config({"name": "s", "slack_configs": [{"api_url": "https://x/y"}]}), WHERE)

    assert only_notifier(redirected, "slack_configs")["callback_id"].startswith("harness-alerts/1{{ range .Alerts }}")


def test_slack_callback_id_the_user_set_is_kept() -> None:
    notifier = {"api_url": "https://x/y", "callback_id": "mine"}
    redirected, _ = redirect(config({"name": "s", "slack_configs": [notifier]}), WHERE)

    assert only_notifier(redirected, "slack_configs")["callback_id"] == "mine"


def test_pagerduty_details_gain_the_carrier_and_keep_the_users_details() -> None:
    notifier = {"routing_key": "k", "details": {"firing": "{{ template \"mine\" . }}"}}
    redirected, _ = redirect(config({"name": "p", "pagerduty_configs": [notifier]}), WHERE)

    details = only_notifier(redirected, "pagerduty_configs")["details"]
    assert details["firing"] == "{{ template \"mine\" . }}"
    assert details["harness_alerts"].startswith("harness-alerts/1")


def test_email_receiver_that_logs_in_greets_the_sink_as_smtp_auth() -> None:
    notifier = {"to": "a@example.org", "auth_username": "am", "auth_password": "s3cr3t-Pw"}
    redirected, _ = redirect(config({"name": "mail", "email_configs": [notifier]}), WHERE)

    assert only_notifier(redirected, "email_configs")["hello"] == "smtp-auth.mail"


def test_email_receiver_inherits_global_smtp_auth() -> None:
    top = {"global": {"smtp_smarthost": "smtp.example.org:587", "smtp_auth_username": "am"}}
    redirected, (endpoint,) = redirect(config({"name": "mail", "email_configs": [{"to": "a@example.org"}]}, **top), WHERE)

    assert only_notifier(redirected, "email_configs")["hello"] == "smtp-auth.mail"
    assert endpoint.original == "smtp://smtp.example.org:587 -> a@example.org"


def test_email_receiver_without_auth_greets_the_sink_by_name_and_carries_the_alerts_in_a_header() -> None:
    redirected, _ = redirect(config({"name": "mail", "email_configs": [{"to": "a@example.org"}]}), WHERE)

    notifier = only_notifier(redirected, "email_configs")
    assert notifier["hello"] == "mail"
    assert notifier["headers"]["X-Harness-Alerts"].startswith("harness-alerts/1")


def test_pagerduty_v2_url_goes_to_the_sink_under_the_receiver_name() -> None:
    redirected, (endpoint,) = redirect(config({"name": "pager", "pagerduty_configs": [{"routing_key": "k"}]}), WHERE)

    assert only_notifier(redirected, "pagerduty_configs")["url"] == "http://sink:8080/pagerduty/pager"
    assert endpoint.kind == "pagerduty"


def test_pagerduty_v1_service_key_gets_the_receiver_as_basic_auth_user_and_insecure_tls() -> None:
    redirected, (endpoint,) = redirect(config({"name": "db-pager", "pagerduty_configs": [{"service_key": "k"}]}), WHERE)

    http_config = only_notifier(redirected, "pagerduty_configs")["http_config"]
    assert http_config["basic_auth"] == {"username": "db-pager"}
    assert http_config["tls_config"] == {"insecure_skip_verify": True}
    assert endpoint.kind == "pagerduty_v1"


def test_webhook_url_goes_to_the_sink_under_the_receiver_name() -> None:
    redirected, (endpoint,) = redirect(config({"name": "bot", "webhook_configs": [{"url": "https://bot.example.com/hook"}]}), WHERE)

    assert only_notifier(redirected, "webhook_configs")["url"] == "http://sink:8080/webhook/bot"
    assert endpoint.original == "https://bot.example.com/hook"


def test_the_real_endpoint_a_receiver_keeps_for_the_report_has_no_secret_in_it() -> None:
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    hook = f"https://hooks.slack.com/services/T024BE7LD/B08ACQ7QZ5L/{secret}"
    _, (endpoint,) = redirect(config({"name": "s", "slack_configs": [{"api_url": hook}]}), WHERE)

    assert endpoint.original == "https://hooks.slack.com/services/T024BE7LD/B08ACQ7QZ5L/<redacted, 24 chars>"


def test_email_goes_to_the_sink_smarthost_greeting_with_the_receiver_name() -> None:
    source = config({"name": "oncall", "email_configs": [{"to": "oncall@example.com", "smarthost": "smtp.example.com:587"}]})

    redirected, _ = redirect(source, WHERE)

    notifier = only_notifier(redirected, "email_configs")
    assert notifier["smarthost"] == "sink:2525"
    assert notifier["hello"] == "oncall"


def test_routing_is_left_untouched() -> None:
    route = {"receiver": "bot", "group_by": ["alertname"], "routes": [{"receiver": "bot", "matchers": ['severity="critical"']}]}
    source = {"route": route, "receivers": [{"name": "bot", "webhook_configs": [{"url": "https://x"}]}]}

    redirected, _ = redirect(source, WHERE)

    assert redirected["route"] == route


@pytest.mark.parametrize(
    ("key", "notifier", "kind", "expected"),
    [
        ("slack_configs", {"api_url": "https://x"}, "slack", False),
        ("email_configs", {"to": "a@example.com"}, "email", False),
        ("pagerduty_configs", {"routing_key": "k"}, "pagerduty", True),
        ("pagerduty_configs", {"service_key": "k"}, "pagerduty_v1", True),
        ("webhook_configs", {"url": "https://x"}, "webhook", True),
    ],
)
def test_send_resolved_defaults_per_kind_and_says_it_was_the_default(
    key: str, notifier: dict[str, Any], kind: str, expected: bool
) -> None:
    _, (endpoint,) = redirect(config({"name": "r", key: [notifier]}), WHERE)

    assert (endpoint.kind, endpoint.send_resolved, endpoint.send_resolved_is_default) == (kind, expected, True)


def test_explicit_send_resolved_wins_over_the_default() -> None:
    _, (endpoint,) = redirect(config({"name": "r", "slack_configs": [{"api_url": "https://x", "send_resolved": True}]}), WHERE)

    assert (endpoint.send_resolved, endpoint.send_resolved_is_default) == (True, False)


def test_unsupported_receiver_type_is_refused_naming_the_receiver() -> None:
    source = config({"name": "ops", "opsgenie_configs": [{"api_key": "k"}]})

    with pytest.raises(ConfigError) as raised:
        redirect(source, WHERE)

    message = str(raised.value)
    assert message.startswith("alertmanager.yml: receivers[0].opsgenie_configs: receiver 'ops' uses opsgenie_configs")
    assert "would notify the real service" in message


def test_the_input_config_is_not_mutated() -> None:
    source = config(
        {"name": "all", "slack_configs": [{"api_url": "https://x"}], "pagerduty_configs": [{"service_key": "k"}],
         "webhook_configs": [{"url": "https://y"}], "email_configs": [{"to": "a@example.com"}]},
        **{"global": {"smtp_smarthost": "smtp.example.com:587"}},
    )
    before = copy.deepcopy(source)

    redirect(source, WHERE)

    assert source == before
