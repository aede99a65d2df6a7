"""Faults the sample app can be told to show, kept as a small registry keyed by kind.

Standard library only, so the host can test it without Starlette or psycopg.

A fault kind is a frozen dataclass with a ``kind`` (also its URL segment under
``/control/faults/``), a ``from_body`` that validates a JSON body, and a ``describe``
for ``GET /control/faults``. Adding a kind means writing one class and listing it in
``FAULT_KINDS``; the control routes dispatch on the kind and never change.

    FaultSpecError   a control request's body or kind is wrong (the app answers 422 / 404)
    └── UnknownFaultKind
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol


class FaultSpecError(ValueError):
    """A fault was asked for with a body that cannot be used as written."""


class UnknownFaultKind(FaultSpecError):
    """No fault of that kind exists."""


class Fault(Protocol):
    """What the registry needs from a fault kind."""

    kind: ClassVar[str]

    @classmethod
    def from_body(cls, body: object) -> Fault: ...

    def describe(self) -> dict[str, Any]: ...

    def response_statuses(self) -> frozenset[int]:
        """Statuses this fault can make /api requests answer, so their series exist at 0 first."""
        ...


@dataclass(frozen=True)
class ErrorFault:
    """A share of /api requests answer a 5xx status instead of doing their work."""

    kind: ClassVar[str] = "errors"

    ratio: float
    status: int = 500

    def __post_init__(self) -> None:
        where = f"fault {self.kind!r}"
        if isinstance(self.ratio, bool) or not isinstance(self.ratio, (int, float)):
            raise FaultSpecError(f"{where}: 'ratio' must be a number from 0.0 to 1.0, got {self.ratio!r}")
        if not 0.0 <= float(self.ratio) <= 1.0:
            raise FaultSpecError(f"{where}: 'ratio' must be from 0.0 to 1.0, got {self.ratio!r}")
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise FaultSpecError(f"{where}: 'status' must be an integer from 500 to 599, got {self.status!r}")
        if not 500 <= self.status <= 599:
            raise FaultSpecError(
                f"{where}: 'status' must be a server error from 500 to 599, got {self.status}. "
                "Hint: client errors (4xx) do not count as failures in the usual error-rate rules."
            )
        object.__setattr__(self, "ratio", float(self.ratio))

    @classmethod
    def from_body(cls, body: object) -> ErrorFault:
        fields = _object_body(cls.kind, body, required=("ratio",), optional=("status",))
        return cls(**fields)

    def decide(self, draw: float) -> int | None:
        """The status to answer for a request whose uniform draw in [0, 1) is ``draw``, or None."""
        return self.status if draw < self.ratio else None

    def describe(self) -> dict[str, Any]:
        return {"ratio": self.ratio, "status": self.status}

    def response_statuses(self) -> frozenset[int]:
        return frozenset({self.status})


#: Every fault kind the app knows, by the name used in URLs and the harness's scenario files.
FAULT_KINDS: dict[str, type[Fault]] = {ErrorFault.kind: ErrorFault}


class FaultState:
    """The faults active right now: at most one per kind; setting a kind again replaces it."""

    def __init__(
        self,
        kinds: Mapping[str, type[Fault]] = FAULT_KINDS,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._kinds = dict(kinds)
        self._draw = draw
        self._active: dict[str, Fault] = {}

    @property
    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def set(self, kind: str, body: object) -> Fault:
        """Validate ``body`` for ``kind`` and make it active. Raises FaultSpecError when it is wrong."""
        fault = self._kind(kind).from_body(body)
        self._active[kind] = fault
        return fault

    def get(self, kind: str) -> Fault | None:
        return self._active.get(kind)

    def clear(self, kind: str) -> bool:
        """Switch one kind off. Returns whether it was on."""
        self._kind(kind)
        return self._active.pop(kind, None) is not None

    def clear_all(self) -> list[str]:
        """Switch every fault off. Returns the kinds that were on."""
        cleared = sorted(self._active)
        self._active.clear()
        return cleared

    def describe(self) -> dict[str, dict[str, Any]]:
        return {kind: fault.describe() for kind, fault in sorted(self._active.items())}

    def injected_status(self) -> int | None:
        """For one /api request: the status the errors fault makes it answer, or None to serve it."""
        fault = self._active.get(ErrorFault.kind)
        if not isinstance(fault, ErrorFault):
            return None
        return fault.decide(self._draw())

    def _kind(self, kind: str) -> type[Fault]:
        try:
            return self._kinds[kind]
        except KeyError:
            raise UnknownFaultKind(
                f"unknown fault kind {kind!r}; known kinds: {', '.join(self.kinds) or 'none'}"
            ) from None


def decode_body(kind: str, raw: bytes) -> object:
    """The JSON value of a control request's body, or FaultSpecError saying why it is not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FaultSpecError(f"fault {kind!r}: the body is not valid JSON ({error})") from None


def _object_body(
    kind: str, body: object, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    where = f"fault {kind!r}"
    expected = ", ".join([*required, *(f"{name} (optional)" for name in optional)])
    if not isinstance(body, dict):
        raise FaultSpecError(f"{where}: the body must be a JSON object with {expected}; got {_json_type(body)}")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise FaultSpecError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; expected {expected}")
    missing = [name for name in required if name not in body]
    if missing:
        raise FaultSpecError(f"{where}: missing field(s) {', '.join(map(repr, missing))}; expected {expected}")
    return dict(body)


def _json_type(value: object) -> str:
    names = {
        type(None): "null or an empty body",
        bool: "a boolean",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)
