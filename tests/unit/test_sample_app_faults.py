"""The sample app's fault registry: the errors kind, the per-request decision, replacing and clearing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from harness.sample_app.faults import (
    FAULT_KINDS,
    REDIS,
    ErrorFault,
    FaultKind,
    FaultSpecError,
    FaultState,
    FaultUnavailable,
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
    with pytest.raises(UnknownFaultKind) as raised:
        FaultState().set("teapot", {"seconds": 1})

    assert str(raised.value) == (
        "unknown fault kind 'teapot'; known kinds: business, business_rate, cache_fill, cache_flush, cache_miss, errors, "
        "job_failures, latency, memory_leak, pool_hold, queue_backlog, slow_jobs, slow_query"
    )


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
        FaultState().clear("teapot")


def test_clearing_all_switches_every_fault_off_and_lists_them() -> None:
    faults = FaultState()
    faults.set("errors", {"ratio": 0.5})
    faults.set("latency", {"delay_seconds": 0.2})

    assert faults.clear_all() == ["errors", "latency"]
    assert faults.describe() == {}
    assert faults.clear_all() == []


def test_the_errors_fault_names_the_status_it_causes_so_its_series_can_start_at_zero() -> None:
    assert ErrorFault(ratio=0.5, status=502).response_statuses() == frozenset({502})


@dataclass(frozen=True)
class TeapotFault(FaultKind):
    """A stand-in for a later kind: registering it is all a new kind needs."""

    kind: ClassVar[str] = "teapot"
    seconds: float

    @classmethod
    def from_body(cls, body: object) -> TeapotFault:
        assert isinstance(body, dict)
        return cls(seconds=float(body["seconds"]))

    def describe(self) -> dict[str, Any]:
        return {"seconds": self.seconds}


def test_a_new_kind_works_through_the_same_registry_calls() -> None:
    faults = FaultState(kinds={**FAULT_KINDS, "teapot": TeapotFault})
    faults.set("teapot", {"seconds": 0.2})

    assert "teapot" in faults.kinds
    assert faults.describe() == {"teapot": {"seconds": 0.2}}
    assert faults.injected_status() is None


def test_every_kind_in_the_registry_is_listed_under_its_own_name() -> None:
    assert all(name == kind.kind for name, kind in FAULT_KINDS.items())


@pytest.mark.parametrize("kind", ["cache_flush", "cache_miss", "queue_backlog", "job_failures", "slow_jobs"])
def test_a_kind_that_needs_redis_is_refused_when_the_app_runs_without_it(kind: str) -> None:
    faults = FaultState()
    faults.without(REDIS, "REDIS_URL is empty")
    body = {
        "cache_flush": None,
        "cache_miss": {},
        "queue_backlog": {"produce_per_second": 5},
        "job_failures": {"ratio": 1},
        "slow_jobs": {"seconds": 2},
    }

    with pytest.raises(FaultUnavailable, match=f"fault '{kind}' cannot be caused by this app: REDIS_URL is empty"):
        faults.set(kind, body[kind])

    assert faults.describe() == {}


def test_kinds_that_need_nothing_missing_still_work_without_redis() -> None:
    faults = FaultState()
    faults.without(REDIS, "REDIS_URL is empty")

    faults.set("memory_leak", {"megabytes_per_second": 10})

    assert list(faults.describe()) == ["memory_leak"]


def test_the_body_is_checked_before_what_the_kind_needs() -> None:
    faults = FaultState()
    faults.without(REDIS, "REDIS_URL is empty")

    with pytest.raises(FaultSpecError, match="'ratio' must be from 0.0 to 1.0"):
        faults.set("cache_miss", {"ratio": 2})


def test_a_one_shot_kind_is_never_active_but_remembered_with_its_time_and_outcome() -> None:
    faults = FaultState(clock=lambda: 1_700_000_000.25)

    fault = faults.parse("cache_flush", None)
    faults.activate(fault, {"keys_flushed": 3})

    assert faults.describe() == {}
    assert faults.last() == {"cache_flush": {"at": "2023-11-14T22:13:20.250Z", "keys_flushed": 3}}
    assert faults.clear("cache_flush") is False


def test_an_expiring_fault_switches_itself_off() -> None:
    faults = FaultState()
    held = faults.set("pool_hold", {"seconds": 5})

    assert faults.expire(held) is True
    assert faults.describe() == {}


def test_an_expiring_fault_leaves_the_one_that_replaced_it_on() -> None:
    faults = FaultState()
    first = faults.set("pool_hold", {"seconds": 5})
    faults.set("pool_hold", {"seconds": 60})

    assert faults.expire(first) is False
    assert faults.describe() == {"pool_hold": {"connections": "all", "seconds": 60.0}}
