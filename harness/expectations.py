"""Expectations with deadlines -> verdicts, from a run's evidence.

A verdict is VERIFIED, FAILED or INCONCLUSIVE. It is verified only when it is earned: the
timeline shows it, the witnesses agree, no source it needs was unreadable in the window it
needs, and a verdict of absence (stayed silent, not delivered, no alerts) held long enough
under load, with the rule's own left-hand side seen near its threshold. Inconclusive is not
verified: the gate treats it like a failure and every report says which it was.

Each verdict carries the deadline, the measured time and the theoretical window the event must
fall in (all as scaled for the run; see `harness.bounds`). One judge per expectation type, in
`harness.judges`, registered by type.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Literal

from harness.bounds import Window
from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.errors import InvalidInput
from harness.load import LoadRecord
from harness.scenario import AlertDelivered, AlertNotDelivered, AlertResolves, Scenario
from harness.timescale import TimeScale
from harness.timeline import Gap, Timeline
from harness.witnesses import WitnessAccount

Status = Literal["verified", "failed", "inconclusive"]


@dataclass(frozen=True)
class Moments:
    """Wall-clock anchors of one scenario run (unix seconds)."""

    baseline_start: float
    fault_start: float
    fault_end: float
    end: float


@dataclass(frozen=True)
class Verdict:
    expectation: str
    kind: str
    passed: bool
    detail: str
    deadline_s: float | None = None
    measured_s: float | None = None
    window: Window | None = None
    status: Status = None  # type: ignore[assignment]  # derived from `passed` unless given

    def __post_init__(self) -> None:
        if self.status is None:
            object.__setattr__(self, "status", "verified" if self.passed else "failed")
        if self.status != "verified" and self.passed:
            object.__setattr__(self, "passed", False)

    @property
    def inconclusive(self) -> bool:
        return self.status == "inconclusive"

    def slack_s(self) -> float | None:
        """How much later than the theoretical earliest moment the measured event came."""
        if self.measured_s is None or self.window is None:
            return None
        return self.measured_s - self.window.earliest


@dataclass(frozen=True)
class Evidence:
    """Everything a judge may read about one scenario run."""

    scenario: Scenario
    timeline: Timeline
    moments: Moments
    prometheus: PrometheusSettings
    alertmanager: AlertmanagerSettings
    scale: TimeScale
    witnessed: WitnessAccount = field(default_factory=WitnessAccount)
    load: LoadRecord = field(default_factory=LoadRecord)
    #: How close a poll can be to the truth: the observer's interval plus an evaluation (scaled seconds).
    tolerance: float = 1.0

    def gaps(self) -> list[Gap]:
        return [*self.timeline.gaps(), *self.witnessed.gaps, *self.load.gaps]


def evaluate(evidence: Evidence) -> list[Verdict]:
    """One verdict per expectation, in order, then the scenario-wide check that nothing paged unannounced."""
    from harness import judges

    verdicts = [
        _at_this_scale(expectation, judges.judge(expectation, evidence), evidence)
        for expectation in evidence.scenario.expectations
    ]
    unannounced = judges.unannounced(evidence)
    return verdicts + ([unannounced] if unannounced else [])


def _at_this_scale(expectation: object, verdict: Verdict, evidence: Evidence) -> Verdict:
    """A rule no compression keeps the meaning of is never verified by a compressed run."""
    alert = getattr(expectation, "alert", None)
    if evidence.scale.factor == 1 or alert is None or verdict.status == "failed":
        return verdict
    rule = next((rule for rule in evidence.prometheus.rules if rule.name == alert), None)
    if rule is None or rule.compression is None or rule.fidelity != "real-time only":
        return verdict
    return replace(
        verdict, status="inconclusive", passed=False,
        detail=f"not verified at this scale: {alert} is real-time only at ×{evidence.scale.factor:g} "
               f"({rule.compression.reason}); verify it at ×1 (the nightly suite). Seen here: {verdict.detail}",
    )


def check_receivers(scenario: Scenario, alertmanager: AlertmanagerSettings) -> None:
    """Refuse expectations naming receivers the Alertmanager config does not have, before anything starts."""
    known = known_receivers(alertmanager)
    for index, expectation in enumerate(scenario.expectations):
        named: list[str] = []
        key = "receivers"
        if isinstance(expectation, (AlertDelivered, AlertNotDelivered)):
            named = list(expectation.receivers or ())
        elif isinstance(expectation, AlertResolves):
            named, key = list(expectation.notified or ()), "notified"
        for position, receiver in enumerate(named):
            if receiver not in known:
                close = difflib.get_close_matches(receiver, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InvalidInput(
                    f"{scenario.where('expectations', index, key, position)}: no receiver named {receiver!r} in the "
                    f"Alertmanager config ({expectation.type} {expectation.alert}; receivers: "
                    f"{', '.join(known) or 'none'}).{hint}"
                )


def known_receivers(alertmanager: AlertmanagerSettings) -> list[str]:
    """Every receiver the config defines (a receiver with no notifier, a black hole, included)."""
    named = {str(receiver.get("name")) for receiver in alertmanager.raw.get("receivers") or []
             if isinstance(receiver, dict) and receiver.get("name")}
    return sorted(named | set(alertmanager.receiver_names()))
