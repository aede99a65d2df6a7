"""Which config values are secrets, and what stands in for them: enough to tell receivers apart, nothing of the secret.

Secret-shaped values are assembled at run time (and random), so no file of the repository holds one.
"""

from __future__ import annotations

import json
import secrets
import string
from urllib.parse import quote

from harness.redaction import Secrets, marker, redact_document, redact_url, url_secrets

LETTERS_AND_DIGITS = string.ascii_letters + string.digits
UPPER_AND_DIGITS = string.ascii_uppercase + string.digits


def token(length: int, alphabet: str = LETTERS_AND_DIGITS) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def slack_hook() -> tuple[str, str, str, str]:
    team, hook, secret = "T" + token(8, UPPER_AND_DIGITS), "B" + token(10, UPPER_AND_DIGITS), token(24)
    return f"https://hooks.slack.com/services/{team}/{hook}/{secret}", team, hook, secret


def test_a_slack_webhook_keeps_its_host_team_and_hook_ids_and_loses_its_secret() -> None:
    url, team, hook, secret = slack_hook()

    assert redact_url(url) == f"https://hooks.slack.com/services/{team}/{hook}/<redacted, 24 chars>"
    assert url_secrets(url) == [secret]


def test_a_slack_webhook_behind_the_sink_url_loses_its_secret_too() -> None:
    url, team, hook, secret = slack_hook()
    behind = "http://sink:8080/slack/slack-critical/" + url.removeprefix("https://")

    assert redact_url(behind) == (
        f"http://sink:8080/slack/slack-critical/hooks.slack.com/services/{team}/{hook}/<redacted, 24 chars>")


def test_a_webhook_url_loses_its_password_its_key_like_path_segments_and_its_credential_query_values() -> None:
    password, path_key, query_token = token(14), token(40), token(20)
    url = f"https://bot:{password}@incident.example.org:8443/hooks/{path_key}/alertmanager?token={query_token}&team=db"

    assert redact_url(url) == ("https://bot:<redacted, 14 chars>@incident.example.org:8443/hooks/<redacted, 40 chars>/"
                               "alertmanager?token=<redacted, 20 chars>&team=db")


def test_a_url_with_nothing_secret_in_it_is_left_as_written() -> None:
    url = "https://incident-bot.example.com/hooks/alertmanager?team=db"

    assert redact_url(url) == url


def test_alertmanager_keys_passwords_and_tokens_become_markers_of_their_length() -> None:
    routing_key, service_key, password, bot_token, api_key = token(32), token(32), token(16), token(46), token(36)
    config = {
        "global": {"smtp_auth_password": password, "opsgenie_api_key": api_key, "smtp_from": "am@example.org"},
        "receivers": [
            {"name": "pd", "pagerduty_configs": [{"routing_key": routing_key, "severity": "critical"}]},
            {"name": "pd-v1", "pagerduty_configs": [{"service_key": service_key}]},
            {"name": "tg", "telegram_configs": [{"bot_token": bot_token, "chat_id": 42}]},
        ],
    }

    redacted = redact_document(config)

    assert redacted.document["global"] == {"smtp_auth_password": "<redacted, 16 chars>",
                                           "opsgenie_api_key": "<redacted, 36 chars>", "smtp_from": "am@example.org"}
    assert redacted.document["receivers"][0]["pagerduty_configs"] == [
        {"routing_key": "<redacted, 32 chars>", "severity": "critical"}]
    assert redacted.document["receivers"][1]["pagerduty_configs"] == [{"service_key": "<redacted, 32 chars>"}]
    assert redacted.document["receivers"][2]["telegram_configs"] == [{"bot_token": "<redacted, 46 chars>", "chat_id": 42}]
    assert redacted.secrets.values == {routing_key, service_key, password, bot_token, api_key}
    assert config["receivers"][0]["pagerduty_configs"][0]["routing_key"] == routing_key  # the input is left alone


