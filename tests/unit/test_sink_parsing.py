"""The sink's reading of deliveries, against payloads as Alertmanager 0.25 renders them by default.

The payloads were captured from Debian's Alertmanager 0.25 delivering to the sink (email trimmed
to its structure: headers, quoted-printable HTML with the style block and the alert rows).
"""

from __future__ import annotations

import base64
import quopri
from typing import Any

import pytest

from harness.sink_service.behaviour import BehaviourError, parse_behaviour_request
from harness.sink_service.parsing import (
    PayloadError,
    basic_auth_username,
    html_to_text,
    parse_email,
    parse_pagerduty_v1,
    parse_pagerduty_v2,
    parse_slack,
    parse_webhook,
)

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
SERVICE_KEY = "5b2c9f1a7d3e4b60a8c1f2e3d4b5a697"
DETAILS_HIGH_ERROR_RATE = (
    "Labels:\n - alertname = HighErrorRate\n - job = api\n - severity = critical\n"
    "Annotations:\n - description = api errors <high> & rising\n - summary = Error rate above 5%\n"
    "Source: http://prometheus:9090/graph?g0.expr=x\n"
)
DETAILS_HIGH_LATENCY = (
    "Labels:\n - alertname = HighLatency\n - job = api\n - severity = warning\n"
    "Annotations:\n - summary = p99 slow\nSource: \n"
)


def slack_message(title: str, color: str, text: str = "") -> dict[str, Any]:
    return {
        "channel": "#alerts",
        "username": "Alertmanager",
        "attachments": [
            {
                "title": title,
                "title_link": "http://9c4c884450fa:9093/#/alerts?receiver=team-slack",
                "text": text,
                "fallback": f"{title} | http://9c4c884450fa:9093/#/alerts?receiver=team-slack",
                "callback_id": "",
                "footer": "",
                "color": color,
                "mrkdwn_in": ["fallback", "pretext", "text"],
            }
        ],
    }


def pagerduty_v2_event(action: str, summary: str, firing: str, resolved: str) -> dict[str, Any]:
    return {
        "routing_key": ROUTING_KEY,
        "dedup_key": "8058c3e41259c51b5a8bb30a28fc7a456cc1826c0b947ce83361c928ce50236b",
        "event_action": action,
        "payload": {
            "summary": summary,
            "source": "Alertmanager",
            "severity": "error",
            "custom_details": {
                "firing": firing,
                "num_firing": str(firing.count("Labels:")),
                "num_resolved": str(resolved.count("Labels:")),
                "resolved": resolved,
            },
        },
        "client": "Alertmanager",
        "client_url": "http://9c4c884450fa:9093/#/alerts?receiver=team-pd",
    }


def pagerduty_v1_event(
    event_type: str, description: str, firing: str, resolved: str
) -> dict[str, Any]:
    return {
        "service_key": SERVICE_KEY,
        "incident_key": "8058c3e41259c51b5a8bb30a28fc7a456cc1826c0b947ce83361c928ce50236b",
        "event_type": event_type,
        "description": description,
        "event_action": "",
        "payload": None,
        "client": "Alertmanager",
        "client_url": "http://9c4c884450fa:9093/#/alerts?receiver=team-pd-v1",
        "details": {
            "firing": firing,
            "num_firing": str(firing.count("Labels:")),
            "num_resolved": str(resolved.count("Labels:")),
            "resolved": resolved,
        },
    }


def webhook_message(status: str) -> dict[str, Any]:
    ends_at = "2026-11-23T09:29:07Z" if status == "resolved" else "0001-01-01T00:00:00Z"
    return {
        "receiver": "team-web",
        "status": status,
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "HighErrorRate", "job": "api", "severity": "critical"},
                "annotations": {"summary": "Error rate above 5%"},
                "startsAt": "2026-11-23T09:28:53.821069663Z",
                "endsAt": ends_at,
                "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
                "fingerprint": "d8da8f2e9952176d",
            },
            {
                "status": status,
                "labels": {"alertname": "HighLatency", "job": "api", "severity": "warning"},
                "annotations": {"summary": "p99 slow"},
                "startsAt": "2026-11-23T09:28:53.821069663Z",
                "endsAt": ends_at,
                "generatorURL": "",
                "fingerprint": "5ab1d3e1f2b9c8a7",
            },
        ],
        "groupLabels": {"job": "api"},
        "commonLabels": {"job": "api"},
        "commonAnnotations": {},
        "externalURL": "http://9c4c884450fa:9093",
        "version": "4",
        "groupKey": '{}/{}:{job="api"}',
        "truncatedAlerts": 0,
    }


