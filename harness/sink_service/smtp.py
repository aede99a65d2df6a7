"""The SMTP side of the sink: records each email, naming the receiver by the EHLO host name.

The harness sets each email receiver's `hello` to the receiver's name, so the host name the
client greets with says which receiver sent the message. When the user's config logs in
(`smtp_auth_*`), the harness prefixes that name with `smtp-auth.` and the sink then requires AUTH
before `MAIL FROM`, as the user's mail server would: a config whose credentials Alertmanager does
not use (no user name, or TLS turned off so AUTH is never offered) is refused with 530, and a
login with an empty or placeholder password with 535. Every refusal is recorded.

A failing behaviour refuses the sender (`MAIL FROM`) with 451, before any content is sent:
Alertmanager 0.25 ignores the reply to the message data, so a refusal there would look like
success to it and it would never retry. The record of a refused attempt therefore has no
subject, text or alert names, only the sender.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .behaviour import Behaviours, answer_delay
from .parsing import Notification, parse_email
from .records import DeliveryStore
from .services import check_smtp_password

log = logging.getLogger("sink.smtp")

#: harness/receivers.py writes the same prefix.
AUTH_REQUIRED_PREFIX = "smtp-auth."


def receiver_of(hello: str | None) -> tuple[str | None, bool]:
    """The receiver named by an EHLO host name, and whether its config logs in."""
    if not hello:
        return None, False
    if hello.startswith(AUTH_REQUIRED_PREFIX):
        return hello[len(AUTH_REQUIRED_PREFIX) :] or None, True
    return hello, False


def _unread(sender: str) -> Notification:
    return Notification(
        status="unknown", alerts=(), text="", raw={"subject": "", "from": sender, "to": ""}
    )


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
        receiver, auth_required = receiver_of(session.host_name)
        if not behaviour.accepts:
            reply = f"451 4.3.0 sink behaviour for email: temporary failure ({behaviour.status_code})"
            reason = f"simulated outage (sink behaviour for email): answering {reply}"
            delivery = self._store.record("email", receiver, _unread(address), refusal=reason)
            log.info(delivery.summary())
            await answer_delay(behaviour)
            return reply
        if auth_required and not session.authenticated:
            reply = "530 5.7.0 Authentication required"
            reason = (
                f"the mail server answers {reply}: the receiver's config sets smtp_auth_* but "
                "Alertmanager did not log in (no auth_username, or require_tls false so AUTH was "
                "never offered)"
            )
            delivery = self._store.record("email", receiver, _unread(address), refusal=reason)
            log.info(delivery.summary())
            return reply
        envelope.mail_from = address  # type: ignore[assignment]  # aiosmtpd 1.4 says None
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        data = content.encode("utf-8") if isinstance(content, str) else content or b""
        receiver, _ = receiver_of(session.host_name)
        delivery = self._store.record("email", receiver, parse_email(data))
        log.info(delivery.summary())
        await answer_delay(self._behaviours.for_kind("email"))
        return "250 2.0.0 OK: recorded"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        """aiosmtpd authenticator: any user name, any password but an empty or placeholder one."""
        password = ""
        if isinstance(auth_data, LoginPassword):
            password = auth_data.password.decode("utf-8", "replace")
        problem = check_smtp_password(password)
        if problem is None:
            return AuthResult(success=True)
        receiver, _ = receiver_of(session.host_name)
        reason = f"the mail server answers 535 5.7.8 Authentication credentials invalid: {problem}"
        delivery = self._store.record("email", receiver, _unread(""), refusal=reason)
        log.info(delivery.summary())
        return AuthResult(success=False, handled=False)


def protocol_factory(handler: DeliveryHandler, tls: ssl.SSLContext) -> Callable[[], SMTP]:
    """A factory for `loop.create_server`: STARTTLS offered, then AUTH PLAIN.

    Alertmanager logs in whenever the server offers AUTH and the receiver has an auth_username;
    its LOGIN client rejects aiosmtpd's prompts (`User Name`), so only PLAIN is offered.
    """

    def make() -> SMTP:
        return SMTP(
            handler,
            hostname="sink",
            ident="notification sink",
            tls_context=tls,
            authenticator=handler.authenticate,
            auth_exclude_mechanism=["LOGIN"],
        )

    return make
