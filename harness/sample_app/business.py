"""The business numbers users alert on: gauges with a baseline, counters that faults drive.

Standard library only. The metrics read these values at scrape time. Credits are linked the way
a real product links them: what is consumed while ``business_rate`` drives credits_consumed comes
off credits_remaining (never below 0), so a "credits run out within N hours" rule can be tested.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Short names, as the control API takes them (``business_`` + name is the metric).
BUSINESS_GAUGES = ("active_users", "active_users_limit", "credits_remaining")
#: Short names of the counters (``business_`` + name + ``_total`` is the metric).
BUSINESS_COUNTERS = ("credits_consumed", "signups")


class Business:
    """Baseline gauges, at most one gauge override, counter totals and the credits drained by a rate."""

    def __init__(self, active_users: float, active_users_limit: float, credits: float) -> None:
        self.baseline: Mapping[str, float] = {
            "active_users": active_users,
            "active_users_limit": active_users_limit,
            "credits_remaining": credits,
        }
        self._override: tuple[str, float] | None = None
        self._totals = {name: 0 for name in BUSINESS_COUNTERS}
        self._drained = 0

    def gauge(self, name: str) -> float:
        if self._override is not None and self._override[0] == name:
            return self._override[1]
        if name == "credits_remaining":
            return max(self.baseline[name] - self._drained, 0.0)
        return self.baseline[name]

    def gauges(self) -> dict[str, float]:
        return {name: self.gauge(name) for name in BUSINESS_GAUGES}

    def total(self, name: str) -> int:
        return self._totals[name]

    def set_gauge(self, name: str, value: float) -> None:
        """Show ``value`` for ``name``; any gauge set earlier goes back to its baseline."""
        self._override = (name, value)

    def restore_gauges(self) -> None:
        self._override = None

    def add(self, counter: str, amount: int) -> None:
        """Count ``amount`` more (a driven rate); credits consumed also come off credits remaining."""
        self._totals[counter] += amount
        if counter == "credits_consumed":
            self._drained += amount

    def stop_driving(self) -> None:
        """The rate stopped: credits remaining is back at its baseline (the counters never go back)."""
        self._drained = 0
