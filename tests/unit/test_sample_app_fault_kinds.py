"""Each fault kind of the sample app: what its body may say, its defaults, and its pure decisions."""

from __future__ import annotations

import pytest

from harness.sample_app.faults import (
    BusinessGaugeFault,
    BusinessRateFault,
    CacheFillFault,
    CacheMissFault,
    FaultSpecError,
    FaultState,
    JobFailureFault,
    LatencyFault,
    MemoryLeakFault,
    PoolHoldFault,
    QueueBacklogFault,
    SlowQueryFault,
    paced,
)


def state_drawing(*draws: float) -> FaultState:
    """A fault state whose random draws are the given values, in order."""
    values = iter(draws)
    return FaultState(draw=lambda: next(values))


BAD_BODIES = {
    "latency_delay_missing": ("latency", {"ratio": 1}, "missing field(s) 'delay_seconds'"),
    "latency_delay_zero": (
        "latency",
        {"delay_seconds": 0},
        "'delay_seconds' must be a number greater than 0 and at most 60, got 0",
    ),
    "latency_delay_too_long": (
        "latency",
        {"delay_seconds": 61},
        "'delay_seconds' must be a number greater than 0 and at most 60",
    ),
    "latency_delay_is_a_string": (
        "latency",
        {"delay_seconds": "1s"},
        "'delay_seconds' must be a number greater than 0",
    ),
    "latency_delay_is_not_finite": ("latency", {"delay_seconds": float("inf")}, "got inf"),
    "latency_jitter_negative": (
        "latency",
        {"delay_seconds": 1, "jitter_seconds": -1},
        "'jitter_seconds' must be a number at least 0 and at most 60",
    ),
    "latency_ratio_above_one": ("latency", {"delay_seconds": 1, "ratio": 2}, "'ratio' must be from 0.0 to 1.0, got 2"),
    "latency_seconds_misnamed": (
        "latency",
        {"seconds": 1},
        "unknown field(s) 'seconds'; expected delay_seconds, jitter_seconds (optional), ratio (optional)",
    ),
    "pool_hold_connections_zero": (
        "pool_hold",
        {"connections": 0},
        "'connections' must be an integer from 1 to 1000, got 0",
    ),
    "pool_hold_connections_fractional": (
        "pool_hold",
        {"connections": 2.5},
        "'connections' must be an integer from 1 to 1000, got 2.5",
    ),
    "pool_hold_seconds_negative": (
        "pool_hold",
        {"seconds": -5},
        "'seconds' must be a number greater than 0 and at most 3600",
    ),
    "pool_hold_body_is_an_array": (
        "pool_hold",
        [10],
        "the body must be a JSON object with connections (optional), seconds (optional); got an array",
    ),
    "slow_query_seconds_missing": ("slow_query", {}, "missing field(s) 'seconds'"),
    "slow_query_seconds_too_long": (
        "slow_query",
        {"seconds": 120},
        "'seconds' must be a number greater than 0 and at most 60, got 120",
    ),
    "slow_query_ratio_negative": (
        "slow_query",
        {"seconds": 1, "ratio": -0.5},
        "'ratio' must be from 0.0 to 1.0, got -0.5",
    ),
    "cache_flush_with_a_field": ("cache_flush", {"keys": "*"}, "unknown field(s) 'keys'; expected no fields"),
    "cache_fill_fraction_missing": ("cache_fill", {}, "missing field(s) 'fraction'"),
    "cache_fill_to_the_brim": ("cache_fill", {"fraction": 1.0}, "'fraction' must be a number greater than 0 and at most 0.99, got 1.0"),
    "cache_miss_ratio_is_a_boolean": (
        "cache_miss",
        {"ratio": True},
        "'ratio' must be a number from 0.0 to 1.0, got True",
    ),
    "queue_backlog_rate_missing": ("queue_backlog", {}, "missing field(s) 'produce_per_second'"),
    "queue_backlog_rate_zero": (
        "queue_backlog",
        {"produce_per_second": 0},
        "'produce_per_second' must be a number greater than 0 and at most 10000",
    ),
    "job_failures_ratio_missing": (
        "job_failures",
        None,
        "the body must be a JSON object with ratio; got null or an empty body",
    ),
    "job_failures_ratio_above_one": ("job_failures", {"ratio": 1.01}, "'ratio' must be from 0.0 to 1.0, got 1.01"),
    "slow_jobs_seconds_missing": ("slow_jobs", {"ratio": 1}, "missing field(s) 'seconds'"),
    "slow_jobs_seconds_too_long": (
        "slow_jobs",
        {"seconds": 90},
        "'seconds' must be a number greater than 0 and at most 60, got 90",
    ),
    "memory_leak_rate_missing": ("memory_leak", {"cap_megabytes": 64}, "missing field(s) 'megabytes_per_second'"),
    "memory_leak_rate_too_high": (
        "memory_leak",
        {"megabytes_per_second": 2048},
        "'megabytes_per_second' must be a number greater than 0 and at most 1024",
    ),
    "memory_leak_cap_fractional": (
        "memory_leak",
        {"megabytes_per_second": 1, "cap_megabytes": 1.5},
        "'cap_megabytes' must be an integer from 1 to 8192, got 1.5",
    ),
    "memory_leak_cap_too_high": (
        "memory_leak",
        {"megabytes_per_second": 1, "cap_megabytes": 10_000},
        "'cap_megabytes' must be an integer from 1 to 8192",
    ),
    "business_gauge_unknown": (
        "business",
        {"gauge": "revenue", "value": 1},
        "'gauge' must be one of active_users, active_users_limit, credits_remaining, got 'revenue'",
    ),
    "business_gauge_is_a_counter": (
        "business",
        {"gauge": "signups", "value": 1},
        "'gauge' must be one of active_users",
    ),
    "business_value_missing": ("business", {"gauge": "active_users"}, "missing field(s) 'value'"),
    "business_value_is_a_string": (
        "business",
        {"gauge": "active_users", "value": "190"},
        "'value' must be a number, got '190'",
    ),
    "business_rate_counter_unknown": (
        "business_rate",
        {"counter": "refunds", "per_second": 1},
        "'counter' must be one of credits_consumed, signups, got 'refunds'",
    ),
    "business_rate_counter_is_a_gauge": (
        "business_rate",
        {"counter": "active_users", "per_second": 1},
        "'counter' must be one of credits_consumed, signups",
    ),
    "business_rate_rate_negative": (
        "business_rate",
        {"counter": "signups", "per_second": -1},
        "'per_second' must be a number greater than 0 and at most 100000",
    ),
}


