"""Witnesses: after a scenario, the stack's own records confirm what the observer saw, or contradict it.

- Prometheus's `ALERTS` series over the scenario, at evaluation resolution: every moment it shows
  an alert firing, the observer must have seen it firing too, and the other way round.
- Prometheus's coverage: steps at which it holds no scraped sample at all (it was down, or
  restarted and lost its storage) are gaps in the witness, named as such.
- Alertmanager's notification request counters per integration: every request Alertmanager
  counts as successful must be in the sink's record, or a notification went somewhere else.

Disagreements and gaps make the verdicts that depend on them INCONCLUSIVE; they never pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from harness.errors import StackError
from harness.timeline import Delivery, Gap, Timeline

if TYPE_CHECKING:
    from harness.stack import RunningStack

#: Alertmanager integration name -> the sink's delivery kinds it arrives as.
INTEGRATION_KINDS = {
    "slack": ("slack",), "pagerduty": ("pagerduty", "pagerduty_v1"), "email": ("email",), "webhook": ("webhook",),
}


@dataclass(frozen=True)
class Disagreement:
    """Two witnesses tell different stories about `subject` (an alert name, or `integration X`)."""

    t: float
    subject: str
    detail: str


@dataclass(frozen=True)
class WitnessAccount:
    gaps: tuple[Gap, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    confirmed: tuple[str, ...] = ()

    def about(self, subject: str) -> list[Disagreement]:
        return [d for d in self.disagreements if d.subject == subject]

    def about_deliveries(self) -> list[Disagreement]:
        return [d for d in self.disagreements if d.subject.startswith("integration ")]


def successful_requests(metrics_text: str) -> dict[str, float]:
    """Alertmanager's successful notification requests per integration, from its /metrics."""
    totals: dict[str, float] = defaultdict(float)
    failed: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(metrics_text):
        if family.name not in ("alertmanager_notification_requests", "alertmanager_notification_requests_failed"):
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                target = failed if family.name.endswith("_failed") else totals
                target[sample.labels.get("integration", "?")] += sample.value
    return {integration: totals[integration] - failed[integration] for integration in totals}


class Witnesses:
    """Take Alertmanager's counters when a scenario starts (`open`), then testify when it has ended."""

    def __init__(self, stack: RunningStack, step: float, tolerance: float) -> None:
        self.stack = stack
        self.step = step
        self.tolerance = tolerance
        self._counters_before: dict[str, float] | None = None
        self._counter_error = ""

    def open(self) -> None:
        try:
            self._counters_before = successful_requests(self.stack.alertmanager.metrics())
        except StackError as error:
            self._counter_error = str(error)

    def testify(self, observed: Timeline, start: float, end: float, scrape: float) -> WitnessAccount:
        gaps: list[Gap] = []
        disagreements: list[Disagreement] = []
        confirmed: list[str] = []
        try:
            covered = self._covered_steps(start, end, scrape)
            firing = self._firing_steps(start, end)
        except StackError as error:
            gaps.append(Gap(start, "witness", f"Prometheus's ALERTS could not be read afterwards: {error}", end))
        else:
            gaps += _coverage_gaps(covered, start, end, self.step)
            disagreements += self._compare_alerts(observed, firing, covered, end)
            confirmed.append(f"alert states confirmed by Prometheus's ALERTS at {len(covered)} evaluation steps")
        counted, problem = self._compare_counters(observed)
        if problem:
            gaps.append(Gap(start, "witness", problem, end))
        disagreements += counted
        if not problem:
            confirmed.append("deliveries confirmed by Alertmanager's notification request counters")
        return WitnessAccount(tuple(gaps), tuple(disagreements), tuple(confirmed))

    def _covered_steps(self, start: float, end: float, scrape: float) -> list[float]:
        window = max(2 * scrape, 2 * self.step)
        series = self.stack.prometheus.query_range(f"count(count_over_time(up[{round(window * 1000)}ms]))",
                                                   start, end, self.step)
        return sorted(float(t) for one in series for t, _ in one["values"])

    def _firing_steps(self, start: float, end: float) -> dict[str, set[float]]:
        firing: dict[str, set[float]] = defaultdict(set)
        for one in self.stack.prometheus.query_range('ALERTS{alertstate="firing"}', start, end, self.step):
            name = one["metric"].get("alertname", "?")
            firing[name].update(float(t) for t, _ in one["values"])
        return firing

    def _compare_alerts(self, observed: Timeline, firing: dict[str, set[float]], covered: list[float],
                        end: float) -> list[Disagreement]:
        found: list[Disagreement] = []
        names = set(firing) | {state.name for state in observed.alert_states()}
        tolerance = self.tolerance
        for name in sorted(names):
            spans = observed.firing_spans(name, end)
            unseen = [t for t in sorted(firing.get(name, ())) if not _near_any(t, spans, tolerance)]
            if unseen:
                found.append(Disagreement(unseen[0], name, (
                    f"Prometheus's ALERTS shows {name} firing at {len(unseen)} evaluation steps the observer never "
                    f"saw it firing in (first at {unseen[0]:.2f})")))
            for opened, closed in spans:
                inside = [t for t in covered if opened + tolerance <= t <= closed - tolerance]
                if inside and not any(t in firing.get(name, ()) for t in inside):
                    found.append(Disagreement(opened, name, (
                        f"the observer saw {name} firing for {closed - opened:.1f} s; Prometheus's ALERTS has no "
                        "firing sample in that span")))
        return found

    def _compare_counters(self, observed: Timeline) -> tuple[list[Disagreement], str]:
        if self._counters_before is None:
            return [], f"Alertmanager's notification counters could not be read at the start: {self._counter_error}"
        try:
            after = successful_requests(self.stack.alertmanager.metrics())
        except StackError as error:
            return [], f"Alertmanager's notification counters could not be read afterwards: {error}"
        recorded = _accepted_per_kind(observed.deliveries())
        found = []
        for integration, total in sorted(after.items()):
            sent = total - self._counters_before.get(integration, 0.0)
            kinds = INTEGRATION_KINDS.get(integration, (integration,))
            arrived = sum(recorded.get(kind, 0) for kind in kinds)
            if sent > arrived:
                found.append(Disagreement(0.0, f"integration {integration}", (
                    f"Alertmanager counts {sent:g} successful {integration} notifications, the sink recorded "
                    f"{arrived}: {sent - arrived:g} went somewhere the harness cannot see")))
        return found, ""


def _accepted_per_kind(deliveries: list[Delivery]) -> dict[str, int]:
    ids: dict[str, set[int]] = defaultdict(set)
    for delivery in deliveries:
        if delivery.accepted:
            ids[delivery.kind].add(delivery.delivery_id)
    return {kind: len(found) for kind, found in ids.items()}


def _near_any(t: float, spans: list[tuple[float, float]], tolerance: float) -> bool:
    return any(opened - tolerance <= t <= closed + tolerance for opened, closed in spans)


def _coverage_gaps(covered: list[float], start: float, end: float, step: float) -> list[Gap]:
    """Spans longer than two steps in which Prometheus holds no scraped sample."""
    gaps = []
    previous = start
    for t in [*covered, end]:
        if t - previous > 2 * step + 1e-6:
            gaps.append(Gap(previous, "witness", "Prometheus holds no scraped sample in this span (down, or restarted "
                            "and lost its storage)", t))
        previous = t
    return gaps
