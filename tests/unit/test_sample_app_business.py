"""The sample app's business numbers and its memory leak: baselines, overrides, undo."""

from __future__ import annotations

from harness.sample_app.business import Business
from harness.sample_app.memory import Leak


def business() -> Business:
    return Business(active_users=120, active_users_limit=200, credits=10_000)


def test_gauges_start_at_their_baseline_and_counters_at_zero() -> None:
    numbers = business()

    assert numbers.gauges() == {"active_users": 120, "active_users_limit": 200, "credits_remaining": 10_000}
    assert (numbers.total("credits_consumed"), numbers.total("signups")) == (0, 0)


def test_a_set_gauge_shows_its_value_until_restored() -> None:
    numbers = business()

    numbers.set_gauge("active_users", 190)
    assert numbers.gauge("active_users") == 190

    numbers.restore_gauges()
    assert numbers.gauge("active_users") == 120


def test_setting_another_gauge_puts_the_first_back_at_its_baseline() -> None:
    numbers = business()
    numbers.set_gauge("active_users", 190)

    numbers.set_gauge("credits_remaining", 5)

    assert numbers.gauges() == {"active_users": 120, "active_users_limit": 200, "credits_remaining": 5}


def test_driven_credit_consumption_drains_credits_remaining() -> None:
    numbers = business()

    numbers.add("credits_consumed", 250)

    assert numbers.total("credits_consumed") == 250
    assert numbers.gauge("credits_remaining") == 9_750


def test_credits_remaining_never_goes_below_zero() -> None:
    numbers = Business(active_users=1, active_users_limit=2, credits=100)

    numbers.add("credits_consumed", 150)

    assert numbers.gauge("credits_remaining") == 0


def test_stopping_the_rate_restores_credits_remaining_but_never_lowers_a_counter() -> None:
    numbers = business()
    numbers.add("credits_consumed", 250)

    numbers.stop_driving()

    assert numbers.gauge("credits_remaining") == 10_000
    assert numbers.total("credits_consumed") == 250


def test_signups_leave_the_gauges_alone() -> None:
    numbers = business()

    numbers.add("signups", 7)

    assert numbers.total("signups") == 7
    assert numbers.gauges() == business().gauges()


def test_a_set_credits_remaining_wins_over_a_drained_one() -> None:
    numbers = business()
    numbers.add("credits_consumed", 250)

    numbers.set_gauge("credits_remaining", 42)

    assert numbers.gauge("credits_remaining") == 42


def test_a_leak_holds_whole_megabytes_and_frees_them_all() -> None:
    leak = Leak()

    leak.grow_to(3)
    held = leak.megabytes
    freed = leak.free()

    assert (held, freed, leak.megabytes) == (3, 3, 0)


def test_a_leak_never_shrinks_by_growing_to_less() -> None:
    leak = Leak()
    leak.grow_to(2)

    leak.grow_to(1)

    assert leak.megabytes == 2
    leak.free()
