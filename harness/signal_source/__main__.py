"""`python3 -m signal_source`: serve the program API and the metrics on SIGNAL_PORT (default 9300)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from .server import make_server

DEFAULT_PORT = 9300


def main() -> None:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    port = int(os.environ.get("SIGNAL_PORT", DEFAULT_PORT))
    server = make_server(os.environ.get("SIGNAL_HOST", "0.0.0.0"), port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it cannot run on serve_forever's own thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.getLogger("signal_source").info("listening on port %d", port)
    with server:
        server.serve_forever()


if __name__ == "__main__":
    main()
