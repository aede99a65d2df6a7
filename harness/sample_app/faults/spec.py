"""What every fault kind shares: the error tree, the contract, body and field validation, pacing."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Protocol

#: The capability a fault needs that the app may run without (REDIS_URL empty).
REDIS = "redis"


class FaultError(Exception):
    """Root of the fault errors."""


class FaultSpecError(FaultError, ValueError):
    """A fault was asked for with a body that cannot be used as written (the app answers 422)."""


class UnknownFaultKind(FaultSpecError):
    """No fault of that kind exists (the app answers 404)."""


class FaultUnavailable(FaultError):
    """The fault is valid but this app cannot cause it as configured (the app answers 409)."""


class FaultFailed(FaultError):
    """Causing the fault failed at run time, e.g. Redis did not answer (the app answers 503)."""


class Fault(Protocol):
    """What the registry needs from a fault kind."""

    kind: ClassVar[str]
    #: Capabilities the fault cannot be caused without (``REDIS``).
    needs: ClassVar[frozenset[str]]
    #: Done once when set (a cache flush): never active, remembered as the last one instead.
    one_shot: ClassVar[bool]

    @classmethod
    def from_body(cls, body: object) -> Fault: ...

    def describe(self) -> dict[str, Any]: ...

    def response_statuses(self) -> frozenset[int]:
        """Statuses this fault can make /api requests answer, so their series exist at 0 first."""
        ...


class FaultKind:
    """Defaults for the optional parts of the contract; kinds are frozen dataclasses on top."""

    needs: ClassVar[frozenset[str]] = frozenset()
    one_shot: ClassVar[bool] = False

    def response_statuses(self) -> frozenset[int]:
        return frozenset()


def object_body(kind: str, body: object, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """The fields of a JSON object body, refused when it is not an object or names unknown fields.

    An empty body stands for ``{}``, so a kind whose fields are all optional can be set without one.
    """
    where = f"fault {kind!r}"
    expected = ", ".join([*required, *(f"{name} (optional)" for name in optional)]) or "no fields"
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise FaultSpecError(f"{where}: the body must be a JSON object with {expected}; got {json_type(body)}")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise FaultSpecError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; expected {expected}")
    missing = [name for name in required if name not in body]
    if missing:
        raise FaultSpecError(f"{where}: missing field(s) {', '.join(map(repr, missing))}; expected {expected}")
    return dict(body)


def ratio(kind: str, name: str, value: object) -> float:
    """A share of requests or jobs, from 0.0 to 1.0."""
    where = f"fault {kind!r}"
    if not _is_number(value):
        raise FaultSpecError(f"{where}: {name!r} must be a number from 0.0 to 1.0, got {value!r}")
    assert isinstance(value, (int, float))
    if not 0.0 <= float(value) <= 1.0:
        raise FaultSpecError(f"{where}: {name!r} must be from 0.0 to 1.0, got {value!r}")
    return float(value)


def number(
    kind: str,
    name: str,
    value: object,
    *,
    above: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """A finite number within bounds (``above`` is exclusive, ``minimum`` and ``maximum`` inclusive)."""
    if _is_number(value):
        assert isinstance(value, (int, float))
        within = (
            math.isfinite(value)
            and (above is None or value > above)
            and (minimum is None or value >= minimum)
            and (maximum is None or value <= maximum)
        )
        if within:
            return float(value)
    bounds = [
        *([f"greater than {above:g}"] if above is not None else []),
        *([f"at least {minimum:g}"] if minimum is not None else []),
        *([f"at most {maximum:g}"] if maximum is not None else []),
    ]
    wanted = " ".join(["a number", " and ".join(bounds)]).strip()
    raise FaultSpecError(f"fault {kind!r}: {name!r} must be {wanted}, got {value!r}")


def integer(kind: str, name: str, value: object, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise FaultSpecError(f"fault {kind!r}: {name!r} must be an integer from {minimum} to {maximum}, got {value!r}")
    return value


def choice(kind: str, name: str, value: object, names: tuple[str, ...], suffix: str = "") -> str:
    """One of ``names``, also when written as the exposed metric name ending in it (any prefix)."""
    if isinstance(value, str):
        for known in names:
            if value == known or value.endswith(f"business_{known}") or value.endswith(f"business_{known}{suffix}"):
                return known
    raise FaultSpecError(f"fault {kind!r}: {name!r} must be one of {', '.join(names)}, got {value!r}")


def paced(per_second: float, elapsed_seconds: float, done: int) -> int:
    """How many more things to do now so that ``done`` keeps up with ``per_second`` since the start.

    Counting from the start, rather than adding rate x tick, does not drift when ticks come late
    (a busy event loop) and keeps rates below one per tick exact.
    """
    return max(math.floor(per_second * max(elapsed_seconds, 0.0)) - done, 0)


def json_type(value: object) -> str:
    names = {
        type(None): "null or an empty body",
        bool: "a boolean",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
