"""The sink service in its real image: every kind of delivery recorded under the right receiver,
what the real service would refuse answered as it would and recorded as refused, simulated outages
answered and recorded as refused, and the record cleared on request.

Builds compose/images/sink/Dockerfile on `harness/base:bookworm` and runs one container for the
module, its ports published on 127.0.0.1 only.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LABELS = engine.run_labels("test-sink")
V1_PATH = "/generic/2010-04-15/create_event.json"
ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
SERVICE_KEY = "5b2c9f1a7d3e4b60a8c1f2e3d4b5a697"
SLACK_HOOK = "hooks.slack.com/services/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"


@dataclass(frozen=True)
class Sink:
    http: str
    https: str
    https_port: int
    smtp_port: int

    def deliveries(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.http}/deliveries")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records


def wait_until_healthy(url: str, container: Any, timeout: float = 20.0) -> None:
    """Poll `url` until it answers 200, the container exits, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code} {response.text!r}"
        except httpx.TransportError as error:
            last = repr(error)
        container.reload()
        if container.status == "exited":
            last = f"container exited with {container.attrs['State']['ExitCode']}"
            break
        time.sleep(0.2)
    logs = container.logs(tail=30).decode("utf-8", "replace")
    pytest.fail(
        f"sink not healthy at {url} within {timeout} s (last: {last}).\n"
        f"Container logs:\n{logs}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def sink(stack_images: dict[str, str]) -> Iterator[Sink]:
    import docker
    import docker.errors

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine answers ({error}). Hint: scripts/setup starts one.", pytrace=False)
    container = client.containers.run(
        stack_images["sink"],
        detach=True,
        labels=LABELS,
        ports={
            "8080/tcp": ("127.0.0.1", None),
            "443/tcp": ("127.0.0.1", None),
            "2525/tcp": ("127.0.0.1", None),
        },
    )
    try:
        container.reload()
        ports = container.attrs["NetworkSettings"]["Ports"]

        def published(port: str) -> int:
            return int(ports[port][0]["HostPort"])

        http = f"http://127.0.0.1:{published('8080/tcp')}"
        wait_until_healthy(f"{http}/healthz", container)
        yield Sink(
            http=http,
            https=f"https://127.0.0.1:{published('443/tcp')}",
            https_port=published("443/tcp"),
            smtp_port=published("2525/tcp"),
        )
    finally:
        container.remove(force=True)


@pytest.fixture(autouse=True)
def clean_sink(sink: Sink) -> Iterator[None]:
    yield
    httpx.delete(f"{sink.http}/deliveries")
    httpx.delete(f"{sink.http}/control/behaviour")


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def slack_message(title: str, color: str, carrier: str = "") -> dict[str, Any]:
    attachment = {"title": title, "text": "", "fallback": title, "color": color, "callback_id": carrier}
    return {"channel": "#alerts", "username": "Alertmanager", "attachments": [attachment]}


def pagerduty_details(alertname: str) -> dict[str, str]:
    labels = f"Labels:\n - alertname = {alertname}\n - job = api\n"
    return {"firing": labels, "num_firing": "1", "num_resolved": "0", "resolved": ""}


def email_message(subject: str, alertname: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "alertmanager@example.org"
    message["To"] = "oncall@example.org"
    message.set_content(
        f"<html><body><strong>[1] Firing</strong><br><strong>Labels</strong><br>"
        f"alertname = {alertname}<br>job = node<br></body></html>",
        subtype="html",
    )
    return message


def test_slack_delivery_is_recorded_for_its_receiver(sink: Sink) -> None:
    carrier = "harness-alerts/1 firing?alertname=HighErrorRate&job=api"
    message = slack_message("[FIRING:1] HighErrorRate (api critical)", "danger", carrier)
    response = httpx.post(f"{sink.http}/slack/team-slack/{SLACK_HOOK}", json=message)
    assert (response.status_code, response.text) == (200, "ok")
    [delivery] = sink.deliveries()
    assert delivery["kind"] == "slack"
    assert delivery["receiver"] == "team-slack"
    assert delivery["status"] == "firing"
    assert delivery["accepted"] is True
    assert delivery["alertnames"] == ["HighErrorRate"]
    assert delivery["raw"] == message


def test_pagerduty_v2_event_is_recorded_and_answered_like_pagerduty(sink: Sink) -> None:
    event = {
        "routing_key": ROUTING_KEY,
        "dedup_key": "8058c3e4",
        "event_action": "resolve",
        "payload": {
            "summary": "[RESOLVED] HighLatency (api)",
            "source": "Alertmanager",
            "severity": "error",
            "custom_details": pagerduty_details("HighLatency"),
        },
    }
    response = httpx.post(f"{sink.http}/pagerduty/team-pd", json=event)
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "8058c3e4",
    }
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["status"]) == (
        "pagerduty",
        "team-pd",
        "resolved",
    )
    assert delivery["alertnames"] == ["HighLatency"]


