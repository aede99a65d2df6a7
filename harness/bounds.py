"""Theoretical windows of one alert, from the config that applies to it (scaled seconds).

Each figure comes from the part of the stack the alert actually goes through: the scrape jobs it
reads (and their timeouts), the recording rules between (their groups' evaluation delays and range
windows), its own group's evaluation interval, its `for:` and `keep_firing_for:`, and the routes its
labels select in Alertmanager (each with its own inherited group_wait and group_interval).

- fires: at the earliest `for:` (rounded up to whole evaluations) after the fault, at the latest
  scrape + scrape timeout + recording-rule delays + evaluation + `for:`;
- delivered (per receiver): the same, plus the group_wait of the route that delivers there;
- resolves: at the earliest one evaluation (or `keep_firing_for:`) after the fault ends, at the
  latest the look-back (every range window down the recording-rule chain must empty of bad samples)
  + scrape + timeout + delays + evaluation + `keep_firing_for:`; a resolved notification may wait a
  further group_interval of its route;
- pipeline: how long a fault must hold before a notification is due for sure: the range windows
  (a rate needs its whole window, and each recording rule's below it, to reach the fault's level;
  offsets only shift a window) + scrape + timeout + delays + evaluation + `for:` + the group_wait
  of the slowest route the alert takes. A "stayed silent" verdict means something only after the
  fault held this long.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from harness import lineage
from harness.configs import AlertmanagerSettings, PrometheusSettings
from harness.errors import InvalidInput
from harness.routing import MatchedRoute, every_route
from harness.scenario import AlertDelivered, AlertFires, AlertResolves, Scenario
from harness.timescale import TimeScale

What = Literal["fires", "delivered", "resolves", "pipeline"]


@dataclass(frozen=True)
class Window:
    """When an event can happen at the earliest and is due at the latest (scaled seconds)."""

    earliest: float
    latest: float


@dataclass(frozen=True)
class Term:
    """One addend of a bound: `scrape 15 s (job app)`."""

    what: str
    seconds: float
    why: str = ""

    def __str__(self) -> str:
        return f"{self.what} {self.seconds:g} s" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class RouteTimers:
    """A route the alert takes, with its timers as terms (scaled)."""

    route: MatchedRoute
    group_wait: Term
    group_interval: Term


@dataclass(frozen=True)
class Bounds:
    """Theoretical windows for one alert rule on one stack (scaled seconds)."""

    #: Until the alert's evaluation can see the fault: scrape, timeout, recording rules, evaluation.
    arrival: tuple[Term, ...]
    hold: Term
    #: How far back the alert reads, ranges and offsets, through its recording rules (resolution).
    lookback: tuple[Term, ...]
    keep_firing: Term
    #: Where the routing tree sends the alert (its labels as far as the config tells them).
    routes: tuple[RouteTimers, ...]
    #: Every route of the tree, for a receiver the alert's known labels do not reach.
    tree: tuple[RouteTimers, ...] = ()
    #: What the figures had to assume.
    notes: tuple[str, ...] = ()
    #: How long a fault takes to fill every range window the alert reads (offsets left out).
    fill: tuple[Term, ...] = ()

    @property
    def evaluation(self) -> float:
        """The alert's own evaluation interval: the last term of its arrival."""
        return self.arrival[-1].seconds

    @property
    def fires(self) -> Window:
        return Window(self.hold.seconds, _sum(self.arrival) + self.hold.seconds)

    @property
    def delivered(self) -> Window:
        """From the fastest route the alert takes to the slowest."""
        return self._delivered(self.routes)

    @property
    def resolves(self) -> Window:
        earliest = self.keep_firing.seconds or self.evaluation
        return Window(earliest, _sum(self.lookback) + _sum(self.arrival) + self.keep_firing.seconds)

    @property
    def pipeline(self) -> float:
        """How long a condition must hold before every notification of the alert is due."""
        return _sum(self._pipeline_terms())

    def delivered_to(self, receiver: str) -> Window:
        """The delivery window at `receiver`, with the group_wait of the route(s) that deliver there."""
        return self._delivered(self._routes_to(receiver))

    def resolved_to(self, receiver: str) -> Window:
        """When `receiver`'s resolved notification can come: resolution, plus its route's group_interval."""
        slowest = max(route.group_interval.seconds for route in self._routes_to(receiver))
        return Window(self.resolves.earliest, self.resolves.latest + slowest)

    def receivers(self) -> list[str]:
        """The receivers the alert is routed to, in Alertmanager's order."""
        return list(dict.fromkeys(route.route.receiver for route in self.routes))

    def explain(self, what: What = "pipeline", receiver: str | None = None) -> str:
        """The arithmetic of one bound in words, for messages: `scrape 15 s (job app) + ... + group_wait 30 s (route ...)`."""
        routes = self._routes_to(receiver) if receiver is not None else self.routes
        if what == "fires":
            terms = [*self.arrival, self.hold]
        elif what == "delivered":
            terms = [*self.arrival, self.hold, _slowest(routes, "group_wait")]
        elif what == "resolves":
            terms = [*self.lookback, *self.arrival]
            terms += [self.keep_firing] if self.keep_firing.seconds else []
            terms += [_slowest(routes, "group_interval")] if receiver is not None else []
        else:
            terms = self._pipeline_terms()
        text = " + ".join(str(term) for term in terms)
        return text + "".join(f"; {note}" for note in self.notes)

    def _pipeline_terms(self) -> list[Term]:
        return [*self.fill, *self.arrival, self.hold, _slowest(self.routes, "group_wait")]

    def _routes_to(self, receiver: str) -> tuple[RouteTimers, ...]:
        mine = tuple(route for route in self.routes if route.route.receiver == receiver)
        if mine:
            return mine
        # The alert's known labels do not lead there (series labels may): any route that delivers there could be it.
        elsewhere = tuple(route for route in self.tree if route.route.receiver == receiver)
        return elsewhere or self.tree or self.routes

    def _delivered(self, routes: tuple[RouteTimers, ...]) -> Window:
        fires = self.fires
        waits = [route.group_wait.seconds for route in routes]
        return Window(fires.earliest + min(waits), fires.latest + max(waits))