CELL = "margin: 0; font-family: 'Helvetica Neue', Helvetica, Arial, sans-serif; font-size: 14px;"


def alertmanager_email(subject: str, state: str) -> bytes:
    html = f"""
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" style="{CELL}">
<head>
<meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>{subject}</title>
<style>
@media only screen and (max-width: 640px) {{
  body {{ padding: 0 !important; }}
  .alertname {{ width: 100% !important; }}
}}
</style>
</head>
<body itemscope itemtype="http://schema.org/EmailMessage" style="{CELL}">
<table class="main" width="100%" cellpadding="0" cellspacing="0" bgcolor="#fff" style="{CELL}">
  <tr style="{CELL}">
    <td class="alert alert-warning" valign="top" align="center" bgcolor="#E6522C" style="{CELL}">
      1 alert for
        alertname=DiskFull
    </td>
  </tr>
  <tr style="{CELL}">
    <td class="content-block" valign="top" style="{CELL}">
      <a href="http://47bff4f12241:9093/#/alerts?receiver=team-mail" class="btn-primary" style="{CELL}">View in Alertmanager</a>
    </td>
  </tr>
  <tr style="{CELL}">
    <td class="content-block" valign="top" style="{CELL}">
      <strong style="{CELL}">[1] {state}</strong>
    </td>
  </tr>
  <tr style="{CELL}">
    <td class="content-block" valign="top" style="{CELL}">
      <strong style="{CELL}">Labels</strong><br style="{CELL}">
      alertname = DiskFull<br style="{CELL}">instance = db-1:9100<br style="{CELL}">job = node<br style="{CELL}">severity = critical<br style="{CELL}">
      <strong style="{CELL}">Annotations</strong><br style="{CELL}">
      summary = Disk / on db-1 is 97% full &amp; rising<br style="{CELL}">
      <a href="http://prometheus:9090/graph?g0.expr=node_filesystem" style="{CELL}">Source</a><br style="{CELL}">
    </td>
  </tr>
</table>
</body>
</html>
"""
    boundary = "77828b5ea7705a91ce9738da678ad1989e5ce912701a1e102c84f1b87e38"
    headers = (
        f"Subject: {subject}\r\n"
        "To: oncall@example.org\r\n"
        "From: alertmanager@example.org\r\n"
        "Message-Id: <1795426178758511156.6416285914389818917@47bff4f12241>\r\n"
        "Date: Mon, 23 Nov 2026 09:29:38 +0000\r\n"
        f"Content-Type: multipart/alternative;  boundary={boundary}\r\n"
        "MIME-Version: 1.0\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n\r\n"
    )
    body = quopri.encodestring(html.encode("utf-8")).replace(b"\n", b"\r\n")
    return headers.encode("ascii") + body + f"\r\n--{boundary}--\r\n".encode("ascii")


# Slack


def test_slack_default_firing_title_is_firing() -> None:
    message = slack_message("[FIRING:1] HighErrorRate (api critical)", "danger")
    assert parse_slack(message).status == "firing"


def test_slack_default_resolved_title_is_resolved() -> None:
    message = slack_message("[RESOLVED] HighErrorRate (api critical)", "good")
    assert parse_slack(message).status == "resolved"


def test_slack_custom_title_takes_status_from_default_colour() -> None:
    assert parse_slack(slack_message("Errors are up", "danger")).status == "firing"
    assert parse_slack(slack_message("Errors are down", "good")).status == "resolved"


def test_slack_custom_title_and_custom_colour_is_unknown() -> None:
    assert parse_slack(slack_message("Errors", "#ff8800")).status == "unknown"


