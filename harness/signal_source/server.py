"""The HTTP API: `PUT|GET|DELETE /program`, `GET /metrics[/<job>]`, `GET /healthz`.

In a stack without an app of its own (one `harness adopt` writes) the harness's load goes here:
`GET|POST /api/...` answer 200 and change nothing, so a scenario's load flows as it would to an app.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import exposition
from .program import DEFAULT_JOB, ProgramError, parse_program
from .state import Signals

log = logging.getLogger("signal_source")
MAX_BODY = 1 << 20


class SignalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], signals: Signals) -> None:
        super().__init__(address, _Handler)
        self.signals = signals


def make_server(host: str, port: int, signals: Signals | None = None) -> SignalServer:
    """A server bound to `host:port` (port 0: any free port); run it with `serve_forever()`."""
    return SignalServer((host, port), signals or Signals())


class _Handler(BaseHTTPRequestHandler):
    server: SignalServer
    # Keep-alive for Prometheus's scrapes; Nagle off, or each small answer waits for the last ACK.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/program":
            self._json(200, self.server.signals.program().to_json())
        elif path == "/metrics" or path.startswith("/metrics/"):
            self._metrics(path.removeprefix("/metrics").strip("/") or DEFAULT_JOB)
        elif path.startswith("/api/"):
            self._json(200, {"load": "accepted"})
        else:
            self._json(404, {"error": f"no such path {path}"})

    def do_PUT(self) -> None:  # noqa: N802
        if self.path != "/program":
            self._json(404, {"error": f"PUT goes to /program, not {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": f"body: {length} bytes; a program is at most {MAX_BODY}"})
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"null")
        except ValueError as error:
            self._json(400, {"error": f"body: not JSON ({error})"})
            return
        try:
            program = parse_program(body)
        except ProgramError as error:
            self._json(400, {"error": str(error)})
            return
        self.server.signals.replace(program)
        log.info("programmed %d series, down jobs: %s", len(program.series), ", ".join(program.down_jobs) or "none")
        self._json(200, {"series": len(program.series)})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, MAX_BODY))
        if self.path.startswith("/api/"):
            self._json(200, {"load": "accepted"})
        else:
            self._json(404, {"error": f"POST goes to /api/..., not {self.path}"})

    def do_DELETE(self) -> None:  # noqa: N802
        if self.path != "/program":
            self._json(404, {"error": f"DELETE goes to /program, not {self.path}"})
            return
        self.server.signals.clear()
        log.info("program cleared")
        self._json(200, {"series": 0})

    def _metrics(self, job: str) -> None:
        signals = self.server.signals
        if signals.is_down(job):
            self._send(503, f"job {job} is programmed down\n".encode(), "text/plain; charset=utf-8")
            return
        series, now = signals.snapshot(job)
        self._send(200, exposition.render(series, now).encode(), exposition.CONTENT_TYPE)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # one line per scrape would drown the log the run keeps