def test_pagerduty_v1_event_over_https_takes_receiver_from_basic_auth(sink: Sink) -> None:
    event = {
        "service_key": SERVICE_KEY,
        "incident_key": "8058c3e4",
        "event_type": "trigger",
        "description": "[FIRING:1] HighErrorRate (api critical)",
        "details": pagerduty_details("HighErrorRate"),
    }
    response = httpx.post(
        f"{sink.https}{V1_PATH}", json=event, auth=("team-pd-v1", "x"), verify=unverified_tls()
    )
    assert response.status_code == 200
    assert response.json()["incident_key"] == "8058c3e4"
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["status"]) == (
        "pagerduty_v1",
        "team-pd-v1",
        "firing",
    )
    assert delivery["alertnames"] == ["HighErrorRate"]


def test_pagerduty_v1_endpoint_also_answers_on_plain_http_without_receiver(sink: Sink) -> None:
    event = {"service_key": SERVICE_KEY, "incident_key": "k", "event_type": "resolve", "description": ""}
    response = httpx.post(f"{sink.http}{V1_PATH}", json=event)
    assert response.status_code == 200
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["status"]) == (
        "pagerduty_v1",
        None,
        "resolved",
    )


def test_https_certificate_is_valid_for_events_pagerduty_com(sink: Sink) -> None:
    pem = ssl.get_server_certificate(("127.0.0.1", sink.https_port))
    context = ssl.create_default_context(cadata=pem)
    with socket.create_connection(("127.0.0.1", sink.https_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="events.pagerduty.com") as tls:
            assert tls.version() is not None


def test_webhook_delivery_keeps_its_alerts(sink: Sink) -> None:
    message = {
        "receiver": "team-web",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighErrorRate", "job": "api"},
                "annotations": {"summary": "Error rate above 5%"},
                "startsAt": "2026-11-23T09:28:53.821Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "d8da8f2e9952176d",
            }
        ],
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "job": "api"},
        "groupKey": '{}:{alertname="HighErrorRate"}',
    }
    response = httpx.post(f"{sink.http}/webhook/team-web", json=message)
    assert response.status_code == 200
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["status"]) == (
        "webhook",
        "team-web",
        "firing",
    )
    assert delivery["alerts"] == [
        {"name": "HighErrorRate", "status": "firing", "labels": {"alertname": "HighErrorRate", "job": "api"}}
    ]
    assert delivery["attributed"] is True


def test_email_over_starttls_takes_receiver_from_ehlo_name(sink: Sink) -> None:
    message = email_message("[RESOLVED] DiskFull (db-1:9100 node)", "DiskFull")
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, local_hostname="team-mail", timeout=10) as smtp:
        smtp.starttls(context=unverified_tls())
        smtp.send_message(message)
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["status"]) == (
        "email",
        "team-mail",
        "resolved",
    )
    assert delivery["alertnames"] == ["DiskFull"]
    assert delivery["raw"] == {
        "subject": "[RESOLVED] DiskFull (db-1:9100 node)",
        "from": "alertmanager@example.org",
        "to": "oncall@example.org",
    }


def test_failing_behaviour_answers_its_status_and_records_the_delivery_refused(
    sink: Sink,
) -> None:
    behaviour = {"kind": "slack", "status_code": 503, "delay_seconds": 0.0}
    assert httpx.put(f"{sink.http}/control/behaviour", json=behaviour).status_code == 200
    message = slack_message("[FIRING:1] HighErrorRate (api critical)", "danger")
    response = httpx.post(f"{sink.http}/slack/team-slack", json=message)
    assert response.status_code == 503
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["status"], delivery["accepted"]) == (
        "team-slack",
        "firing",
        False,
    )


def test_failing_behaviour_leaves_other_kinds_accepting(sink: Sink) -> None:
    behaviour = {"kind": "slack", "status_code": 503}
    httpx.put(f"{sink.http}/control/behaviour", json=behaviour)
    response = httpx.post(f"{sink.http}/webhook/team-web", json={"status": "firing", "alerts": []})
    assert response.status_code == 200
    assert [d["accepted"] for d in sink.deliveries()] == [True]


def test_failing_email_behaviour_refuses_the_sender_with_451(sink: Sink) -> None:
    httpx.put(f"{sink.http}/control/behaviour", json={"kind": "*", "status_code": 503})
    message = email_message("[FIRING:1] DiskFull (db-1:9100 node)", "DiskFull")
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, local_hostname="team-mail", timeout=10) as smtp:
        smtp.starttls(context=unverified_tls())
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.send_message(message)
    assert refused.value.smtp_code == 451
    [delivery] = sink.deliveries()
    assert (delivery["kind"], delivery["receiver"], delivery["accepted"]) == (
        "email",
        "team-mail",
        False,
    )


def test_delay_behaviour_holds_the_answer_back(sink: Sink) -> None:
    behaviour = {"kind": "webhook", "status_code": 200, "delay_seconds": 0.5}
    httpx.put(f"{sink.http}/control/behaviour", json=behaviour)
    started = time.monotonic()
    response = httpx.post(f"{sink.http}/webhook/team-web", json={"status": "firing", "alerts": []})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.5
    assert [d["accepted"] for d in sink.deliveries()] == [True]