def test_slack_default_title_alone_is_unattributed_not_guessed() -> None:
    notification = parse_slack(slack_message("[FIRING:1] HighErrorRate (api critical)", "danger"))
    assert (notification.alerts, notification.attributed) == ((), False)


def test_slack_alerts_come_from_the_carrier_in_callback_id() -> None:
    message = slack_message("[FIRING:1] api", "danger")
    message["attachments"][0]["callback_id"] = (
        "harness-alerts/1 firing?alertname=HighErrorRate&job=api resolved?alertname=HighLatency&job=api"
    )
    notification = parse_slack(message)
    assert [(a.name, a.status) for a in notification.alerts] == [
        ("HighErrorRate", "firing"),
        ("HighLatency", "resolved"),
    ]
    assert notification.attributed


def test_slack_callback_id_that_is_not_the_carrier_is_unattributed() -> None:
    message = slack_message("[FIRING:1] api", "danger")
    message["attachments"][0]["callback_id"] = "alertname=HighErrorRate"
    assert parse_slack(message).attributed is False


def test_slack_text_holds_title_and_attachment_text() -> None:
    message = slack_message("[FIRING:1] HighErrorRate (api)", "danger", text="Error rate above 5%")
    assert parse_slack(message).text == "[FIRING:1] HighErrorRate (api)\nError rate above 5%"




# PagerDuty Events v2


def test_pagerduty_trigger_is_firing() -> None:
    event = pagerduty_v2_event(
        "trigger", "[FIRING:1] HighErrorRate (api critical)", DETAILS_HIGH_ERROR_RATE, ""
    )
    assert parse_pagerduty_v2(event).status == "firing"


def test_pagerduty_resolve_is_resolved() -> None:
    event = pagerduty_v2_event(
        "resolve", "[RESOLVED] HighErrorRate (api critical)", "", DETAILS_HIGH_ERROR_RATE
    )
    assert parse_pagerduty_v2(event).status == "resolved"


def test_pagerduty_acknowledge_is_unknown() -> None:
    event = pagerduty_v2_event(
        "acknowledge", "[FIRING:1] HighErrorRate", DETAILS_HIGH_ERROR_RATE, ""
    )
    assert parse_pagerduty_v2(event).status == "unknown"


def test_pagerduty_alertnames_are_every_alert_in_custom_details() -> None:
    firing = DETAILS_HIGH_ERROR_RATE + DETAILS_HIGH_LATENCY
    event = pagerduty_v2_event("trigger", "[FIRING:2] api ", firing, "")
    assert parse_pagerduty_v2(event).alertnames == ("HighErrorRate", "HighLatency")


def test_pagerduty_resolved_event_names_alerts_from_resolved_details() -> None:
    event = pagerduty_v2_event("resolve", "[RESOLVED] api ", "", DETAILS_HIGH_LATENCY)
    assert parse_pagerduty_v2(event).alertnames == ("HighLatency",)


def test_pagerduty_text_holds_summary_and_details() -> None:
    event = pagerduty_v2_event(
        "trigger", "[FIRING:1] HighErrorRate (api critical)", DETAILS_HIGH_ERROR_RATE, ""
    )
    text = parse_pagerduty_v2(event).text
    assert text.startswith("[FIRING:1] HighErrorRate (api critical)\nfiring: Labels:\n")
    assert "summary = Error rate above 5%" in text


def test_pagerduty_raw_is_the_event_as_sent() -> None:
    event = pagerduty_v2_event("trigger", "[FIRING:1] HighErrorRate", DETAILS_HIGH_ERROR_RATE, "")
    assert parse_pagerduty_v2(event).raw == event


# PagerDuty Events v1


def test_pagerduty_v1_trigger_is_firing() -> None:
    event = pagerduty_v1_event(
        "trigger", "[FIRING:1] HighErrorRate (api critical)", DETAILS_HIGH_ERROR_RATE, ""
    )
    assert parse_pagerduty_v1(event).status == "firing"


