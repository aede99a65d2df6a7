"""How the sink answers: normally, or like a failing service (an error status, a slow answer).

Set per kind of delivery with `PUT /control/behaviour`; `*` applies to every kind that has no
behaviour of its own.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict, dataclass
from typing import Any

from .records import KINDS, Kind

ANY_KIND = "*"
MAX_DELAY_SECONDS = 3600.0
_FIELDS = ("kind", "status_code", "delay_seconds")


class BehaviourError(ValueError):
    """A behaviour request the sink cannot follow; the message says which field and why."""


@dataclass(frozen=True)
class Behaviour:
    status_code: int = 200
    delay_seconds: float = 0.0

    @property
    def accepts(self) -> bool:
        return 200 <= self.status_code < 300


NORMAL = Behaviour()


class Behaviours:
    """The behaviour table: one entry per kind that misbehaves, plus an optional `*` entry."""

    def __init__(self) -> None:
        self._table: dict[str, Behaviour] = {}

    def set(self, kind: str, behaviour: Behaviour) -> None:
        self._table[kind] = behaviour

    def for_kind(self, kind: Kind) -> Behaviour:
        return self._table.get(kind) or self._table.get(ANY_KIND) or NORMAL

    def reset(self) -> None:
        self._table.clear()

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {kind: asdict(behaviour) for kind, behaviour in sorted(self._table.items())}


def parse_behaviour_request(body: object) -> tuple[str, Behaviour]:
    """`{"kind", "status_code", "delay_seconds"}` as sent to `PUT /control/behaviour`."""
    if not isinstance(body, dict):
        raise BehaviourError(
            f'expected a JSON object like {{"kind": "slack", "status_code": 503, '
            f'"delay_seconds": 0.0}}, got {body!r}'
        )
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise BehaviourError(f"unknown field(s) {unknown}; the fields are {list(_FIELDS)}")
    kind = body.get("kind")
    if kind not in (*KINDS, ANY_KIND):
        raise BehaviourError(f"kind must be one of {[*KINDS, ANY_KIND]}, got {kind!r}")
    status_code = body.get("status_code", NORMAL.status_code)
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        raise BehaviourError(f"status_code must be an integer HTTP status, got {status_code!r}")
    if not 100 <= status_code <= 599:
        raise BehaviourError(f"status_code must be within 100..599, got {status_code}")
    delay = body.get("delay_seconds", NORMAL.delay_seconds)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not math.isfinite(delay):
        raise BehaviourError(f"delay_seconds must be a number of seconds, got {delay!r}")
    if not 0 <= delay <= MAX_DELAY_SECONDS:
        raise BehaviourError(f"delay_seconds must be within 0..{MAX_DELAY_SECONDS:g}, got {delay}")
    return kind, Behaviour(status_code=status_code, delay_seconds=float(delay))


async def answer_delay(behaviour: Behaviour) -> None:
    """Hold the answer back as long as the behaviour says; the only place the sink sleeps."""
    if behaviour.delay_seconds > 0:
        await asyncio.sleep(behaviour.delay_seconds)