def test_behaviour_is_shown_and_reset(sink: Sink) -> None:
    httpx.put(f"{sink.http}/control/behaviour", json={"kind": "email", "status_code": 503})
    shown = httpx.get(f"{sink.http}/control/behaviour").json()
    assert shown == {"email": {"status_code": 503, "delay_seconds": 0.0}}
    httpx.delete(f"{sink.http}/control/behaviour")
    assert httpx.get(f"{sink.http}/control/behaviour").json() == {}


def test_behaviour_with_unknown_kind_is_refused_with_the_reason(sink: Sink) -> None:
    response = httpx.put(f"{sink.http}/control/behaviour", json={"kind": "sms", "status_code": 503})
    assert response.status_code == 422
    assert "kind must be one of" in response.json()["message"]


def test_slack_delivery_that_is_not_json_is_answered_invalid_payload_and_recorded_unparsed(sink: Sink) -> None:
    response = httpx.post(f"{sink.http}/slack/team-slack/{SLACK_HOOK}", content=b"not json")
    assert (response.status_code, response.text) == (400, "invalid_payload")
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["parsed"], delivery["accepted"]) == ("team-slack", False, False)
    assert delivery["raw"]["body"] == "not json"
    assert "body is not JSON" in delivery["refusal"]


def test_pagerduty_event_with_a_placeholder_key_is_refused_like_pagerduty_and_recorded(sink: Sink) -> None:
    event = {
        "routing_key": "${PAGERDUTY_KEY}",
        "dedup_key": "8058c3e4",
        "event_action": "trigger",
        "payload": {"summary": "[FIRING:1] HighErrorRate", "source": "Alertmanager", "severity": "critical",
                    "custom_details": pagerduty_details("HighErrorRate")},
    }
    response = httpx.post(f"{sink.http}/pagerduty/team-pd", json=event)
    assert response.status_code == 400
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    }
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["accepted"], delivery["alertnames"]) == ("team-pd", False, ["HighErrorRate"])
    assert "'${PAGERDUTY_KEY}' looks like an unfilled placeholder" in delivery["refusal"]


def test_slack_webhook_with_the_docs_placeholder_url_is_answered_no_service(sink: Sink) -> None:
    placeholder = "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    message = slack_message("[FIRING:1] HighErrorRate (api critical)", "danger")
    response = httpx.post(f"{sink.http}/slack/team-slack/{placeholder}", json=message)
    assert (response.status_code, response.text) == (404, "no_service")
    [delivery] = sink.deliveries()
    assert delivery["accepted"] is False and "no_service" in delivery["refusal"]


def test_email_receiver_that_must_log_in_but_does_not_is_refused_with_530_and_recorded(sink: Sink) -> None:
    message = email_message("[FIRING:1] DiskFull (db-1:9100 node)", "DiskFull")
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, local_hostname="smtp-auth.team-mail", timeout=10) as smtp:
        smtp.starttls(context=unverified_tls())
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.send_message(message)
    assert refused.value.smtp_code == 530
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["accepted"]) == ("team-mail", False)
    assert "530 5.7.0 Authentication required" in delivery["refusal"]


def test_email_login_with_a_placeholder_password_is_refused_with_535_and_recorded(sink: Sink) -> None:
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, local_hostname="smtp-auth.team-mail", timeout=10) as smtp:
        smtp.starttls(context=unverified_tls())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.login("alertmanager", "changeme")
    assert refused.value.smtp_code == 535
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["accepted"]) == ("team-mail", False)
    assert "'changeme' looks like an unfilled placeholder" in delivery["refusal"]


def test_email_receiver_that_logs_in_is_recorded_accepted(sink: Sink) -> None:
    message = email_message("[FIRING:1] DiskFull (db-1:9100 node)", "DiskFull")
    with smtplib.SMTP("127.0.0.1", sink.smtp_port, local_hostname="smtp-auth.team-mail", timeout=10) as smtp:
        smtp.starttls(context=unverified_tls())
        smtp.login("alertmanager", "Tr0ub4dor-and-3")
        smtp.send_message(message)
    [delivery] = sink.deliveries()
    assert (delivery["receiver"], delivery["accepted"], delivery["alertnames"]) == ("team-mail", True, ["DiskFull"])


def test_delete_clears_deliveries_and_ids_keep_counting(sink: Sink) -> None:
    message = slack_message("[FIRING:1] HighErrorRate (api critical)", "danger")  # no hook path: not checked
    httpx.post(f"{sink.http}/slack/team-slack", json=message)
    [before] = sink.deliveries()
    assert httpx.delete(f"{sink.http}/deliveries").json() == {"cleared": 1}
    assert sink.deliveries() == []
    httpx.post(f"{sink.http}/slack/team-slack", json=message)
    [after] = sink.deliveries()
    assert after["id"] > before["id"]


def test_deliveries_are_listed_oldest_first(sink: Sink) -> None:
    for receiver in ("first", "second", "third"):
        httpx.post(f"{sink.http}/webhook/{receiver}", json={"status": "firing", "alerts": []})
    deliveries = sink.deliveries()
    assert [d["receiver"] for d in deliveries] == ["first", "second", "third"]
    assert [d["received_at"] for d in deliveries] == sorted(d["received_at"] for d in deliveries)
