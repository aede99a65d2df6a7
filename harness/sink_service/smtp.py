"""The SMTP side of the sink: records each email, naming the receiver by the EHLO host name.

The harness sets each email receiver's `hello` to the receiver's name, so the host name the
client greets with says which receiver sent the message.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from .behaviour import Behaviours, answer_delay
from .parsing import parse_email
from .records import DeliveryStore

log = logging.getLogger("sink.smtp")


class DeliveryHandler:
    """aiosmtpd handler: every message ends as a Delivery of kind `email`."""

    def __init__(self, store: DeliveryStore, behaviours: Behaviours) -> None:
        self._store = store
        self._behaviours = behaviours

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        data = content.encode("utf-8") if isinstance(content, str) else content or b""
        behaviour = self._behaviours.for_kind("email")
        delivery = self._store.record(
            "email", session.host_name or None, parse_email(data), accepted=behaviour.accepts
        )
        log.info(delivery.summary())
        await answer_delay(behaviour)
        if not behaviour.accepts:
            return f"451 4.3.0 sink behaviour for email: temporary failure ({behaviour.status_code})"
        return "250 2.0.0 OK: recorded"


def protocol_factory(handler: DeliveryHandler, tls: ssl.SSLContext) -> Callable[[], SMTP]:
    """A factory for `loop.create_server`: STARTTLS offered, not required, any login accepted."""

    def accept_any_login(mechanism: str, login: bytes, password: bytes) -> bool:
        # A user's receiver may keep its auth_username; refusing it would fail the delivery.
        return True

    def make() -> SMTP:
        return SMTP(
            handler, hostname="sink", ident="notification sink", tls_context=tls,
            auth_callback=accept_any_login,
        )

    return make