def test_pagerduty_v1_resolve_is_resolved() -> None:
    event = pagerduty_v1_event(
        "resolve", "[RESOLVED] HighErrorRate (api critical)", "", DETAILS_HIGH_ERROR_RATE
    )
    assert parse_pagerduty_v1(event).status == "resolved"


def test_pagerduty_v1_alertnames_come_from_details() -> None:
    event = pagerduty_v1_event(
        "trigger", "[FIRING:2] api ", DETAILS_HIGH_ERROR_RATE + DETAILS_HIGH_LATENCY, ""
    )
    assert parse_pagerduty_v1(event).alertnames == ("HighErrorRate", "HighLatency")


def test_pagerduty_v1_with_custom_description_is_attributed_from_details() -> None:
    event = pagerduty_v1_event("trigger", "Database is on fire", DETAILS_HIGH_ERROR_RATE, "")
    notification = parse_pagerduty_v1(event)
    assert [(a.name, a.status) for a in notification.alerts] == [("HighErrorRate", "firing")]


def test_pagerduty_v1_without_alert_lists_is_unattributed_not_guessed_from_description() -> None:
    event = pagerduty_v1_event("trigger", "[FIRING:1] HighErrorRate (api critical)", "", "")
    event["details"] = {"note": "custom details only"}
    assert (parse_pagerduty_v1(event).alerts, parse_pagerduty_v1(event).attributed) == ((), False)


# Webhook


def test_webhook_status_is_the_group_status() -> None:
    assert parse_webhook(webhook_message("firing")).status == "firing"
    assert parse_webhook(webhook_message("resolved")).status == "resolved"


def test_webhook_alertnames_come_from_alert_labels() -> None:
    assert parse_webhook(webhook_message("firing")).alertnames == ("HighErrorRate", "HighLatency")


def test_webhook_alerts_keep_name_status_and_labels() -> None:
    first = parse_webhook(webhook_message("resolved")).alerts[0]
    assert (first.name, first.status) == ("HighErrorRate", "resolved")
    assert first.labels == {"alertname": "HighErrorRate", "job": "api", "severity": "critical"}


def test_webhook_group_with_mixed_statuses_gives_each_alert_its_own_status() -> None:
    message = webhook_message("firing")
    message["alerts"].append({**message["alerts"][0], "status": "resolved",
                              "labels": {"alertname": "DiskFull", "job": "node"}})
    message["alerts"][1]["status"] = "firing"
    statuses = [(a.name, a.status) for a in parse_webhook(message).alerts]
    assert statuses == [("HighErrorRate", "firing"), ("HighLatency", "firing"), ("DiskFull", "resolved")]


def test_webhook_text_holds_labels_and_annotations() -> None:
    text = parse_webhook(webhook_message("firing")).text
    assert "alertname = HighLatency" in text
    assert "summary = p99 slow" in text


# Email


def test_email_firing_subject_is_firing() -> None:
    data = alertmanager_email("[FIRING:1] DiskFull (db-1:9100 node critical)", "Firing")
    assert parse_email(data).status == "firing"


def test_email_resolved_subject_is_resolved() -> None:
    data = alertmanager_email("[RESOLVED] DiskFull (db-1:9100 node critical)", "Resolved")
    assert parse_email(data).status == "resolved"


def test_email_alerts_come_from_the_default_html_body_sections() -> None:
    alerts = parse_email(alertmanager_email("Disk alert", "Firing")).alerts
    assert [(a.name, a.status) for a in alerts] == [("DiskFull", "firing")]
    assert alerts[0].labels == {
        "alertname": "DiskFull", "instance": "db-1:9100", "job": "node", "severity": "critical"
    }


def test_email_alerts_come_from_the_carrier_header_first() -> None:
    data = (
        b"Subject: custom\r\nX-Harness-Alerts: harness-alerts/1 resolved?alertname=QueueBacklog\r\n"
        b"Content-Type: text/plain\r\n\r\nsomething about QueueBacklog\r\n"
    )
    assert [(a.name, a.status) for a in parse_email(data).alerts] == [("QueueBacklog", "resolved")]


