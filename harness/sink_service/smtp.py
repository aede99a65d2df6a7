"""The SMTP side of the sink: records each email, naming the receiver by the EHLO host name.

The harness sets each email receiver's `hello` to the receiver's name, so the host name the
client greets with says which receiver sent the message.

A failing behaviour refuses the sender (`MAIL FROM`) with 451, before any content is sent:
Alertmanager 0.25 ignores the reply to the message data, so a refusal there would look like
success to it and it would never retry. The record of a refused attempt therefore has no
subject, text or alert names, only the sender.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from .behaviour import Behaviours, answer_delay
from .parsing import Notification, parse_email
from .records import DeliveryStore

log = logging.getLogger("sink.smtp")


class DeliveryHandler:
    """aiosmtpd handler: every message, and every refused attempt, ends as an `email` Delivery."""

    def __init__(self, store: DeliveryStore, behaviours: Behaviours) -> None:
        self._store = store
        self._behaviours = behaviours

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        behaviour = self._behaviours.for_kind("email")
        if behaviour.accepts:
            envelope.mail_from = address  # type: ignore[assignment]  # aiosmtpd 1.4 says None
            envelope.mail_options.extend(mail_options)
            return "250 OK"
        unread = Notification(
            status="unknown",
            alertnames=(),
            alerts=(),
            text="",
            raw={"subject": "", "from": address, "to": ""},
        )
        delivery = self._store.record("email", session.host_name or None, unread, accepted=False)
        log.info(delivery.summary())
        await answer_delay(behaviour)
        return f"451 4.3.0 sink behaviour for email: temporary failure ({behaviour.status_code})"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        data = content.encode("utf-8") if isinstance(content, str) else content or b""
        delivery = self._store.record(
            "email", session.host_name or None, parse_email(data), accepted=True
        )
        log.info(delivery.summary())
        await answer_delay(self._behaviours.for_kind("email"))
        return "250 2.0.0 OK: recorded"


def protocol_factory(handler: DeliveryHandler, tls: ssl.SSLContext) -> Callable[[], SMTP]:
    """A factory for `loop.create_server`: STARTTLS offered, AUTH PLAIN with any login accepted.

    Alertmanager logs in whenever the server offers AUTH and the receiver has an auth_username;
    its LOGIN client rejects aiosmtpd's prompts (`User Name`), so only PLAIN is offered.
    """

    def accept_any_login(mechanism: str, login: bytes, password: bytes) -> bool:
        return True

    def make() -> SMTP:
        return SMTP(
            handler,
            hostname="sink",
            ident="notification sink",
            tls_context=tls,
            auth_callback=accept_any_login,
            auth_exclude_mechanism=["LOGIN"],
        )

    return make
