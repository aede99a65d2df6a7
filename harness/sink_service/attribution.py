"""Which alerts a delivery is about, each with its own status, read from structured parts only.

A group notification can carry firing and resolved alerts at once; each gets its own entry. The
sources, in the order a parser tries them:

- the harness's carrier: when it redirects a receiver, the harness adds one templated value that
  lists the group's alerts (Slack `callback_id`, PagerDuty detail `harness_alerts`, email header
  `X-Harness-Alerts`), unless the user's config already sets that field. Its format is
  ``harness-alerts/1 firing?alertname=A&job=api resolved?alertname=B`` with URL-encoded values;
- Alertmanager 0.25's default structures: the webhook's `alerts[]`, PagerDuty's `firing` /
  `resolved` details (the ``__text_alert_list`` template) and the default email body's
  ``[N] Firing`` / ``[N] Resolved`` sections.

Nothing here searches free text for alert names: where no structure is found the answer is no
alerts, and the delivery is recorded as unattributed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

__all__ = [
    "CARRIER_PREFIX",
    "Alert",
    "alerts_from_carrier",
    "alerts_from_details",
    "alerts_from_email_body",
    "alerts_from_text_list",
]

#: First word of the carrier value; harness/receivers.py writes the same text.
CARRIER_PREFIX = "harness-alerts/1"

_LABEL_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LIST_LABEL = re.compile(rf"^\s*-\s+({_LABEL_NAME}) = (.*)$")
_EMAIL_LABEL = re.compile(rf"^({_LABEL_NAME}) = (.*)$")
_EMAIL_SECTION = re.compile(r"^\[\d+\]\s+(Firing|Resolved)$")
_STATUSES = ("firing", "resolved")


@dataclass(frozen=True)
class Alert:
    """One alert of a delivery: its name, its own status and the labels the payload showed."""

    name: str
    status: str
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, status: str, labels: Mapping[str, str]) -> Alert:
        return cls(name=labels.get("alertname", ""), status=status, labels=dict(labels))


def alerts_from_carrier(value: str) -> tuple[Alert, ...]:
    """The alerts listed by the harness's carrier, or () when `value` is not a carrier."""
    words = value.split()
    if not words or words[0] != CARRIER_PREFIX:
        return ()
    alerts = []
    for word in words[1:]:
        status, _, query = word.partition("?")
        if status not in _STATUSES:
            return ()
        alerts.append(Alert.of(status, dict(parse_qsl(query, keep_blank_values=True))))
    return tuple(alerts)


def alerts_from_details(details: object) -> tuple[Alert, ...]:
    """PagerDuty `details` / `custom_details`: the carrier if present, else Alertmanager's default
    `firing` and `resolved` alert lists."""
    if not isinstance(details, Mapping):
        return ()
    carried = alerts_from_carrier(_str(details.get("harness_alerts")))
    if carried:
        return carried
    return alerts_from_text_list(_str(details.get("firing")), "firing") + alerts_from_text_list(
        _str(details.get("resolved")), "resolved"
    )


def alerts_from_text_list(text: str, status: str) -> tuple[Alert, ...]:
    """Alerts rendered by Alertmanager's ``__text_alert_list``: per alert a ``Labels:`` line,
    `` - name = value`` lines, then ``Annotations:`` and ``Source:``."""
    return tuple(Alert.of(status, labels) for labels in _blocks(text.splitlines()))


def alerts_from_email_body(lines: Iterable[str]) -> tuple[Alert, ...]:
    """Alerts of Alertmanager's default HTML email, given its visible text one block a line:
    a ``[2] Firing`` heading, then per alert ``Labels`` and ``name = value`` lines."""
    alerts: list[Alert] = []
    status: str | None = None
    labels: dict[str, str] | None = None
    for line in lines:
        line = line.strip()
        section = _EMAIL_SECTION.match(line)
        if section or line in ("Labels", "Annotations", "Source"):
            if labels:
                alerts.append(Alert.of(status or "", labels))
            labels = None
            if section:
                status = section[1].lower()
            elif line == "Labels" and status:
                labels = {}
            continue
        match = _EMAIL_LABEL.match(line)
        if labels is not None and match:
            labels[match[1]] = match[2]
    if labels:
        alerts.append(Alert.of(status or "", labels))
    return tuple(alerts)


def _blocks(lines: list[str]) -> Iterable[dict[str, str]]:
    labels: dict[str, str] | None = None
    for line in lines:
        stripped = line.strip()
        if stripped == "Labels:":
            if labels:
                yield labels
            labels = {}
        elif stripped == "Annotations:" or stripped.startswith("Source:"):
            if labels:
                yield labels
            labels = None
        elif labels is not None:
            match = _LIST_LABEL.match(line)
            if match:
                labels[match[1]] = match[2]
    if labels:
        yield labels


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
