"""What the real services would refuse, and how they say it.

Each check takes a decoded payload (and, for Slack, the original webhook URL's host and path) and
returns None when the real service would accept it, else a Refusal: the HTTP answer the real API
gives and a reason for the record that says what was wrong and why the service refuses it.

Sources: PagerDuty's Events API v2 (`https://events.pagerduty.com/v2/enqueue`: 32-character
routing key, `event_action` trigger/acknowledge/resolve, `payload.summary`/`source`/`severity`
required to trigger, severity critical/error/warning/info; refusals are HTTP 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``), its Events
API v1 (`create_event.json`: 32-character service key, `event_type`, `description` required to
trigger, `incident_key` to acknowledge or resolve; same refusal body), and Slack's incoming webhooks
(`https://hooks.slack.com/services/T…/B…/<24-character secret>`; an unknown hook is HTTP 404
`no_service`, a body it cannot read 400 `invalid_payload`, a message without text, blocks or
attachments 400 `no_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Refusal",
    "check_pagerduty_v1",
    "check_pagerduty_v2",
    "check_slack",
    "check_smtp_password",
    "placeholder",
    "unparseable",
]

PAGERDUTY_KEY_LENGTH = 32
PAGERDUTY_ACTIONS = ("trigger", "acknowledge", "resolve")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")

_KEY_ALPHABET = re.compile(r"[A-Za-z0-9]+")
_SLACK_PATH = re.compile(r"/services/(T[A-Z0-9]{6,})/(B[A-Z0-9]{6,})/([A-Za-z0-9]{24})")
# Text that people leave where a secret should go. Real keys are random letters and digits.
_PLACEHOLDERS = (
    (re.compile(r"\$\{[^}]*\}?|\$[A-Z_][A-Z0-9_]*"), "an unexpanded environment variable"),
    (re.compile(r"<[^>]*>?|\{\{.*\}\}"), "a template placeholder"),
    (re.compile(r"change[-_ ]?me|replace[-_ ]?me|your[-_ ]?\w*|placeholder|todo|dummy|fixme", re.I),
     "a placeholder word"),
    (re.compile(r"(?i)x{4,}"), "a run of X"),
    (re.compile(r"(.)\1{7,}"), "one character repeated"),
)


@dataclass(frozen=True)
class Refusal:
    """The real service's answer to a request it refuses, and why, for the record."""

    status_code: int
    body: Any
    reason: str

    @property
    def text(self) -> str:
        """The body as the service sends it: JSON for PagerDuty, a bare word for Slack."""
        return self.body if isinstance(self.body, str) else ""


def placeholder(value: str) -> str | None:
    """What makes `value` look like an unfilled placeholder, or None if it looks like a secret."""
    for pattern, what in _PLACEHOLDERS:
        found = pattern.search(value)
        if found:
            return f"{value!r} looks like an unfilled placeholder ({what}: {found[0]!r})"
    return None


def check_pagerduty_v2(event: dict[str, Any]) -> Refusal | None:
    errors: list[str] = []
    why: list[str] = []
    key = event.get("routing_key")
    _check_key("routing_key", key, errors, why)
    action = event.get("event_action")
    if not _text(action):
        errors.append("'event_action' is missing or blank")
    elif action not in PAGERDUTY_ACTIONS:
        errors.append(f"'event_action' is invalid (must be one of {', '.join(PAGERDUTY_ACTIONS)})")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            for name in ("summary", "source", "severity"):
                if not _text(payload.get(name)):
                    errors.append(f"'payload.{name}' is missing or blank")
            severity = payload.get("severity")
            if _text(severity) and severity not in PAGERDUTY_SEVERITIES:
                errors.append(
                    f"'payload.severity' is invalid (must be one of {', '.join(PAGERDUTY_SEVERITIES)}"
                    f"; got {severity!r})"
                )
    elif _text(action) and not _text(event.get("dedup_key")):
        errors.append(f"'dedup_key' is required to {action} an alert")
    return _pagerduty_refusal("Events API v2", errors, why)


