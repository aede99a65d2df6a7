"""The sample app's fault state: validation, the per-request decision, clearing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from harness.sample_app.faults import (
    FAULT_KINDS,
    ErrorFault,
    FaultSpecError,
    FaultState,
    UnknownFaultKind,
    decode_body,
)


def state_drawing(*draws: float) -> FaultState:
    """A fault state whose per-request random draws are the given values, in order."""
    values = iter(draws)
    return FaultState(draw=lambda: next(values))


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_ratio_zero_never_fails_a_request(draw: float) -> None:
    faults = state_drawing(draw)
    faults.set("errors", {"ratio": 0.0})

    assert faults.injected_status() is None


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_ratio_one_fails_every_request(draw: float) -> None:
    faults = state_drawing(draw)
    faults.set("errors", {"ratio": 1.0})

    assert faults.injected_status() == 500


def test_a_partial_ratio_fails_the_requests_whose_draw_falls_below_it() -> None:
    faults = state_drawing(0.2, 0.7, 0.29, 0.3)
    faults.set("errors", {"ratio": 0.3, "status": 503})

    assert [faults.injected_status() for _ in range(4)] == [503, None, 503, None]


def test_the_status_defaults_to_500() -> None:
    assert ErrorFault.from_body({"ratio": 0.5}).status == 500


def test_an_integer_ratio_is_accepted_as_a_number() -> None:
    assert ErrorFault.from_body({"ratio": 1}).describe() == {"ratio": 1.0, "status": 500}


def test_no_fault_means_no_injected_status() -> None:
    assert FaultState().injected_status() is None


BAD_ERROR_BODIES = {
    "ratio_above_one": ({"ratio": 1.5}, "'ratio' must be from 0.0 to 1.0, got 1.5"),
    "ratio_negative": ({"ratio": -0.1}, "'ratio' must be from 0.0 to 1.0, got -0.1"),
    "ratio_is_a_string": ({"ratio": "0.5"}, "'ratio' must be a number from 0.0 to 1.0, got '0.5'"),
    "ratio_is_a_boolean": ({"ratio": True}, "'ratio' must be a number from 0.0 to 1.0, got True"),
    "ratio_missing": ({"status": 500}, "missing field(s) 'ratio'"),
    "status_is_a_client_error": ({"ratio": 1, "status": 404}, "'status' must be a server error from 500 to 599"),
    "status_is_not_an_integer": ({"ratio": 1, "status": 500.0}, "'status' must be an integer from 500 to 599"),
    "unknown_field": ({"ratio": 1, "share": 1}, "unknown field(s) 'share'; expected ratio, status (optional)"),
    "body_is_an_array": ([0.5], "the body must be a JSON object with ratio, status (optional); got an array"),
    "body_is_empty": (None, "got null or an empty body"),
}


@pytest.mark.parametrize(("body", "message"), BAD_ERROR_BODIES.values(), ids=BAD_ERROR_BODIES.keys())
def test_a_bad_errors_body_is_refused_with_a_message_naming_the_defect(body: object, message: str) -> None:
    with pytest.raises(FaultSpecError) as raised:
        FaultState().set("errors", body)

    assert message in str(raised.value)
    assert str(raised.value).startswith("fault 'errors': ")


def test_a_refused_body_leaves_the_active_fault_unchanged() -> None:
    faults = FaultState()
    faults.set("errors", {"ratio": 0.25})

    with pytest.raises(FaultSpecError):
        faults.set("errors", {"ratio": 2})

    assert faults.describe() == {"errors": {"ratio": 0.25, "status": 500}}


def test_a_body_that_is_not_json_is_refused_with_the_parser_position() -> None:
    with pytest.raises(FaultSpecError, match=r"fault 'errors': the body is not valid JSON \(.*line 1 column 1"):
        decode_body("errors", b"ratio=1")


def test_an_empty_body_decodes_to_none_so_each_kind_decides_whether_it_needs_one() -> None:
    assert decode_body("errors", b"  ") is None


def test_an_unknown_kind_is_refused_with_the_known_kinds() -> None:
    with pytest.raises(UnknownFaultKind, match="unknown fault kind 'latency'; known kinds: errors"):
        FaultState().set("latency", {"seconds": 1})


def test_setting_a_kind_again_replaces_it() -> None:
    faults = FaultState()
    faults.set("errors", {"ratio": 0.1})
    faults.set("errors", {"ratio": 0.9, "status": 502})

    assert faults.describe() == {"errors": {"ratio": 0.9, "status": 502}}


def test_clearing_a_kind_switches_it_off_and_says_whether_it_was_on() -> None:
    faults = state_drawing(0.0)
    faults.set("errors", {"ratio": 1.0})

    assert faults.clear("errors") is True
    assert faults.clear("errors") is False
    assert faults.describe() == {}
    assert faults.injected_status() is None


def test_clearing_an_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownFaultKind):
        FaultState().clear("latency")


def test_clearing_all_switches_every_fault_off_and_lists_them() -> None:
    faults = FaultState(kinds={**FAULT_KINDS, "latency": LatencyFault})
    faults.set("errors", {"ratio": 0.5})
    faults.set("latency", {"seconds": 0.2})

    assert faults.clear_all() == ["errors", "latency"]
    assert faults.describe() == {}
    assert faults.clear_all() == []


def test_the_errors_fault_names_the_status_it_causes_so_its_series_can_start_at_zero() -> None:
    assert ErrorFault(ratio=0.5, status=502).response_statuses() == frozenset({502})


@dataclass(frozen=True)
class LatencyFault:
    """A stand-in for a later kind: registering it is all a new kind needs."""

    kind: ClassVar[str] = "latency"
    seconds: float

    @classmethod
    def from_body(cls, body: object) -> LatencyFault:
        assert isinstance(body, dict)
        return cls(seconds=float(body["seconds"]))

    def describe(self) -> dict[str, Any]:
        return {"seconds": self.seconds}

    def response_statuses(self) -> frozenset[int]:
        return frozenset()


def test_a_new_kind_works_through_the_same_registry_calls() -> None:
    faults = FaultState(kinds={**FAULT_KINDS, "latency": LatencyFault})
    faults.set("latency", {"seconds": 0.2})

    assert faults.kinds == ["errors", "latency"]
    assert faults.describe() == {"latency": {"seconds": 0.2}}
    assert faults.injected_status() is None
