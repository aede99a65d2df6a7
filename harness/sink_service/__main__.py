"""`python3 -m sink_service`: HTTP, HTTPS and SMTP listeners on one asyncio loop, one record.

Ports and certificate paths come from the environment (SINK_HTTP_PORT, SINK_HTTPS_PORT,
SINK_SMTP_PORT, SINK_TLS_CERT, SINK_TLS_KEY); the defaults are the image's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import sys
from dataclasses import dataclass

import uvicorn  # type: ignore[import]  # Debian's uvicorn 0.17.6 ships no type information

from .behaviour import Behaviours
from .http_app import create_app
from .records import DeliveryStore
from .smtp import DeliveryHandler, protocol_factory

log = logging.getLogger("sink")


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    http_port: int = 8080
    https_port: int = 443
    smtp_port: int = 2525
    tls_cert: str = "/etc/sink/tls.crt"
    tls_key: str = "/etc/sink/tls.key"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            host=env.get("SINK_HOST", cls.host),
            http_port=int(env.get("SINK_HTTP_PORT", cls.http_port)),
            https_port=int(env.get("SINK_HTTPS_PORT", cls.https_port)),
            smtp_port=int(env.get("SINK_SMTP_PORT", cls.smtp_port)),
            tls_cert=env.get("SINK_TLS_CERT", cls.tls_cert),
            tls_key=env.get("SINK_TLS_KEY", cls.tls_key),
        )


class _Server(uvicorn.Server):  # type: ignore[misc]
    # Two uvicorn servers share this loop; each would take SIGTERM for itself alone.
    def install_signal_handlers(self) -> None:
        pass


async def serve(settings: Settings) -> None:
    store = DeliveryStore()
    behaviours = Behaviours()
    servers: list[_Server] = []
    app = create_app(store, behaviours, ready=lambda: all(s.started for s in servers))
    # Go's HTTP client keeps idle connections longer than uvicorn's default 5 s; a connection the
    # server closes just as Alertmanager reuses it fails that notification and delays a retry.
    common = {"lifespan": "off", "log_config": None, "access_log": False, "timeout_keep_alive": 600}
    servers.append(
        _Server(uvicorn.Config(app, host=settings.host, port=settings.http_port, **common))
    )
    servers.append(
        _Server(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.https_port,
                ssl_certfile=settings.tls_cert,
                ssl_keyfile=settings.tls_key,
                **common,
            )
        )
    )
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(settings.tls_cert, settings.tls_key)
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        protocol_factory(DeliveryHandler(store, behaviours), tls), settings.host, settings.smtp_port
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop, servers)
    log.info("smtp listening on %s:%d (STARTTLS offered)", settings.host, settings.smtp_port)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        smtp.close()
        await smtp.wait_closed()


def _stop(servers: list[_Server]) -> None:
    log.info("stopping")
    for server in servers:
        server.should_exit = True


def main() -> None:
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(serve(Settings.from_env()))


if __name__ == "__main__":
    main()