def test_http_config_credentials_of_every_kind_become_markers() -> None:
    password, credentials, client_secret, bearer, tls_key = token(12), token(40), token(30), token(36), token(64)
    http_config = {
        "basic_auth": {"username": "am", "password": password},
        "authorization": {"type": "Bearer", "credentials": credentials},
        "oauth2": {"client_id": "harness", "client_secret": client_secret, "token_url": "https://auth.example.org/t"},
        "bearer_token": bearer,
        "tls_config": {"key": tls_key, "cert_file": "/etc/am/cert.pem"},
    }

    shown = redact_document({"http_config": http_config}).document["http_config"]

    assert shown["basic_auth"] == {"username": "am", "password": "<redacted, 12 chars>"}
    assert shown["authorization"] == {"type": "Bearer", "credentials": "<redacted, 40 chars>"}
    assert shown["oauth2"] == {"client_id": "harness", "client_secret": "<redacted, 30 chars>",
                               "token_url": "https://auth.example.org/t"}
    assert shown["bearer_token"] == "<redacted, 36 chars>"
    assert shown["tls_config"] == {"key": "<redacted, 64 chars>", "cert_file": "/etc/am/cert.pem"}


def test_authorization_headers_lose_their_values_and_other_headers_keep_theirs() -> None:
    bearer = token(32)
    config = {"remote_write": [{"url": "https://metrics.example.org/push",
                                "headers": {"Authorization": f"Bearer {bearer}", "X-Scope-OrgID": "team-a"}}]}

    redacted = redact_document(config)

    assert redacted.document["remote_write"][0]["headers"] == {
        "Authorization": f"<redacted, {len(bearer) + 7} chars>", "X-Scope-OrgID": "team-a"}
    assert bearer in redacted.secrets.values  # a log may show the token without "Bearer "


def test_file_keys_are_paths_kept_as_written_and_named_as_holding_a_secret() -> None:
    config = {"receivers": [{"name": "pd", "pagerduty_configs": [{"routing_key_file": "/etc/alertmanager/pd.key"}]}]}

    redacted = redact_document(config)

    assert redacted.document == config
    assert redacted.files == ("/etc/alertmanager/pd.key",)


def test_compose_environments_lose_passwords_and_the_passwords_of_connection_urls() -> None:
    password = token(18)
    compose = {"services": {"app": {"environment": {"POSTGRES_PASSWORD": password, "POSTGRES_USER": "app",
                                                    "DATABASE_URL": f"postgresql://app:{password}@db:5432/app"}},
                            "grafana": {"environment": [f"GF_SECURITY_ADMIN_PASSWORD={password}", "GF_USERS=1"]}}}

    shown = redact_document(compose).document["services"]

    assert shown["app"]["environment"] == {"POSTGRES_PASSWORD": "<redacted, 18 chars>", "POSTGRES_USER": "app",
                                           "DATABASE_URL": "postgresql://app:<redacted, 18 chars>@db:5432/app"}
    assert shown["grafana"]["environment"] == ["GF_SECURITY_ADMIN_PASSWORD=<redacted, 18 chars>", "GF_USERS=1"]


def test_scrubbing_finds_a_secret_as_json_xml_and_url_quoted_text_writes_it() -> None:
    value = token(12) + "&/\"'" + token(6)
    found = Secrets([value])
    texts = [value, json.dumps({"k": value}), value.replace("&", "&amp;").replace('"', "&quot;"),
             quote(value, safe="")]

    for text in texts:
        assert found.scrub(f"before {text} after").count(marker(value)) == 1, text


def test_short_values_are_not_scrubbed_from_free_text() -> None:
    found = Secrets(["app", token(8)])

    assert found.scrub("app talks to postgres") == "app talks to postgres"
    assert len(found) == 1


def test_secrets_never_show_their_values_in_a_repr() -> None:
    value = token(32)

    assert value not in repr(Secrets([value]))
