"""Where a run's lanes run: the Docker engines named by `--engine` (or a suite's `engines:`), checked
before anything starts, and which lane goes to which (lane i on engine i mod the number of engines).

The harness reaches containers only through ports they publish on 127.0.0.1, so an engine must run
on this machine: a unix socket, or tcp:// to a loopback address. A second engine on this machine
(scripts/second-engine) stands in for a second host.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness import engine
from harness.engine import Engine
from harness.errors import EngineUnavailable, EngineUrlError

#: Hosts a tcp:// engine may name: its published 127.0.0.1 ports must be this machine's.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: How long an engine has to answer the check before a run.
CHECK_TIMEOUT = 10.0
ACCEPTED = "unix:///path/to/docker.sock or tcp://127.0.0.1:PORT"


def parse_url(text: str) -> Engine:
    """`text` as an engine on this machine, or EngineUrlError saying what is accepted and why."""
    url = text.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "unix":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise EngineUrlError(f"engine {text!r}: a unix socket URL names an absolute path, like "
                                 "unix:///var/run/docker.sock (three slashes)")
        return Engine(f"unix://{parts.path}")
    if scheme == "tcp":
        try:
            host, port = parts.hostname, parts.port
        except ValueError as error:
            raise EngineUrlError(f"engine {text!r}: {error}; expected {ACCEPTED}") from None
        if host not in LOOPBACK_HOSTS:
            raise EngineUrlError(
                f"engine {text!r}: {host or 'no host'} is not this machine. The harness reaches a stack only "
                "through ports it publishes on 127.0.0.1, so every engine must run here (a second engine on "
                "this machine stands in for a second host: scripts/second-engine). Hint: tunnel a remote "
                "engine's socket here (ssh -L) and name the local end."
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise EngineUrlError(f"engine {text!r}: a tcp URL is only host and port, like tcp://127.0.0.1:2375")
        shown = f"[{host}]" if ":" in host else host
        return Engine(f"tcp://{shown}:{port}" if port else f"tcp://{shown}")
    if scheme == "ssh":
        raise EngineUrlError(
            f"engine {text!r}: ssh:// engines run on another machine, whose 127.0.0.1 ports the harness cannot "
            f"reach. Expected {ACCEPTED}; tunnel the remote socket here (ssh -L) and name the local end."
        )
    raise EngineUrlError(f"engine {text!r}: not a Docker engine URL the harness can use; expected {ACCEPTED}")


@dataclass(frozen=True)
class Placement:
    """The engines a run's lanes are spread over, in the order given; the first also builds the images."""

    engines: tuple[Engine, ...]

    @property
    def primary(self) -> Engine:
        """The engine images are built on (and copied from), measurements run on, lane 1 runs on."""
        return self.engines[0]

    def for_lane(self, index: int) -> Engine:
        """The engine of lane `index` (0-based): round the list."""
        return self.engines[index % len(self.engines)]

    def used_by(self, lanes: int) -> tuple[Engine, ...]:
        """The engines `lanes` lanes run on, in order."""
        return self.engines[:max(1, lanes)]

    @property
    def urls(self) -> list[str]:
        return [placed.url for placed in self.engines]


def placement(urls: Sequence[str] = ()) -> Placement:
    """The engines named by `urls` (each checked for form, none twice); none: the default engine alone."""
    if not urls:
        return Placement((engine.default(),))
    engines: list[Engine] = []
    for url in urls:
        parsed = parse_url(url)
        if parsed in engines:
            raise EngineUrlError(f"engine {url!r} is given twice; name each engine once (lanes go round the list)")
        engines.append(parsed)
    return Placement(tuple(engines))


def check(placed: Placement, timeout: float = CHECK_TIMEOUT) -> None:
    """Every engine answers a ping, or EngineUnavailable naming each that does not and what failed."""
    with ThreadPoolExecutor(max_workers=len(placed.engines), thread_name_prefix="engine-check") as pool:
        outcomes = list(pool.map(lambda e: _answers(e, timeout), placed.engines))
    failures = [failure for failure in outcomes if failure]
    if failures:
        raise EngineUnavailable("; ".join(failures))


def _answers(candidate: Engine, timeout: float) -> str:
    try:
        engine.connect(candidate, timeout).close()
    except EngineUnavailable as error:
        return str(error)
    return ""
