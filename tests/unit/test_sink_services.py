"""The sink answers as the real services do: what PagerDuty (Events v1, v2) and Slack would refuse, it
refuses with their answer, and records the refusal; what it cannot read it records too.

Bad payloads are named after their defect. Valid keys are made up but have the real shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.sink_service.behaviour import NORMAL, Behaviour
from harness.sink_service.intake import PAGERDUTY, PAGERDUTY_V1, SLACK, WEBHOOK, receive
from harness.sink_service.parsing import parse_pagerduty_v2
from harness.sink_service.records import DeliveryStore
from harness.sink_service.services import (
    check_pagerduty_v1,
    check_pagerduty_v2,
    check_slack,
    check_smtp_password,
    placeholder,
)
from harness.sinks import DeliveredAlert, Delivery

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
SERVICE_KEY = "5b2c9f1a7d3e4b60a8c1f2e3d4b5a697"
SLACK_HOOK = "hooks.slack.com/services/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"
FIRING_TWO = (
    "Labels:\n - alertname = HighErrorRate\n - service = api\nAnnotations:\n - summary = errors\n"
    "Source: http://prometheus:9090/graph\n"
    "Labels:\n - alertname = HighLatency\n - service = api\nAnnotations:\nSource: \n"
)
RESOLVED_ONE = "Labels:\n - alertname = DiskFull\n - service = api\nAnnotations:\nSource: \n"


def pagerduty_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": ROUTING_KEY,
        "dedup_key": "8058c3e41259c51b5a8bb30a28fc7a456cc1826c0b947ce83361c928ce50236b",
        "event_action": "trigger",
        "payload": {
            "summary": "[FIRING:2] api",
            "source": "Alertmanager",
            "severity": "critical",
            "custom_details": {"firing": FIRING_TWO, "resolved": RESOLVED_ONE,
                               "num_firing": "2", "num_resolved": "1"},
        },
        "client": "Alertmanager",
    }
    event.update(changes)
    return event


def pagerduty_payload(**changes: Any) -> dict[str, Any]:
    return pagerduty_event(payload={**pagerduty_event()["payload"], **changes})


def v1_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "service_key": SERVICE_KEY,
        "incident_key": "8058c3e41259c51b",
        "event_type": "trigger",
        "description": "[FIRING:1] HighErrorRate",
        "details": {"firing": FIRING_TWO, "resolved": "", "num_firing": "2", "num_resolved": "0"},
    }
    event.update(changes)
    return event


SLACK_MESSAGE = {"channel": "#alerts", "attachments": [{"title": "[FIRING:1] HighErrorRate"}]}


def body(value: object) -> bytes:
    return json.dumps(value).encode()


# PagerDuty Events v2: what the real API refuses

ROUTING_KEY_PLACEHOLDER_ENV = pagerduty_event(routing_key="${PAGERDUTY_KEY}")
ROUTING_KEY_PLACEHOLDER_ANGLE = pagerduty_event(routing_key="<your-routing-key>")
ROUTING_KEY_CHANGEME = pagerduty_event(routing_key="changeme")
ROUTING_KEY_XXXX_OF_RIGHT_LENGTH = pagerduty_event(routing_key="X" * 32)
ROUTING_KEY_MISSING = {k: v for k, v in pagerduty_event().items() if k != "routing_key"}
ROUTING_KEY_TOO_SHORT = pagerduty_event(routing_key="rk-123")
ROUTING_KEY_WITH_PUNCTUATION = pagerduty_event(routing_key="e93facc0-4764-012d-7bfb-002500d5d1")
EVENT_ACTION_UNKNOWN = pagerduty_event(event_action="fire")
TRIGGER_WITHOUT_SUMMARY = pagerduty_payload(summary="")
TRIGGER_WITHOUT_SOURCE = pagerduty_payload(source="")
TRIGGER_WITH_SEVERITY_PAGE = pagerduty_payload(severity="page")
TRIGGER_WITHOUT_PAYLOAD = pagerduty_event(payload=None)


@pytest.mark.parametrize(
    ("event", "error"),
    [
        pytest.param(ROUTING_KEY_MISSING, "'routing_key' is missing or blank", id="routing-key-missing"),
        pytest.param(ROUTING_KEY_TOO_SHORT,
                     "Length of 'routing_key' is incorrect (should be 32 characters)", id="too-short"),
        pytest.param(ROUTING_KEY_WITH_PUNCTUATION,
                     "Length of 'routing_key' is incorrect (should be 32 characters)", id="punctuation"),
        pytest.param(EVENT_ACTION_UNKNOWN,
                     "'event_action' is invalid (must be one of trigger, acknowledge, resolve)",
                     id="event-action-unknown"),
        pytest.param(TRIGGER_WITHOUT_SUMMARY, "'payload.summary' is missing or blank", id="no-summary"),
        pytest.param(TRIGGER_WITHOUT_SOURCE, "'payload.source' is missing or blank", id="no-source"),
        pytest.param(TRIGGER_WITH_SEVERITY_PAGE,
                     "'payload.severity' is invalid (must be one of critical, error, warning, info; "
                     "got 'page')", id="severity-page"),
        pytest.param(TRIGGER_WITHOUT_PAYLOAD, "'payload' is missing or not an object", id="no-payload"),
    ],
)
def test_pagerduty_v2_refuses_with_the_real_apis_400_body(event: dict[str, Any], error: str) -> None:
    refusal = check_pagerduty_v2(event)
    assert refusal is not None
    assert refusal.status_code == 400
    assert refusal.body == {
        "status": "invalid event", "message": "Event object is invalid", "errors": [error]
    }
    assert error in refusal.reason


@pytest.mark.parametrize(
    ("event", "named"),
    [
        pytest.param(ROUTING_KEY_PLACEHOLDER_ENV, "'${PAGERDUTY_KEY}' looks like an unfilled placeholder",
                     id="env-var"),
        pytest.param(ROUTING_KEY_PLACEHOLDER_ANGLE, "'<your-routing-key>' looks like an unfilled placeholder",
                     id="angle-brackets"),
        pytest.param(ROUTING_KEY_CHANGEME, "'changeme' looks like an unfilled placeholder", id="changeme"),
        pytest.param(ROUTING_KEY_XXXX_OF_RIGHT_LENGTH, "looks like an unfilled placeholder (a run of X",
                     id="xxxx-32-long"),
    ],
)
def test_pagerduty_v2_refusal_of_a_placeholder_key_names_it(event: dict[str, Any], named: str) -> None:
    refusal = check_pagerduty_v2(event)
    assert refusal is not None and refusal.status_code == 400
    assert named in refusal.reason


def test_pagerduty_v2_accepts_a_real_shaped_trigger_and_resolve() -> None:
    assert check_pagerduty_v2(pagerduty_event()) is None
    assert check_pagerduty_v2(pagerduty_event(event_action="resolve", payload=None)) is None


def test_pagerduty_v2_event_orchestration_key_with_capitals_is_accepted() -> None:
    assert check_pagerduty_v2(pagerduty_event(routing_key="R02EAB3RQZGR6VDYPWMPK9OV8EZ5NTQ4")) is None


def test_pagerduty_v2_resolve_without_dedup_key_is_refused() -> None:
    refusal = check_pagerduty_v2(pagerduty_event(event_action="resolve", dedup_key=""))
    assert refusal is not None and "'dedup_key' is required to resolve an alert" in refusal.reason


# PagerDuty Events v1

SERVICE_KEY_PLACEHOLDER = v1_event(service_key="${PD_SERVICE_KEY}")
SERVICE_KEY_TOO_SHORT = v1_event(service_key="sk-456")
EVENT_TYPE_UNKNOWN = v1_event(event_type="alert")
TRIGGER_WITHOUT_DESCRIPTION = v1_event(description="")
RESOLVE_WITHOUT_INCIDENT_KEY = v1_event(event_type="resolve", incident_key="")


@pytest.mark.parametrize(
    ("event", "error"),
    [
        pytest.param(SERVICE_KEY_PLACEHOLDER,
                     "Length of 'service_key' is incorrect (should be 32 characters)", id="placeholder"),
        pytest.param(SERVICE_KEY_TOO_SHORT,
                     "Length of 'service_key' is incorrect (should be 32 characters)", id="too-short"),
        pytest.param(EVENT_TYPE_UNKNOWN,
                     "'event_type' is invalid (must be one of trigger, acknowledge, resolve)", id="type"),
        pytest.param(TRIGGER_WITHOUT_DESCRIPTION, "'description' is required to trigger an incident",
                     id="no-description"),
        pytest.param(RESOLVE_WITHOUT_INCIDENT_KEY, "'incident_key' is required to resolve an incident",
                     id="resolve-without-incident-key"),
    ],
)
def test_pagerduty_v1_refuses_with_the_real_apis_400_body(event: dict[str, Any], error: str) -> None:
    refusal = check_pagerduty_v1(event)
    assert refusal is not None and refusal.status_code == 400
    assert refusal.body == {
        "status": "invalid event", "message": "Event object is invalid", "errors": [error]
    }


def test_pagerduty_v1_refusal_of_a_placeholder_service_key_names_it() -> None:
    refusal = check_pagerduty_v1(SERVICE_KEY_PLACEHOLDER)
    assert refusal is not None and "'${PD_SERVICE_KEY}' looks like an unfilled placeholder" in refusal.reason


def test_pagerduty_v1_accepts_a_real_shaped_trigger() -> None:
    assert check_pagerduty_v1(v1_event()) is None


# Slack incoming webhooks

SLACK_DOCS_PLACEHOLDER_URL = "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
SLACK_URL_NOT_A_WEBHOOK = "hooks.slack.com/x"
SLACK_SECRET_TOO_SHORT = "hooks.slack.com/services/T024BE7LD/B08ACQ7QZ5L/abc"
OTHER_HOST_WITH_ENV_PLACEHOLDER = "chat.example.org/hooks/${MATTERMOST_HOOK}"
SLACK_MESSAGE_WITHOUT_TEXT = {"channel": "#alerts", "attachments": []}


@pytest.mark.parametrize(
    "original",
    [
        pytest.param(SLACK_URL_NOT_A_WEBHOOK, id="not-a-webhook-path"),
        pytest.param(SLACK_SECRET_TOO_SHORT, id="secret-too-short"),
        pytest.param(SLACK_DOCS_PLACEHOLDER_URL, id="docs-placeholder"),
        pytest.param(OTHER_HOST_WITH_ENV_PLACEHOLDER, id="other-host-placeholder"),
    ],
)
def test_slack_refuses_an_unknown_webhook_with_404_no_service(original: str) -> None:
    refusal = check_slack(original, SLACK_MESSAGE)
    assert refusal is not None
    assert (refusal.status_code, refusal.body) == (404, "no_service")


def test_slack_refusal_of_the_docs_placeholder_url_names_the_placeholder() -> None:
    refusal = check_slack(SLACK_DOCS_PLACEHOLDER_URL, SLACK_MESSAGE)
    assert refusal is not None and "'T00000000' looks like an unfilled placeholder" in refusal.reason


def test_slack_refuses_a_message_without_text_blocks_or_attachments_with_400_no_text() -> None:
    refusal = check_slack(SLACK_HOOK, SLACK_MESSAGE_WITHOUT_TEXT)
    assert refusal is not None and (refusal.status_code, refusal.body) == (400, "no_text")


def test_slack_accepts_a_real_shaped_webhook_with_attachments_text_or_blocks() -> None:
    assert check_slack(SLACK_HOOK, SLACK_MESSAGE) is None
    assert check_slack(SLACK_HOOK, {"text": "hello"}) is None
    assert check_slack(SLACK_HOOK, {"blocks": [{"type": "section"}]}) is None


def test_slack_compatible_service_on_another_host_is_not_held_to_slacks_path_shape() -> None:
    assert check_slack("chat.example.org/hooks/k3j5h2g7f8d9s0a1q2w3e4r5t6", SLACK_MESSAGE) is None


def test_slack_webhook_from_a_file_is_checked_for_its_body_only() -> None:
    assert check_slack(None, SLACK_MESSAGE) is None


# Placeholders and SMTP passwords


@pytest.mark.parametrize(
    "value", ["${PAGERDUTY_KEY}", "$PAGERDUTY_KEY", "<your-key>", "changeme", "CHANGE_ME", "XXXX",
              "your_routing_key", "{{ .Values.key }}", "00000000000000000000000000000000"],
)
def test_placeholder_is_recognised(value: str) -> None:
    assert placeholder(value) is not None


@pytest.mark.parametrize(
    "value", [ROUTING_KEY, SERVICE_KEY, "0123456789abcdef0123456789abcdef", "hV3qPz8Rk2WmX7nY4tLs9JbC"],
)
def test_real_shaped_secret_is_not_a_placeholder(value: str) -> None:
    assert placeholder(value) is None


def test_smtp_password_empty_or_placeholder_is_refused_and_a_real_one_is_not() -> None:
    assert check_smtp_password("") == "empty password"
    assert "looks like an unfilled placeholder" in (check_smtp_password("${SMTP_PASSWORD}") or "")
    assert check_smtp_password("Tr0ub4dor-and-3") is None


# Intake: every request ends in the record, answered as the real service would


def test_refused_pagerduty_event_is_recorded_with_accepted_false_and_its_refusal() -> None:
    store = DeliveryStore(clock=lambda: 1.0)
    delivery, answer = receive(store, PAGERDUTY, "pd", body(ROUTING_KEY_PLACEHOLDER_ENV), NORMAL)
    assert answer.status_code == 400
    assert answer.body == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    }
    assert store.all() == [delivery]
    assert delivery.accepted is False
    assert delivery.refusal is not None and "${PAGERDUTY_KEY}" in delivery.refusal
    assert [a.name for a in delivery.alerts] == ["HighErrorRate", "HighLatency", "DiskFull"]


def test_accepted_pagerduty_event_is_answered_202_with_its_dedup_key() -> None:
    store = DeliveryStore()
    delivery, answer = receive(store, PAGERDUTY, "pd", body(pagerduty_event()), NORMAL)
    assert (answer.status_code, answer.body["dedup_key"]) == (202, pagerduty_event()["dedup_key"])  # type: ignore[index]
    assert (delivery.accepted, delivery.refusal) == (True, None)


def test_refused_pagerduty_v1_event_is_recorded() -> None:
    store = DeliveryStore()
    delivery, answer = receive(store, PAGERDUTY_V1, "db", body(TRIGGER_WITHOUT_DESCRIPTION), NORMAL)
    assert answer.status_code == 400
    assert delivery.accepted is False
    assert "'description' is required to trigger an incident" in (delivery.refusal or "")
    assert delivery.alertnames == ("HighErrorRate", "HighLatency")


def test_slack_refusal_is_answered_as_plain_text_and_recorded() -> None:
    store = DeliveryStore()
    delivery, answer = receive(
        store, SLACK, "s", body(SLACK_MESSAGE), NORMAL,
        check=lambda message: check_slack(SLACK_DOCS_PLACEHOLDER_URL, message),
    )
    assert (answer.status_code, answer.body) == (404, "no_service")
    assert delivery.accepted is False and "no_service" in (delivery.refusal or "")


BODY_NOT_JSON = b"routing_key=abc&event_action=trigger"
BODY_JSON_ARRAY = b"[1, 2]"


@pytest.mark.parametrize(
    ("service", "raw", "status", "answer_body"),
    [
        pytest.param(SLACK, BODY_NOT_JSON, 400, "invalid_payload", id="slack-not-json"),
        pytest.param(PAGERDUTY, BODY_NOT_JSON, 400, None, id="pagerduty-not-json"),
        pytest.param(PAGERDUTY_V1, BODY_JSON_ARRAY, 400, None, id="pagerduty-v1-array"),
        pytest.param(WEBHOOK, BODY_JSON_ARRAY, 400, None, id="webhook-array"),
    ],
)
def test_unreadable_body_is_recorded_unparsed_and_answered_as_the_service_would(
    service: Any, raw: bytes, status: int, answer_body: str | None
) -> None:
    store = DeliveryStore()
    delivery, answer = receive(store, service, "r", raw, NORMAL)
    assert answer.status_code == status
    if answer_body is not None:
        assert answer.body == answer_body
    assert store.all() == [delivery]
    assert (delivery.kind, delivery.receiver, delivery.parsed, delivery.accepted) == (
        service.kind, "r", False, False
    )
    assert delivery.raw["body"] == raw.decode()
    assert delivery.refusal
    assert delivery.attributed is False


def test_unreadable_body_is_kept_truncated() -> None:
    store = DeliveryStore()
    delivery, _ = receive(store, WEBHOOK, "r", b"x" * 10_000, NORMAL)
    assert len(delivery.raw["body"]) == 4096
    assert delivery.raw["body_bytes"] == 10_000


def test_simulated_outage_is_recorded_refused_with_its_reason_before_any_check() -> None:
    store = DeliveryStore()
    delivery, answer = receive(
        store, PAGERDUTY, "pd", body(ROUTING_KEY_PLACEHOLDER_ENV), Behaviour(status_code=503)
    )
    assert answer.status_code == 503
    assert delivery.refusal == "simulated outage (sink behaviour for pagerduty): answering 503"


# Attribution: each alert with its own status


def test_pagerduty_group_with_two_firing_and_one_resolved_gives_three_entries_with_their_statuses() -> None:
    alerts = parse_pagerduty_v2(pagerduty_event()).alerts
    assert [(a.name, a.status) for a in alerts] == [
        ("HighErrorRate", "firing"), ("HighLatency", "firing"), ("DiskFull", "resolved")
    ]
    assert alerts[0].labels == {"alertname": "HighErrorRate", "service": "api"}


def test_pagerduty_carrier_detail_wins_over_the_text_lists() -> None:
    details = {"harness_alerts": "harness-alerts/1 firing?alertname=A%20B&x=1", "firing": FIRING_TWO}
    alerts = parse_pagerduty_v2(pagerduty_payload(custom_details=details)).alerts
    assert [(a.name, a.status, a.labels) for a in alerts] == [("A B", "firing", {"alertname": "A B", "x": "1"})]


def test_pagerduty_with_custom_details_that_list_no_alerts_is_unattributed() -> None:
    notification = parse_pagerduty_v2(pagerduty_payload(custom_details={"note": "HighErrorRate"}))
    assert (notification.alerts, notification.attributed) == ((), False)


# The host's view


def test_host_delivery_reads_per_alert_entries_refusal_and_flags() -> None:
    store = DeliveryStore(clock=lambda: 5.0)
    recorded, _ = receive(store, PAGERDUTY, "pd", body(ROUTING_KEY_PLACEHOLDER_ENV), NORMAL)
    delivery = Delivery.from_json(json.loads(json.dumps(recorded.to_json())))
    assert delivery.alerts[2] == DeliveredAlert(
        name="DiskFull", status="resolved", labels=(("alertname", "DiskFull"), ("service", "api"))
    )
    assert (delivery.accepted, delivery.parsed, delivery.attributed) == (False, True, True)
    assert delivery.refusal == recorded.refusal
    assert delivery.alertnames == ("HighErrorRate", "HighLatency", "DiskFull")


def test_host_delivery_of_an_unparsed_body_is_unattributed() -> None:
    store = DeliveryStore()
    recorded, _ = receive(store, SLACK, "s", BODY_NOT_JSON, NORMAL)
    delivery = Delivery.from_json(recorded.to_json())
    assert (delivery.parsed, delivery.attributed, delivery.alerts, delivery.alertnames) == (
        False, False, (), ()
    )


def test_host_delivery_does_not_guess_alerts_from_text() -> None:
    record = {"id": 1, "received_at": 0.0, "kind": "slack", "receiver": "s", "status": "firing",
              "accepted": True, "alerts": [], "text": "HighErrorRate is firing"}
    delivery = Delivery.from_json(record)
    assert (delivery.alertnames, delivery.attributed) == ((), False)
