"""Redirect every Alertmanager receiver to our sink, leaving routing, grouping and templates alone.

Each delivery carries the receiver's name to the sink (in the URL path, the SMTP greeting or the
basic-auth user), so a test can tell *which* receiver got it, not just that something arrived.
What the real service would check travels too: a Slack webhook's original host and path follow
the receiver in the URL, and an email receiver that logs in is greeted as `smtp-auth.<name>`.

Each notifier also gets one field that lists the group's alerts, each with its status and labels
(the *carrier*, read by sink_service/attribution.py), unless the user's config already uses that
field: Slack's `callback_id`, a PagerDuty detail `harness_alerts`, an email header
`X-Harness-Alerts`. None of them changes what the user's templates render.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from harness.errors import ConfigError
from harness.redaction import redact_url
from harness.yamlfile import Location, Place

SINK_HOST = "sink"
SINK_HTTP_PORT = 8080
SINK_SMTP_PORT = 2525
#: Alertmanager 0.25 posts PagerDuty Events v1 (service_key) to this host whatever `url` says
#: (alertmanager#2347); the sink answers for it under this network alias.
PAGERDUTY_V1_HOST = "events.pagerduty.com"

Kind = Literal["slack", "pagerduty", "pagerduty_v1", "webhook", "email"]

#: What Alertmanager does when a config does not say `send_resolved`.
SEND_RESOLVED_DEFAULT: dict[Kind, bool] = {
    "slack": False,
    "pagerduty": True,
    "pagerduty_v1": True,
    "webhook": True,
    "email": False,
}

REDIRECTABLE = {"slack_configs", "pagerduty_configs", "webhook_configs", "email_configs"}

#: The carrier: `harness-alerts/1 firing?alertname=A&job=api resolved?alertname=B`, values
#: URL-encoded so that spaces separate alerts. sink_service/attribution.py reads it.
ALERTS_CARRIER = (
    "harness-alerts/1{{ range .Alerts }} {{ .Status }}?"
    "{{ range $i, $p := .Labels.SortedPairs }}{{ if $i }}&{{ end }}"
    "{{ $p.Name }}={{ $p.Value | urlquery }}{{ end }}{{ end }}"
)
CARRIER_HEADER = "X-Harness-Alerts"
CARRIER_DETAIL = "harness_alerts"
#: EHLO prefix that tells the sink this email receiver logs in (sink_service/smtp.py).
SMTP_AUTH_HELLO_PREFIX = "smtp-auth."
_SMTP_AUTH_KEYS = ("auth_username", "auth_password", "auth_password_file", "auth_secret", "auth_identity")


@dataclass(frozen=True)
class RedirectedEndpoint:
    """One notifier of one receiver, as the run sees it."""

    receiver: str
    kind: Kind
    send_resolved: bool
    send_resolved_is_default: bool
    #: Where it really points, with its secret parts replaced by markers (harness.redaction).
    original: str


def redirect(
    config: dict[str, Any], where: str, lines: dict[Location, int] | None = None
) -> tuple[dict[str, Any], list[RedirectedEndpoint]]:
    """Return a copy of an Alertmanager config whose receivers all deliver to the sink.

    `where` is the file; with its `lines`, errors say file:line.
    """
    config = copy.deepcopy(config)
    top = Place(where, (), lines)
    global_section = config.setdefault("global", {}) or {}
    if not isinstance(global_section, dict):
        raise ConfigError(f"{top / 'global'}: expected a mapping, found a {_kind(global_section)}")
    config["global"] = global_section
    global_smarthost = global_section.get("smtp_smarthost")
    if global_smarthost:
        global_section["smtp_smarthost"] = f"{SINK_HOST}:{SINK_SMTP_PORT}"
    endpoints: list[RedirectedEndpoint] = []
    for index, receiver in enumerate(_items(config, "receivers", top)):
        here = top / "receivers" / index
        if not isinstance(receiver, dict):
            raise ConfigError(f"{here}: expected a mapping (a receiver with a name), found {type(receiver).__name__}")
        name = receiver.get("name")
        if not name:
            raise ConfigError(f"{here}: receivers[{index}] has no name")
        name = str(name)
        unsupported = sorted(str(key) for key in receiver if str(key).endswith("_configs") and key not in REDIRECTABLE)
        if unsupported:
            raise ConfigError(
                f"{here / unsupported[0]}: receiver {name!r} uses {', '.join(unsupported)}, which the harness cannot redirect "
                f"to its sink; a run would notify the real service. Supported: {', '.join(sorted(REDIRECTABLE))}. "
                f"Hint: give the harness a copy of the config where {name!r} uses webhook_configs, or leave it out "
                "of the copy; the harness never passes an unknown notifier through."
            )
        for notifier in _notifiers(receiver, "slack_configs", here):
            endpoints.append(_slack(name, notifier, global_section))
        for notifier in _notifiers(receiver, "pagerduty_configs", here):
            endpoints.append(_pagerduty(name, notifier))
        for notifier in _notifiers(receiver, "webhook_configs", here):
            endpoints.append(_webhook(name, notifier))
        for notifier in _notifiers(receiver, "email_configs", here):
            endpoints.append(_email(name, notifier, global_smarthost, global_section))
    return config, endpoints


def _items(section: dict[str, Any], key: str, where: Place) -> list[Any]:
    value = section.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where / key}: expected a list, found a {_kind(value)}")
    return value


def _notifiers(receiver: dict[str, Any], key: str, where: Place) -> list[dict[str, Any]]:
    notifiers = _items(receiver, key, where)
    for index, notifier in enumerate(notifiers):
        if not isinstance(notifier, dict):
            raise ConfigError(f"{where / key / index}: expected a mapping (one notifier), found a {_kind(notifier)}")
        for section in ("http_config", "details", "headers"):
            if notifier.get(section) is not None and not isinstance(notifier[section], dict):
                raise ConfigError(f"{where / key / index / section}: expected a mapping, found a "
                                  f"{_kind(notifier[section])}")
    return notifiers


def _kind(value: object) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _sink_url(path: str, receiver: str) -> str:
    return f"http://{SINK_HOST}:{SINK_HTTP_PORT}/{path}/{quote(receiver, safe='')}"


def _endpoint(receiver: str, kind: Kind, notifier: dict[str, Any], original: str) -> RedirectedEndpoint:
    explicit = notifier.get("send_resolved")
    return RedirectedEndpoint(
        receiver=receiver,
        kind=kind,
        send_resolved=SEND_RESOLVED_DEFAULT[kind] if explicit is None else bool(explicit),
        send_resolved_is_default=explicit is None,
        original=original,
    )


def _slack(receiver: str, notifier: dict[str, Any], global_section: dict[str, Any]) -> RedirectedEndpoint:
    original = notifier.pop("api_url", None) or global_section.get("slack_api_url") or "(slack_api_url_file)"
    notifier.pop("api_url_file", None)
    notifier["api_url"] = _sink_url("slack", receiver) + _host_and_path(str(original))
    notifier.setdefault("callback_id", ALERTS_CARRIER)
    return _endpoint(receiver, "slack", notifier, redact_url(str(original)))


def _host_and_path(url: str) -> str:
    """`/<host>/<path>` of the user's webhook URL for the sink to check, or "" when it is unknown
    (the URL is in a file the harness does not read)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ""
    return f"/{parts.hostname or ''}{quote(parts.path, safe='/%')}"