@pytest.mark.parametrize(("kind", "body", "message"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_bad_body_is_refused_with_a_message_naming_the_kind_and_the_defect(
    kind: str, body: object, message: str
) -> None:
    with pytest.raises(FaultSpecError) as raised:
        FaultState().set(kind, body)

    assert str(raised.value).startswith(f"fault {kind!r}: ")
    assert message in str(raised.value)


DEFAULTS = {
    "latency": ({"delay_seconds": 0.5}, {"delay_seconds": 0.5, "jitter_seconds": 0.0, "ratio": 1.0}),
    "pool_hold": (None, {"connections": "all", "seconds": 60.0}),
    "slow_query": ({"seconds": 2}, {"seconds": 2.0, "ratio": 1.0}),
    "cache_miss": (None, {"ratio": 1.0}),
    "queue_backlog": ({"produce_per_second": 100}, {"produce_per_second": 100.0}),
    "job_failures": ({"ratio": 0.5}, {"ratio": 0.5}),
    "slow_jobs": ({"seconds": 1.5}, {"seconds": 1.5, "ratio": 1.0}),
    "memory_leak": ({"megabytes_per_second": 8}, {"megabytes_per_second": 8.0, "cap_megabytes": 256}),
    "business": ({"gauge": "active_users", "value": 190}, {"gauge": "active_users", "value": 190.0}),
    "business_rate": ({"counter": "signups", "per_second": 3}, {"counter": "signups", "per_second": 3.0}),
}


@pytest.mark.parametrize(
    ("kind", "body", "described"), [(kind, *case) for kind, case in DEFAULTS.items()], ids=DEFAULTS.keys()
)
def test_optional_fields_take_their_defaults(kind: str, body: object, described: dict[str, object]) -> None:
    assert FaultState().set(kind, body).describe() == described


@pytest.mark.parametrize(
    "name", ["active_users_limit", "business_active_users_limit", "myapp_business_active_users_limit"]
)
def test_a_business_gauge_may_be_named_short_or_as_its_exposed_metric(name: str) -> None:
    assert BusinessGaugeFault.from_body({"gauge": name, "value": 1}).gauge == "active_users_limit"


@pytest.mark.parametrize(
    "name", ["credits_consumed", "business_credits_consumed_total", "myapp_business_credits_consumed"]
)
def test_a_business_counter_may_be_named_short_or_as_its_exposed_metric(name: str) -> None:
    assert BusinessRateFault.from_body({"counter": name, "per_second": 1}).counter == "credits_consumed"


def test_latency_spreads_the_delay_evenly_around_its_mean() -> None:
    fault = LatencyFault(delay_seconds=1.0, jitter_seconds=0.25)

    assert [fault.decide(0.0, jitter) for jitter in (0.0, 0.5, 1.0)] == [0.75, 1.0, 1.25]


def test_latency_jitter_never_makes_a_negative_delay() -> None:
    assert LatencyFault(delay_seconds=0.1, jitter_seconds=1.0).decide(0.0, 0.0) == 0.0


def test_latency_delays_only_the_requests_whose_draw_falls_below_the_ratio() -> None:
    faults = state_drawing(0.2, 0.5, 0.7, 0.5)
    faults.set("latency", {"delay_seconds": 2, "ratio": 0.5})

    assert [faults.latency_seconds(), faults.latency_seconds()] == [2.0, None]


def test_no_latency_fault_means_no_delay() -> None:
    assert FaultState().latency_seconds() is None


def test_slow_query_adds_its_sleep_to_the_requests_whose_draw_falls_below_the_ratio() -> None:
    faults = state_drawing(0.1, 0.9)
    faults.set("slow_query", {"seconds": 3, "ratio": 0.5})

    assert [faults.slow_query_seconds(), faults.slow_query_seconds()] == [3.0, None]


def test_a_slow_query_can_end_in_a_query_timeout_so_503_starts_at_zero() -> None:
    assert SlowQueryFault(seconds=1).response_statuses() == frozenset({503})


def test_cache_miss_forces_the_lookups_whose_draw_falls_below_the_ratio() -> None:
    faults = state_drawing(0.29, 0.3)
    faults.set("cache_miss", {"ratio": 0.3})

    assert [faults.cache_miss_forced(), faults.cache_miss_forced()] == [True, False]


def test_without_faults_no_lookup_is_forced_to_miss_and_no_job_fails() -> None:
    faults = FaultState()

    assert (faults.cache_miss_forced(), faults.job_fails()) == (False, False)


@pytest.mark.parametrize(
    ("ratio", "draw", "fails"), [(1.0, 0.999, True), (0.0, 0.0, False), (0.5, 0.49, True), (0.5, 0.5, False)]
)
def test_a_job_fails_when_its_draw_falls_below_the_ratio(ratio: float, draw: float, fails: bool) -> None:
    assert JobFailureFault(ratio=ratio).decide(draw) is fails
    assert CacheMissFault(ratio=ratio).decide(draw) is fails


def test_slow_jobs_lengthen_the_jobs_whose_draw_falls_below_the_ratio() -> None:
    faults = state_drawing(0.1, 0.6)
    faults.set("slow_jobs", {"seconds": 2, "ratio": 0.5})

    assert [faults.job_extra_seconds(), faults.job_extra_seconds()] == [2.0, None]


def test_no_slow_jobs_fault_means_jobs_take_their_usual_time() -> None:
    assert FaultState().job_extra_seconds() is None


def test_pool_hold_takes_the_whole_pool_by_default() -> None:
    assert PoolHoldFault().to_hold(pool_max_size=10) == 10


def test_pool_hold_takes_no_more_than_the_pool_can_lend() -> None:
    assert PoolHoldFault(connections=50).to_hold(pool_max_size=10) == 10
    assert PoolHoldFault(connections=3).to_hold(pool_max_size=10) == 3


def test_pool_hold_can_make_requests_answer_503_so_that_series_starts_at_zero() -> None:
    assert PoolHoldFault().response_statuses() == frozenset({503})


def test_a_memory_leak_grows_at_its_rate() -> None:
    leak = MemoryLeakFault(megabytes_per_second=20)

    assert [leak.target_megabytes(seconds) for seconds in (0.0, 0.5, 1.0, 2.55)] == [0, 10, 20, 51]


def test_a_memory_leak_never_grows_beyond_its_cap() -> None:
    leak = MemoryLeakFault(megabytes_per_second=100, cap_megabytes=64)

    assert leak.target_megabytes(0.6) == 60
    assert leak.target_megabytes(3600.0) == 64


def test_a_cache_fill_adds_what_takes_redis_to_its_fraction_of_maxmemory() -> None:
    fill = CacheFillFault(fraction=0.95)

    assert fill.bytes_to_add(used_bytes=1_000_000, max_bytes=64 * 1024 * 1024) == 62_753_421


def test_a_cache_fill_adds_nothing_once_redis_is_at_its_fraction() -> None:
    fill = CacheFillFault(fraction=0.8)

    assert fill.bytes_to_add(used_bytes=60_000_000, max_bytes=64 * 1024 * 1024) == 0


def test_pacing_catches_up_with_the_rate_from_the_start() -> None:
    assert paced(per_second=10, elapsed_seconds=1.0, done=0) == 10
    assert paced(per_second=10, elapsed_seconds=1.05, done=10) == 0
    assert paced(per_second=10, elapsed_seconds=2.0, done=10) == 10


def test_pacing_below_one_per_tick_does_one_each_time_a_whole_one_is_due() -> None:
    done = 0
    counts = []
    for tick in range(1, 11):
        count = paced(per_second=0.5, elapsed_seconds=tick * 0.5, done=done)
        counts.append(count)
        done += count

    assert counts == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]  # one every 2 s


def test_pacing_never_asks_for_a_negative_amount() -> None:
    assert paced(per_second=1, elapsed_seconds=1.0, done=5) == 0


def test_a_backlog_producer_and_a_business_rate_pace_from_their_own_rates() -> None:
    assert QueueBacklogFault(produce_per_second=250).due(elapsed_seconds=0.1, produced=0) == 25
    assert BusinessRateFault(counter="signups", per_second=4).due(elapsed_seconds=1.0, added=3) == 1
