"""Expectations with deadlines -> verdicts, read from a run's timeline.

Each verdict carries the deadline, the measured time and the theoretical window the event must
fall in (all as scaled for the run), so a report can say not only "it arrived in 14 s" but
"1.2 s after the earliest moment it could have":

- firing: at the earliest `for:` after the fault (a scrape and an evaluation right at the fault),
  at the latest scrape + evaluation + `for:`;
- delivery: the same, plus group_wait;
- resolution: at the earliest one evaluation after the fault ends, at the latest the rule's
  longest range window + scrape + evaluation (the window must empty of bad samples); the resolved
  notification may wait a further group_interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from harness.bounds import Bounds, Window, bounds, check_deadlines
from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.errors import InvalidInput
from harness.scenario import (
    AlertDelivered, AlertFires, AlertNotDelivered, AlertResolves, AlertSilent, Expectation, MetricCrosses, MetricPresent,
    NoAlerts, Scenario,
)
from harness.timescale import TimeScale


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

    def slack_s(self) -> float | None:
        """How much later than the theoretical earliest moment the measured event came."""
        if self.measured_s is None or self.window is None:
            return None
        return self.measured_s - self.window.earliest


def judged_from(timeline: pd.DataFrame, start: float) -> pd.DataFrame:
    """The part of a timeline expectations judge: from `start` (the baseline) on.

    What still holds at `start` is carried over as an event at `start`: an alert pending or firing
    (a warm-up cannot hide it), and a metric already present.
    """
    if timeline.empty:
        return timeline
    before = timeline[timeline["t"] < start]
    alerts = before[before["source"] == "alert"].groupby("name").tail(1)
    active = alerts[alerts["state"].isin(["pending", "firing"])]
    present = before[before["source"] == "metric"]
    carried = pd.concat([active, present]).assign(t=start)
    return pd.concat([carried, timeline[timeline["t"] >= start]]).sort_values("t", kind="stable").reset_index(drop=True)


def evaluate(
    scenario: Scenario,
    timeline: pd.DataFrame,
    moments: Moments,
    prometheus: PrometheusSettings,
    alertmanager: AlertmanagerSettings,
    scale: TimeScale,
) -> list[Verdict]:
    judge = _Judge(timeline, moments, prometheus, alertmanager, scale)
    return [judge.verdict(expectation) for expectation in scenario.expectations]


class _Judge:
    def __init__(self, timeline: pd.DataFrame, moments: Moments, prometheus: PrometheusSettings,
                 alertmanager: AlertmanagerSettings, scale: TimeScale) -> None:
        self.timeline = timeline
        self.moments = moments
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self.scale = scale

    def verdict(self, expectation: Expectation) -> Verdict:
        if isinstance(expectation, MetricPresent):
            return self._metric_present(expectation)
        if isinstance(expectation, AlertFires):
            return self._alert_fires(expectation)
        if isinstance(expectation, AlertDelivered):
            return self._alert_delivered(expectation)
        if isinstance(expectation, AlertResolves):
            return self._alert_resolves(expectation)
        if isinstance(expectation, AlertNotDelivered):
            return self._alert_not_delivered(expectation)
        if isinstance(expectation, AlertSilent):
            return self._alert_silent(expectation)
        if isinstance(expectation, MetricCrosses):
            return self._metric_crosses(expectation)
        return self._no_alerts(expectation)

    def _deadline(self, within: timedelta) -> float:
        return self.scale.compress_seconds(within.total_seconds())

    def _events(self, source: str, name: str | None = None, since: float | None = None) -> pd.DataFrame:
        frame = self.timeline[self.timeline["source"] == source]
        if name is not None:
            frame = frame[frame["name"] == name]
        if since is not None:
            frame = frame[frame["t"] >= since]
        return frame

    def _metric_present(self, expectation: MetricPresent) -> Verdict:
        deadline = self._deadline(expectation.within)
        seen = self._events("metric", expectation.query)
        title = f"metric `{expectation.query}` is scraped"
        if seen.empty:
            return Verdict(title, expectation.type, False, "the query never returned a series", deadline)
        measured = float(seen["t"].iloc[0]) - self.moments.baseline_start
        passed = measured <= deadline
        detail = f"present after {measured:.1f} s" + ("" if passed else f", later than the {deadline:.1f} s deadline")
        return Verdict(title, expectation.type, passed, detail, deadline, measured)

    def _alert_fires(self, expectation: AlertFires) -> Verdict:
        deadline = self._deadline(expectation.within)
        window = bounds(expectation.alert, self.prometheus, self.alertmanager, self.scale).fires
        title = f"{expectation.alert} goes pending, then firing"
        alerts = self._events("alert", expectation.alert)
        before = alerts[alerts["t"] < self.moments.fault_start]
        if (before["state"] == "firing").any():
            return Verdict(title, expectation.type, False, "it was already firing before the fault started", deadline, None, window)
        if not before.empty and before["state"].iloc[-1] == "pending":
            return Verdict(title, expectation.type, False, "it was already pending when the fault started", deadline, None, window)
        after = alerts[alerts["t"] >= self.moments.fault_start]
        pending = after[after["state"] == "pending"]
        firing = after[after["state"] == "firing"]
        if firing.empty:
            last = after["state"].iloc[-1] if not after.empty else "never active"
            return Verdict(title, expectation.type, False, f"never fired (last state: {last})", deadline, None, window)
        measured = float(firing["t"].iloc[0]) - self.moments.fault_start
        rule_for = self.prometheus.rule(expectation.alert).for_
        notes = []
        if rule_for > timedelta(0) and (pending.empty or float(pending["t"].iloc[0]) > float(firing["t"].iloc[0])):
            notes.append("pending was not observed before firing")
        if not pending.empty:
            notes.insert(0, f"pending after {float(pending['t'].iloc[0]) - self.moments.fault_start:.1f} s")
        notes.append(f"firing after {measured:.1f} s")
        if (before["state"] == "pending").any():
            notes.append("briefly pending during the baseline, never firing")
        passed = measured <= deadline and "pending was not observed before firing" not in notes
        return Verdict(title, expectation.type, passed, "; ".join(notes), deadline, measured, window)

    def _alert_delivered(self, expectation: AlertDelivered) -> Verdict:
        deadline = self._deadline(expectation.within)
        window = bounds(expectation.alert, self.prometheus, self.alertmanager, self.scale).delivered
        title = f"{expectation.alert} reaches exactly {', '.join(expectation.receivers)}"
        unknown = sorted(set(expectation.receivers) - set(self.alertmanager.receiver_names()))
        if unknown:
            known = ", ".join(self.alertmanager.receiver_names())
            return Verdict(title, expectation.type, False, f"no receiver named {', '.join(unknown)} (known: {known})", deadline)
        deliveries = self._events("delivery", expectation.alert, since=self.moments.fault_start)
        firing = deliveries[(deliveries["state"] == "firing") & (deliveries["detail"] == "accepted")]
        notes, times = [], []
        repeated = []
        for receiver in expectation.receivers:
            mine = firing[firing["receiver"] == receiver]
            if mine.empty:
                notes.append(f"{receiver}: nothing arrived")
                continue
            took = float(mine["t"].iloc[0]) - self.moments.fault_start
            times.append(took)
            refused = len(deliveries[(deliveries["receiver"] == receiver) & (deliveries["detail"] != "accepted")])
            notes.append(f"{receiver}: {took:.1f} s" + (f" (after {refused} refused attempts)" if refused else ""))
            if expectation.exactly_once and len(mine) > 1:
                repeated.append(f"{receiver} got it {len(mine)} times")
        notes += repeated
        others = sorted(set(deliveries["receiver"]) - set(expectation.receivers))
        if others:
            notes.append(f"also delivered to {', '.join(others)}, which should not have been")
        missing = self._missing_labels(expectation.alert, expectation.labels)
        if missing:
            notes.append(f"the firing alert lacks {missing}")
        measured = max(times) if len(times) == len(expectation.receivers) else None
        passed = measured is not None and measured <= deadline and not others and not missing and not repeated
        return Verdict(title, expectation.type, passed, "; ".join(notes), deadline, measured, window)

    def _alert_resolves(self, expectation: AlertResolves) -> Verdict:
        deadline = self._deadline(expectation.within)
        window = bounds(expectation.alert, self.prometheus, self.alertmanager, self.scale).resolves
        title = f"{expectation.alert} resolves, with resolved notifications where asked for"
        alerts = self._events("alert", expectation.alert)
        after = alerts[alerts["t"] >= self.moments.fault_end]
        if alerts.empty:
            return Verdict(title, expectation.type, False, "it never fired, so it cannot resolve", deadline, None, window)
        if alerts["state"].iloc[-1] != "inactive":
            return Verdict(title, expectation.type, False, f"still {alerts['state'].iloc[-1]} at the end of the run", deadline, None, window)
        resolved_at = float(after[after["state"] == "inactive"]["t"].iloc[0]) if not after.empty else self.moments.fault_end
        notes = [f"inactive after {resolved_at - self.moments.fault_end:.1f} s"]
        times = [resolved_at - self.moments.fault_end]
        deliveries = self._events("delivery", expectation.alert, since=self.moments.fault_start)
        notified = set(deliveries[deliveries["state"] == "firing"]["receiver"])
        resolved = deliveries[(deliveries["state"] == "resolved") & (deliveries["t"] >= self.moments.fault_end)]
        passed = True
        for receiver in sorted(notified):
            wants = self._wants_resolved(receiver)
            mine = resolved[resolved["receiver"] == receiver]
            if wants and mine.empty:
                notes.append(f"{receiver}: no resolved notification")
                passed = False
            elif wants:
                took = float(mine["t"].iloc[0]) - self.moments.fault_end
                times.append(took)
                notes.append(f"{receiver}: resolved notification after {took:.1f} s")
            elif not mine.empty:
                notes.append(f"{receiver}: sent a resolved notification although send_resolved is false")
                passed = False
            else:
                notes.append(f"{receiver}: none expected (send_resolved: false)")
        measured = max(times)
        passed = passed and measured <= deadline
        return Verdict(title, expectation.type, passed, "; ".join(notes), deadline, measured, window)

    def _missing_labels(self, alert: str, wanted: dict[str, str]) -> str:
        if not wanted:
            return ""
        firing = self._events("alert", alert, since=self.moments.fault_start)
        firing = firing[firing["state"] == "firing"]
        seen = [dict(pair.split("=", 1) for pair in labels.split(",") if "=" in pair) for labels in firing["labels"]]
        if any(all(labels.get(key) == value for key, value in wanted.items()) for labels in seen):
            return ""
        return ", ".join(f"{key}={value}" for key, value in wanted.items())

    def _alert_not_delivered(self, expectation: AlertNotDelivered) -> Verdict:
        whom = ", ".join(expectation.receivers) if expectation.receivers else "any receiver"
        why = f" ({expectation.reason})" if expectation.reason else ""
        title = f"{expectation.alert} is not delivered to {whom}{why}"
        fired = self._events("alert", expectation.alert)
        fired = fired[fired["state"] == "firing"]
        deliveries = self._events("delivery", expectation.alert, since=self.moments.baseline_start)
        if expectation.receivers is not None:
            deliveries = deliveries[deliveries["receiver"].isin(expectation.receivers)]
        notes = []
        if expectation.must_fire and fired.empty:
            notes.append("it never fired, so its suppression proves nothing")
        if not deliveries.empty:
            notes.append("delivered to " + ", ".join(sorted(set(deliveries["receiver"]))))
        detail = "; ".join(notes) or ("fired" if not fired.empty else "did not fire") + ", and nothing was delivered"
        return Verdict(title, expectation.type, not notes, detail)

    def _alert_silent(self, expectation: AlertSilent) -> Verdict:
        alerts = self._events("alert", expectation.alert)
        title = f"{expectation.alert} stays silent"
        failing = ["firing"] if expectation.allow_pending else ["pending", "firing"]
        active = alerts[alerts["state"].isin(failing)]
        if not active.empty:
            first = float(active["t"].iloc[0]) - self.moments.baseline_start
            return Verdict(title, expectation.type, False, f"went {active['state'].iloc[0]} {first:.1f} s into the run")
        pending = alerts[alerts["state"] == "pending"]
        if pending.empty:
            return Verdict(title, expectation.type, True, "never pending or firing")
        first = float(pending["t"].iloc[0]) - self.moments.baseline_start
        return Verdict(title, expectation.type, True, f"never firing (pending {len(pending)}x, first {first:.1f} s into the run)")

    def _metric_crosses(self, expectation: MetricCrosses) -> Verdict:
        deadline = self._deadline(expectation.within)
        side = f"above {expectation.above:g}" if expectation.above is not None else f"below {expectation.below:g}"
        title = f"`{expectation.query}` goes {side}"
        samples = self._events("sample", expectation.query, since=self.moments.fault_start)
        values = samples["state"].astype(float)
        crossed = samples[values > expectation.above] if expectation.above is not None else samples[values < expectation.below]
        if crossed.empty:
            last = f"{float(values.iloc[-1]):g}" if not values.empty else "no value"
            return Verdict(title, expectation.type, False, f"never did (last value: {last})", deadline)
        measured = float(crossed["t"].iloc[0]) - self.moments.fault_start
        value = float(crossed["state"].iloc[0])
        passed = measured <= deadline
        return Verdict(title, expectation.type, passed, f"{value:g} after {measured:.1f} s", deadline, measured)

    def _wants_resolved(self, receiver: str) -> bool:
        return any(e.send_resolved for e in self.alertmanager.endpoints if e.receiver == receiver)

    def _no_alerts(self, expectation: NoAlerts) -> Verdict:
        alerts = self._events("alert")
        failing = ["firing"] if expectation.allow_pending else ["pending", "firing"]
        active = alerts[alerts["state"].isin(failing)]
        deliveries = self._events("delivery")
        notes = []
        if not active.empty:
            notes.append("active: " + ", ".join(sorted(set(active["name"]))))
        if not deliveries.empty:
            notes.append("delivered: " + ", ".join(sorted(set(deliveries["name"] + " -> " + deliveries["receiver"]))))
        window = self.moments.end - self.moments.baseline_start
        pending = sorted(set(alerts[alerts["state"] == "pending"]["name"]))
        quiet = f"nothing firing or delivered in {window:.1f} s" + (
            f" (pending, never firing: {', '.join(pending)})" if pending else ", nothing pending either")
        detail = "; ".join(notes) or quiet
        return Verdict("no alert fires and nothing is delivered", expectation.type, not notes, detail)