def _pagerduty(receiver: str, notifier: dict[str, Any]) -> RedirectedEndpoint:
    details = notifier.get("details") or {}
    notifier["details"] = {**details, CARRIER_DETAIL: details.get(CARRIER_DETAIL, ALERTS_CARRIER)}
    if notifier.get("service_key") or notifier.get("service_key_file"):
        http_config = notifier.setdefault("http_config", {})
        http_config["tls_config"] = {"insecure_skip_verify": True}
        http_config["basic_auth"] = {"username": receiver}
        return _endpoint(receiver, "pagerduty_v1", notifier, f"https://{PAGERDUTY_V1_HOST} (Events v1)")
    original = notifier.get("url", "https://events.pagerduty.com/v2/enqueue")
    notifier["url"] = _sink_url("pagerduty", receiver)
    return _endpoint(receiver, "pagerduty", notifier, redact_url(str(original)))


def _webhook(receiver: str, notifier: dict[str, Any]) -> RedirectedEndpoint:
    original = notifier.pop("url", None) or "(url_file)"
    notifier.pop("url_file", None)
    notifier["url"] = _sink_url("webhook", receiver)
    return _endpoint(receiver, "webhook", notifier, redact_url(str(original)))


def _email(
    receiver: str, notifier: dict[str, Any], global_smarthost: str | None, global_section: dict[str, Any]
) -> RedirectedEndpoint:
    original = notifier.get("smarthost") or global_smarthost or "(no smarthost)"
    logs_in = any(notifier.get(key) or global_section.get(f"smtp_{key}") for key in _SMTP_AUTH_KEYS)
    notifier["smarthost"] = f"{SINK_HOST}:{SINK_SMTP_PORT}"
    notifier["hello"] = f"{SMTP_AUTH_HELLO_PREFIX}{receiver}" if logs_in else receiver
    notifier["tls_config"] = {"insecure_skip_verify": True}
    headers = notifier.get("headers") or {}
    if not any(name.lower() == CARRIER_HEADER.lower() for name in headers):
        notifier["headers"] = {**headers, CARRIER_HEADER: ALERTS_CARRIER}
    return _endpoint(receiver, "email", notifier, f"smtp://{original} -> {notifier.get('to', '?')}")