def check_pagerduty_v1(event: dict[str, Any]) -> Refusal | None:
    errors: list[str] = []
    why: list[str] = []
    _check_key("service_key", event.get("service_key"), errors, why)
    event_type = event.get("event_type")
    if not _text(event_type):
        errors.append("'event_type' is missing or blank")
    elif event_type not in PAGERDUTY_ACTIONS:
        errors.append(f"'event_type' is invalid (must be one of {', '.join(PAGERDUTY_ACTIONS)})")
    elif event_type == "trigger" and not _text(event.get("description")):
        errors.append("'description' is required to trigger an incident")
    elif event_type != "trigger" and not _text(event.get("incident_key")):
        errors.append(f"'incident_key' is required to {event_type} an incident")
    return _pagerduty_refusal("Events API v1", errors, why)


def check_slack(original: str | None, message: dict[str, Any]) -> Refusal | None:
    """`original` is the webhook URL's host and path (`hooks.slack.com/services/T…/B…/…`), or None
    when the harness could not see it (the URL came from a file)."""
    if original is not None:
        host, _, path = original.partition("/")
        path = "/" + path
        if host in SLACK_HOSTS:
            match = _SLACK_PATH.fullmatch(path)
            if match is None:
                return Refusal(
                    404,
                    "no_service",
                    f"Slack answers 404 no_service: {host}{path} is not an incoming-webhook URL "
                    "(expected /services/T<team>/B<hook>/<24-character secret>)",
                )
            for part in match.groups():
                found = placeholder(part)
                if found:
                    return Refusal(
                        404, "no_service", f"Slack answers 404 no_service: webhook URL part {found}"
                    )
        else:
            found = placeholder(path)
            if found:
                return Refusal(
                    404, "no_service", f"webhook URL {host}{path}: path {found}; no service answers it"
                )
    text = message.get("text")
    blocks = message.get("blocks")
    attachments = message.get("attachments")
    if not (_text(text) or _nonempty_list(blocks) or _nonempty_list(attachments)):
        return Refusal(
            400, "no_text", "Slack answers 400 no_text: the message has no text, blocks or attachments"
        )
    return None


def check_smtp_password(password: str) -> str | None:
    """Why a mail server would refuse this AUTH password, or None. Only the obvious: the sink cannot
    know the real password, but an empty or placeholder one is never right."""
    if not password:
        return "empty password"
    found = placeholder(password)
    return f"password {found}" if found else None


def unparseable(kind: str, what: str) -> Refusal:
    """The answer each service gives to a body it cannot read as its message."""
    if kind == "slack":
        return Refusal(400, "invalid_payload", f"Slack answers 400 invalid_payload: {what}")
    if kind in ("pagerduty", "pagerduty_v1"):
        version = "Events API v2" if kind == "pagerduty" else "Events API v1"
        body = {"status": "invalid event", "message": "Event object is invalid", "errors": [what]}
        return Refusal(400, body, f"PagerDuty {version} answers 400 Event object is invalid: {what}")
    body = {"status": "invalid", "message": what}
    return Refusal(400, body, f"{kind} receiver answers 400: {what}")


def _check_key(name: str, key: object, errors: list[str], why: list[str]) -> None:
    if not _text(key):
        errors.append(f"'{name}' is missing or blank")
        return
    assert isinstance(key, str)
    found = placeholder(key)
    if found:
        why.append(f"{name} {found}")
    if len(key) != PAGERDUTY_KEY_LENGTH:
        errors.append(
            f"Length of '{name}' is incorrect (should be {PAGERDUTY_KEY_LENGTH} characters)"
        )
    elif not _KEY_ALPHABET.fullmatch(key):
        errors.append(f"'{name}' is invalid (letters and digits only)")
    elif found:
        errors.append(f"Invalid {name.replace('_', ' ')}")


def _pagerduty_refusal(api: str, errors: list[str], why: list[str]) -> Refusal | None:
    if not errors:
        return None
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    reason = f"PagerDuty {api} answers 400 Event object is invalid: {'; '.join(errors)}"
    if why:
        reason += f" ({'; '.join(why)})"
    return Refusal(400, body, reason)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _nonempty_list(value: object) -> bool:
    return isinstance(value, list) and bool(value)