def bounds(
    alert: str,
    prometheus: PrometheusSettings,
    alertmanager: AlertmanagerSettings,
    scale: TimeScale,
    labels: dict[str, str] | None = None,
) -> Bounds:
    """The windows of `alert` (scaled by `scale`); `labels` adds labels its series are known to carry."""
    rule = prometheus.rule(alert)
    read = lineage.reading(rule, prometheus)
    notes: list[str] = []

    def scaled(duration: timedelta) -> float:
        return scale.compress(duration).total_seconds()

    arrival: list[Term] = []
    job = read.slowest_job
    if job is not None:
        which = f"job {job.name}"
        if read.guessed:
            which = f"slowest job {job.name}"
        elif len(read.jobs) > 1:
            which = f"job {job.name}, the slowest of {len(read.jobs)} it reads"
        interval, timeout = scaled(job.interval), scaled(job.timeout)
        arrival.append(Term("scrape", interval + timeout, f"every {interval:g} s, timeout {timeout:g} s; {which}"))
    if read.guessed:
        notes.append(f"the config does not tell which job writes {', '.join(read.guessed)}, so the slowest job "
                     f"({job.name if job else '?'}) stands in")
    arrival += [
        Term("evaluation", scaled(step.delay), f"recording rule {step.rule.record}, group {step.rule.group.name}")
        for step in read.steps if step.delay > timedelta(0)
    ]
    evaluation = scaled(prometheus.evaluation_of(rule.group))
    group = f"group {rule.group.name}" if rule.group is not None else "global evaluation_interval"
    arrival.append(Term("evaluation", evaluation, group))
    hold = _rounded_up(scaled(rule.for_), evaluation)
    keep = _rounded_up(scaled(rule.keep_firing_for), evaluation)
    lookback = [Term("look-back", scale.compress(look.back).total_seconds(), look.selector) for look in read.looks]
    fill = [Term("window", scale.compress(look.back).total_seconds(), look.selector) for look in read.fills]

    known = {**prometheus.external_labels, **(labels or {}), **rule.labels, "alertname": rule.name}
    tree = alertmanager.tree()
    unknown = sorted({matcher.name for route in tree.walk() for matcher in route.matchers} - set(known))
    if unknown:
        notes.append(f"routing read {rule.name} without the labels its series may add ({', '.join(unknown)})")
    return Bounds(
        arrival=tuple(arrival),
        hold=Term("for", hold, _rounding(hold, scaled(rule.for_))),
        lookback=tuple(lookback),
        keep_firing=Term("keep_firing_for", keep, _rounding(keep, scaled(rule.keep_firing_for))),
        routes=tuple(_timers(route, scaled) for route in alertmanager.routes_for(known)),
        tree=tuple(_timers(route, scaled) for route in every_route(tree)),
        notes=tuple(notes),
        fill=tuple(fill),
    )


