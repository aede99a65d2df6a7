"""Read a delivery the way a person would: its status, the alerts it is about, its searchable text.

Pure functions over decoded payloads, free of any web or SMTP framework, so they are tested on
their own. The group status comes from what each service shows (PagerDuty's event action, the
``[FIRING:2]`` / ``[RESOLVED]`` title or subject of Alertmanager 0.25's default templates, Slack's
default colours); the alerts, each with its own status, come from structured parts only (see
`attribution`).

Every parser raises PayloadError when the body is not the shape its service sends.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from typing import Any, Literal

from .attribution import (
    Alert,
    alerts_from_carrier,
    alerts_from_details,
    alerts_from_email_body,
)

__all__ = [
    "CARRIER_HEADER",
    "Alert",
    "Notification",
    "PayloadError",
    "Status",
    "basic_auth_username",
    "html_to_text",
    "parse_email",
    "parse_pagerduty_v1",
    "parse_pagerduty_v2",
    "parse_slack",
    "parse_webhook",
    "status_from_subject",
]

Status = Literal["firing", "resolved", "unknown"]

#: The email header the harness adds to carry the alert list (harness/receivers.py).
CARRIER_HEADER = "X-Harness-Alerts"
_EVENT_STATUS: dict[str, Status] = {"trigger": "firing", "resolve": "resolved"}
_COLOR_STATUS: dict[str, Status] = {"danger": "firing", "good": "resolved"}
_GROUP_STATUS: dict[str, Status] = {"firing": "firing", "resolved": "resolved"}


class PayloadError(ValueError):
    """The body is not shaped like the notification its endpoint receives."""


@dataclass(frozen=True)
class Notification:
    """What a delivery says, whatever service format it came in.

    `alerts` is empty when no structured part says which alerts the delivery is about; it is then
    unattributed, never guessed from the text.
    """

    status: Status
    alerts: tuple[Alert, ...]
    text: str
    raw: dict[str, Any]

    @property
    def alertnames(self) -> tuple[str, ...]:
        return _unique(alert.name for alert in self.alerts if alert.name)

    @property
    def attributed(self) -> bool:
        return bool(self.alerts)


def status_from_subject(subject: str) -> Status:
    """`firing` or `resolved` from a default-template title or subject, else `unknown`."""
    stripped = subject.lstrip()
    if stripped.startswith("[FIRING"):
        return "firing"
    if stripped.startswith("[RESOLVED"):
        return "resolved"
    return "unknown"


def basic_auth_username(authorization: str | None) -> str | None:
    """The user name of an HTTP Basic `Authorization` header, or None if there is none."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def parse_slack(body: object) -> Notification:
    """A Slack incoming-webhook message (`channel`, `username`, `attachments`)."""
    message = _object(body, "a Slack incoming-webhook message")
    attachments = [item for item in _list(message.get("attachments")) if isinstance(item, dict)]
    titles = [_str(item.get("title")) for item in attachments]
    title = next((t for t in titles if t), "")
    status = status_from_subject(title)
    if status == "unknown":
        colors = (_str(item.get("color")) for item in attachments)
        status = next((_COLOR_STATUS[c] for c in colors if c in _COLOR_STATUS), "unknown")
    bodies = [_str(message.get("text"))]
    for item in attachments:
        bodies += [_str(item.get("pretext")), _str(item.get("text"))]
        for slack_field in _list(item.get("fields")):
            if isinstance(slack_field, dict):
                bodies.append(f"{_str(slack_field.get('title'))}: {_str(slack_field.get('value'))}")
    carried = (alerts_from_carrier(_str(item.get("callback_id"))) for item in attachments)
    return Notification(
        status=status,
        alerts=next((alerts for alerts in carried if alerts), ()),
        text=_join([*titles, *bodies]),
        raw=message,
    )


def parse_pagerduty_v2(body: object) -> Notification:
    """A PagerDuty Events API v2 event (`event_action`, `routing_key`, `dedup_key`, `payload`)."""
    event = _object(body, "a PagerDuty Events v2 event")
    payload = event.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    summary = _str(payload.get("summary"))
    return Notification(
        status=_EVENT_STATUS.get(_str(event.get("event_action")), "unknown"),
        alerts=alerts_from_details(payload.get("custom_details")),
        text=_join([summary, _details_text(payload.get("custom_details"))]),
        raw=event,
    )


def parse_pagerduty_v1(body: object) -> Notification:
    """A PagerDuty Events API v1 event (`service_key`, `event_type`, `incident_key`, `details`)."""
    event = _object(body, "a PagerDuty Events v1 event")
    description = _str(event.get("description"))
    return Notification(
        status=_EVENT_STATUS.get(_str(event.get("event_type")), "unknown"),
        alerts=alerts_from_details(event.get("details")),
        text=_join([description, _details_text(event.get("details"))]),
        raw=event,
    )


def parse_webhook(body: object) -> Notification:
    """An Alertmanager webhook message (`receiver`, `status`, `alerts`, `groupLabels`, ...)."""
    message = _object(body, "an Alertmanager webhook message")
    items = [item for item in _list(message.get("alerts")) if isinstance(item, dict)]
    alerts = tuple(
        Alert.of(_str(item.get("status")), _string_map(item.get("labels"))) for item in items
    )
    lines: list[str] = []
    for item, alert in zip(items, alerts):
        lines.append(f"[{alert.status.upper()}]")
        lines += [f"{name} = {value}" for name, value in alert.labels.items()]
        lines += [f"{k} = {v}" for k, v in _string_map(item.get("annotations")).items()]
    return Notification(
        status=_GROUP_STATUS.get(_str(message.get("status")), "unknown"),
        alerts=alerts,
        text=_join(lines),
        raw=message,
    )


def parse_email(data: bytes) -> Notification:
    """An email as it arrives over SMTP: headers and a MIME body of text and HTML parts."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    subject = _header(message, "Subject")
    body = _join(_part_text(part) for part in message.walk() if not part.is_multipart())
    alerts = alerts_from_carrier(_header(message, CARRIER_HEADER)) or alerts_from_email_body(
        body.splitlines()
    )
    return Notification(
        status=status_from_subject(subject),
        alerts=alerts,
        text=_join([subject, body]),
        raw={"subject": subject, "from": _header(message, "From"), "to": _header(message, "To")},
    )


def html_to_text(html: str) -> str:
    """The visible text of an HTML document, one line per block, blank lines dropped."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.chunks).splitlines())
    return "\n".join(line for line in lines if line)


class _TextReader(HTMLParser):
    _HIDDEN = frozenset({"style", "script"})
    _BLOCKS = frozenset(
        {"br", "p", "div", "tr", "td", "th", "li", "table", "h1", "h2", "h3", "h4", "title", "a"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden_depth += 1
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.chunks.append(data)


def _part_text(part: Message) -> str:
    if part.get_content_maintype() != "text":
        return ""
    content: object
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
    except (LookupError, ValueError):
        content = None
    if not isinstance(content, str):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return html_to_text(content) if part.get_content_subtype() == "html" else content.strip()


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _details_text(details: object) -> str:
    if not isinstance(details, dict):
        return ""
    lines = []
    for key, value in details.items():
        text = (value if isinstance(value, str) else json.dumps(value, sort_keys=True)).strip()
        if text:
            lines.append(f"{key}: {text}")
    return _join(lines)


def _object(body: object, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PayloadError(f"expected {what} (a JSON object), got a JSON {_json_type(body)}")
    return body


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _join(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part)


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