def test_email_text_is_subject_and_visible_body_without_markup() -> None:
    text = parse_email(alertmanager_email("[FIRING:1] DiskFull (db-1:9100)", "Firing")).text
    assert text.startswith("[FIRING:1] DiskFull (db-1:9100)\n")
    assert "summary = Disk / on db-1 is 97% full & rising" in text
    assert "font-family" not in text
    assert "@media" not in text
    assert "<br" not in text


def test_email_raw_is_subject_from_and_to() -> None:
    data = alertmanager_email("[FIRING:1] DiskFull (db-1:9100 node critical)", "Firing")
    assert parse_email(data).raw == {
        "subject": "[FIRING:1] DiskFull (db-1:9100 node critical)",
        "from": "alertmanager@example.org",
        "to": "oncall@example.org",
    }


def test_email_plain_text_part_is_read_too() -> None:
    data = (
        b"Subject: [FIRING:1] QueueBacklog (worker)\r\nFrom: am@example.org\r\n"
        b"To: oncall@example.org\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        b"Labels:\r\n - alertname = QueueBacklog\r\n"
    )
    assert "- alertname = QueueBacklog" in parse_email(data).text


def test_email_whose_body_names_an_alert_in_free_text_is_unattributed() -> None:
    data = (
        b"Subject: QueueBacklog is bad\r\nContent-Type: text/plain\r\n\r\n"
        b"alertname = QueueBacklog\r\n"
    )
    assert parse_email(data).attributed is False


# Shared pieces


def test_alertname_in_a_promql_matcher_is_not_taken_for_a_label_line() -> None:
    event = pagerduty_v2_event("trigger", "custom", 'expr: ALERTS{alertname="Other"}', "")
    assert parse_pagerduty_v2(event).alertnames == ()


def test_html_to_text_drops_styles_and_keeps_one_line_per_block() -> None:
    html = "<head><style>td { color: red }</style></head><td>a = 1<br>b = 2</td>"
    assert html_to_text(html) == "a = 1\nb = 2"


def test_basic_auth_username_is_the_receiver() -> None:
    header = "Basic " + base64.b64encode(b"team-pd-v1:secret").decode()
    assert basic_auth_username(header) == "team-pd-v1"


def test_basic_auth_username_is_none_without_basic_credentials() -> None:
    assert basic_auth_username(None) is None
    assert basic_auth_username("Bearer abc") is None
    assert basic_auth_username("Basic not-base64!") is None


def test_body_that_is_not_an_object_says_what_was_expected() -> None:
    expected = r"expected a Slack incoming-webhook message .* got a JSON array"
    with pytest.raises(PayloadError, match=expected):
        parse_slack([])


# Control: the behaviour request


def test_behaviour_request_reads_kind_status_and_delay() -> None:
    kind, behaviour = parse_behaviour_request(
        {"kind": "slack", "status_code": 503, "delay_seconds": 1.5}
    )
    assert (kind, behaviour.status_code, behaviour.delay_seconds, behaviour.accepts) == (
        "slack",
        503,
        1.5,
        False,
    )


def test_behaviour_request_with_unknown_kind_names_the_kinds() -> None:
    with pytest.raises(BehaviourError, match=r"kind must be one of \['slack', .*'\*'\], got 'sms'"):
        parse_behaviour_request({"kind": "sms", "status_code": 503})


def test_behaviour_request_with_misspelt_field_names_the_fields() -> None:
    with pytest.raises(BehaviourError, match=r"unknown field\(s\) \['status'\]"):
        parse_behaviour_request({"kind": "slack", "status": 503})


def test_behaviour_request_with_status_out_of_range_says_the_range() -> None:
    with pytest.raises(BehaviourError, match=r"within 100\.\.599, got 42"):
        parse_behaviour_request({"kind": "email", "status_code": 42})


def test_behaviour_request_with_negative_delay_says_the_range() -> None:
    with pytest.raises(BehaviourError, match=r"delay_seconds must be within 0\.\.3600, got -1"):
        parse_behaviour_request({"kind": "*", "delay_seconds": -1})