def check_deadlines(scenario: Scenario, prometheus: PrometheusSettings, alertmanager: AlertmanagerSettings) -> None:
    """Refuse deadlines shorter than the theoretical bound, explaining the arithmetic (real time)."""
    one = TimeScale(1)
    for index, expectation in enumerate(scenario.expectations):
        if not isinstance(expectation, (AlertFires, AlertDelivered, AlertResolves)):
            continue
        labels = expectation.labels if isinstance(expectation, AlertDelivered) else None
        bound = bounds(expectation.alert, prometheus, alertmanager, one, labels)
        if isinstance(expectation, AlertFires):
            latest, why = bound.fires.latest, bound.explain("fires")
        elif isinstance(expectation, AlertDelivered):
            receiver = max(expectation.receivers, key=lambda name: bound.delivered_to(name).latest)
            latest, why = bound.delivered_to(receiver).latest, bound.explain("delivered", receiver)
        else:
            latest, why = bound.resolves.latest, bound.explain("resolves")
            for receiver in _wanting_resolved(bound, alertmanager):
                if bound.resolved_to(receiver).latest > latest:
                    latest, why = bound.resolved_to(receiver).latest, bound.explain("resolves", receiver)
        if expectation.within.total_seconds() < latest:
            raise InvalidInput(
                f"{scenario.where('expectations', index, 'within')}: {expectation.within.total_seconds():g} s is "
                f"shorter than the {latest:g} s that {expectation.type} {expectation.alert} can take ({why}). "
                f"Hint: give it at least {latest:g} s, better twice that."
            )


def _wanting_resolved(bound: Bounds, alertmanager: AlertmanagerSettings) -> list[str]:
    wanting = {endpoint.receiver for endpoint in alertmanager.endpoints if endpoint.send_resolved}
    return [receiver for receiver in bound.receivers() if receiver in wanting]


def _timers(route: MatchedRoute, scaled: Callable[[timedelta], float]) -> RouteTimers:
    where = route.describe()
    return RouteTimers(
        route, Term("group_wait", scaled(route.group_wait), where), Term("group_interval", scaled(route.group_interval), where)
    )


def _slowest(routes: tuple[RouteTimers, ...], timer: Literal["group_wait", "group_interval"]) -> Term:
    return max((getattr(route, timer) for route in routes), key=lambda term: term.seconds)


def _rounded_up(seconds: float, evaluation: float) -> float:
    """A `for:` (or keep_firing_for) ends at an evaluation: the first one at least that long after the start."""
    if seconds <= 0 or evaluation <= 0:
        return max(seconds, 0.0)
    return math.ceil(seconds / evaluation - 1e-9) * evaluation


def _rounding(rounded: float, written: float) -> str:
    return "" if abs(rounded - written) < 1e-9 else f"{written:g} s rounded up to whole evaluations"


def _sum(terms: tuple[Term, ...] | list[Term]) -> float:
    return sum(term.seconds for term in terms)
