"""One judge per expectation type, registered by type: each reads the evidence and gives a verdict.

Every judge says what it saw; a judge of absence (`alert_silent`, `alert_not_delivered`,
`no_alerts`) also says why the absence was earned, or gives INCONCLUSIVE naming what is missing.
The registry is exhaustive: an expectation type without a judge is a programming error caught
at import, never a fall-through to some other judge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar, get_args

from harness.bounds import Bounds, bounds
from harness.expectations import Evidence, Verdict
from harness.scenario import (
    AlertDelivered, AlertFires, AlertNotDelivered, AlertResolves, AlertSilent, Expectation, MetricCrosses,
    MetricPresent, NoAlerts,
)
from harness.thresholds import threshold_of
from harness.timeline import AlertState, Delivery, Gap, GapSource, MetricSeen

X = TypeVar("X")
Judge = Callable[[Any, Evidence], Verdict]
JUDGES: dict[type, Judge] = {}
SEVERITY_RANK = {"critical": 4, "page": 4, "error": 3, "warning": 2, "info": 1}


def judges(kind: type[X]) -> Callable[[Callable[[X, Evidence], Verdict]], Callable[[X, Evidence], Verdict]]:
    def register(function: Callable[[X, Evidence], Verdict]) -> Callable[[X, Evidence], Verdict]:
        JUDGES[kind] = function
        return function

    return register


def judge(expectation: Expectation, evidence: Evidence) -> Verdict:
    return JUDGES[type(expectation)](expectation, evidence)


def lhs_name(alert: str) -> str:
    """The timeline name under which an alert's left-hand side is sampled."""
    return f"{alert} (left-hand side)"


# --- what makes a verdict inconclusive ----------------------------------------------------------------


def _blocking_gap(evidence: Evidence, sources: Iterable[GapSource], start: float, end: float) -> Gap | None:
    """The first gap in `sources` over [start, end] long enough to hide something.

    Prometheus and Alertmanager states change at evaluations, so a gap shorter than the
    tolerance (a poll plus an evaluation) hides nothing the witnesses would not catch; the
    sink keeps its whole record, so a sink gap matters only if it never closed.
    """
    wanted = set(sources) | {"observer", "witness"}
    for gap in evidence.gaps():
        if gap.source not in wanted or not gap.overlaps(start, end):
            continue
        length = (gap.end if gap.end is not None else evidence.moments.end) - gap.start
        if gap.source == "sink" and gap.end is not None:
            continue
        if gap.source in ("prometheus", "alertmanager") and length <= evidence.tolerance:
            continue
        return gap
    return None


def _doubt(evidence: Evidence, alert: str | None, sources: Iterable[GapSource], start: float, end: float,
           deliveries: bool = False) -> str:
    """Why the evidence for a verdict cannot be trusted over [start, end], or "" when it can."""
    gap = _blocking_gap(evidence, sources, start, end)
    if gap is not None:
        return gap.describe(evidence.moments.baseline_start)
    if alert is not None:
        for disagreement in evidence.witnessed.about(alert):
            return f"witnesses disagree: {disagreement.detail}"
    if deliveries:
        for disagreement in evidence.witnessed.about_deliveries():
            return f"witnesses disagree: {disagreement.detail}"
    return ""


def _load_doubt(evidence: Evidence) -> str:
    load = evidence.load
    if not load.ran_to_end:
        return "the load generator stopped before the scenario ended"
    if load.generator_errors:
        return f"the load generator itself raised {load.generator_errors} errors"
    if load.shortfall:
        return load.shortfall
    gap = _blocking_gap(evidence, ["load"], evidence.moments.baseline_start, evidence.moments.end)
    return gap.describe(evidence.moments.baseline_start) if gap and gap.source == "load" else ""


def _inconclusive(title: str, kind: str, why: str, **figures: Any) -> Verdict:
    return Verdict(title, kind, False, f"INCONCLUSIVE: {why}", status="inconclusive", **figures)


def _settle(verdict: Verdict, doubt: str) -> Verdict:
    """A verdict stands only if nothing casts doubt on its evidence."""
    if not doubt:
        return verdict
    return Verdict(verdict.expectation, verdict.kind, False, f"INCONCLUSIVE: {doubt} (it read: {verdict.detail})",
                   verdict.deadline_s, verdict.measured_s, verdict.window, status="inconclusive")


# --- helpers ---------------------------------------------------------------------------------------------


def _deadline(evidence: Evidence, within: timedelta) -> float:
    return evidence.scale.compress_seconds(within.total_seconds())


def _bounds(evidence: Evidence, alert: str) -> Bounds:
    return bounds(alert, evidence.prometheus, evidence.alertmanager, evidence.scale)


def _active_at(states: list[AlertState], t: float) -> set[str]:
    """The states ("pending", "firing") of the alert's series at moment t."""
    latest: dict[tuple[tuple[str, str], ...], str] = {}
    for state in states:
        if state.t > t:
            break
        latest[state.labels] = state.state
    return {state for state in latest.values() if state != "inactive"}


def _wants_resolved(evidence: Evidence, receiver: str) -> bool:
    return any(e.send_resolved for e in evidence.alertmanager.endpoints if e.receiver == receiver)


def _since_baseline(evidence: Evidence, t: float) -> float:
    return t - evidence.moments.baseline_start


# --- judges ---------------------------------------------------------------------------------------------


@judges(MetricPresent)
def metric_present(expectation: MetricPresent, evidence: Evidence) -> Verdict:
    deadline = _deadline(evidence, expectation.within)
    seen = evidence.timeline.of_type(MetricSeen, expectation.query)
    title = f"metric `{expectation.query}` is scraped"
    start = evidence.moments.baseline_start
    if not seen:
        verdict = Verdict(title, expectation.type, False, "the query never returned a series", deadline)
        return _settle(verdict, _doubt(evidence, None, ["prometheus"], start, start + deadline))
    measured = seen[0].t - start
    passed = measured <= deadline
    detail = f"present after {measured:.1f} s" + ("" if passed else f", later than the {deadline:.1f} s deadline")
    return Verdict(title, expectation.type, passed, detail, deadline, measured)


@judges(AlertFires)
def alert_fires(expectation: AlertFires, evidence: Evidence) -> Verdict:
    deadline = _deadline(evidence, expectation.within)
    window = _bounds(evidence, expectation.alert).fires
    title = f"{expectation.alert} goes pending, then firing"
    moments = evidence.moments
    states = evidence.timeline.alert_states(expectation.alert)
    before = [s for s in states if s.t < moments.fault_start]
    after = [s for s in states if s.t >= moments.fault_start]
    doubt = _doubt(evidence, expectation.alert, ["prometheus"], moments.fault_start, moments.fault_start + deadline)
    if any(s.state == "firing" for s in before):
        return _settle(Verdict(title, expectation.type, False, "it was already firing before the fault started",
                               deadline, None, window), doubt)
    if "pending" in _active_at(before, moments.fault_start):
        return _settle(Verdict(title, expectation.type, False, "it was already pending when the fault started",
                               deadline, None, window), doubt)
    firing = [s for s in after if s.state == "firing"]
    pending = [s for s in after if s.state == "pending"]
    if not firing:
        last = after[-1].state if after else "never active"
        return _settle(Verdict(title, expectation.type, False, f"never fired (last state: {last})", deadline, None,
                               window), doubt)
    measured = firing[0].t - moments.fault_start
    notes = []
    unseen_pending = evidence.prometheus.rule(expectation.alert).for_ > timedelta(0) and (
        not pending or pending[0].t > firing[0].t)
    if pending:
        notes.append(f"pending after {pending[0].t - moments.fault_start:.1f} s")
    if unseen_pending:
        notes.append("pending was not observed before firing")
    notes.append(f"firing after {measured:.1f} s")
    if any(s.state == "pending" for s in before):
        notes.append("briefly pending during the baseline, never firing")
    passed = measured <= deadline and not unseen_pending
    verdict = Verdict(title, expectation.type, passed, "; ".join(notes), deadline, measured, window)
    return _settle(verdict, _doubt(evidence, expectation.alert, ["prometheus"], moments.fault_start,
                                   moments.fault_start + measured))


@judges(AlertDelivered)
def alert_delivered(expectation: AlertDelivered, evidence: Evidence) -> Verdict:
    deadline = _deadline(evidence, expectation.within)
    window = _bounds(evidence, expectation.alert).delivered
    title = f"{expectation.alert} reaches exactly {', '.join(expectation.receivers)}"
    moments = evidence.moments
    unknown = sorted(set(expectation.receivers) - set(evidence.alertmanager.receiver_names()))
    if unknown:
        known = ", ".join(evidence.alertmanager.receiver_names())
        return Verdict(title, expectation.type, False, f"no receiver named {', '.join(unknown)} (known: {known})",
                       deadline)
    deliveries = [d for d in evidence.timeline.deliveries(expectation.alert, since=moments.fault_start)
                  if d.status == "firing"]
    accepted = [d for d in deliveries if d.accepted]
    notes, times, repeated = [], [], []
    for receiver in expectation.receivers:
        mine = [d for d in accepted if d.receiver == receiver]
        refused = [d for d in deliveries if d.receiver == receiver and not d.accepted]
        if not mine:
            notes.append(f"{receiver}: nothing arrived" + (
                f"; {len(refused)} attempts refused as the real service would ({refused[-1].refusal})" if refused else ""))
            continue
        took = mine[0].t - moments.fault_start
        times.append(took)
        notes.append(f"{receiver}: {took:.1f} s" + (f" (after {len(refused)} refused attempts)" if refused else ""))
        if expectation.exactly_once and len({d.delivery_id for d in mine}) > 1:
            repeated.append(f"{receiver} got it {len({d.delivery_id for d in mine})} times")
    notes += repeated
    others = sorted({d.receiver for d in accepted} - set(expectation.receivers))
    if others:
        notes.append(f"also delivered to {', '.join(others)}, which should not have been")
    missing = _missing_labels(evidence, expectation.alert, expectation.labels)
    if missing:
        notes.append(f"the firing alert lacks {missing}")
    measured = max(times) if len(times) == len(expectation.receivers) else None
    passed = measured is not None and measured <= deadline and not others and not missing and not repeated
    verdict = Verdict(title, expectation.type, passed, "; ".join(notes), deadline, measured, window)
    return _settle(verdict, _doubt(evidence, None, ["sink"], moments.fault_start, moments.fault_start + deadline,
                                   deliveries=True))


def _missing_labels(evidence: Evidence, alert: str, wanted: dict[str, str]) -> str:
    if not wanted:
        return ""
    firing = [s for s in evidence.timeline.alert_states(alert, since=evidence.moments.fault_start)
              if s.state == "firing"]
    if any(all(dict(s.labels).get(key) == value for key, value in wanted.items()) for s in firing):
        return ""
    return ", ".join(f"{key}={value}" for key, value in wanted.items())


@judges(AlertResolves)
def alert_resolves(expectation: AlertResolves, evidence: Evidence) -> Verdict:
    deadline = _deadline(evidence, expectation.within)
    window = _bounds(evidence, expectation.alert).resolves
    title = f"{expectation.alert} resolves, with resolved notifications where asked for"
    moments = evidence.moments
    states = evidence.timeline.alert_states(expectation.alert)
    doubt = _doubt(evidence, expectation.alert, ["prometheus", "sink"], moments.fault_start, moments.end,
                   deliveries=True)

    def failed(detail: str) -> Verdict:
        return _settle(Verdict(title, expectation.type, False, detail, deadline, None, window), doubt)

    if not any(s.state == "firing" for s in states):
        return failed("it never fired, so it cannot resolve" + (" (it was only pending)" if states else ""))
    if not _active_at(states, moments.fault_end):
        gone = max(s.t for s in states if s.t <= moments.fault_end) if any(
            s.t <= moments.fault_end for s in states) else moments.fault_end
        return failed(f"it went inactive {moments.fault_end - gone:.1f} s before the fault ended, so its resolution "
                      "was not caused by the fault ending")
    if _active_at(states, moments.end):
        return failed(f"still {'firing' if 'firing' in _active_at(states, moments.end) else 'pending'} at the end "
                      "of the run")
    after = [s for s in states if s.t >= moments.fault_end]
    resolved_at = next((s.t for s in after if not _active_at(states, s.t)), moments.fault_end)
    notes = [f"inactive after {resolved_at - moments.fault_end:.1f} s"]
    times = [resolved_at - moments.fault_end]
    deliveries = [d for d in evidence.timeline.deliveries(expectation.alert, since=moments.fault_start) if d.accepted]
    notified = {d.receiver for d in deliveries if d.status == "firing"}
    resolved = [d for d in deliveries if d.status == "resolved" and d.t >= moments.fault_end]
    passed = True
    if expectation.notified is not None:
        notified |= set(expectation.notified)
    for receiver in sorted(notified):
        wants = (receiver in expectation.notified) if expectation.notified is not None else _wants_resolved(
            evidence, receiver)
        mine = [d for d in resolved if d.receiver == receiver]
        if wants and not mine:
            notes.append(f"{receiver}: no resolved notification")
            passed = False
        elif wants:
            took = mine[0].t - moments.fault_end
            times.append(took)
            notes.append(f"{receiver}: resolved notification after {took:.1f} s")
        elif mine:
            why = "the scenario does not name it" if expectation.notified is not None else "send_resolved is false"
            notes.append(f"{receiver}: sent a resolved notification although {why}")
            passed = False
        else:
            notes.append(f"{receiver}: none expected (send_resolved: false)")
    measured = max(times)
    verdict = Verdict(title, expectation.type, passed and measured <= deadline, "; ".join(notes), deadline, measured,
                      window)
    return _settle(verdict, doubt)


@judges(AlertNotDelivered)
def alert_not_delivered(expectation: AlertNotDelivered, evidence: Evidence) -> Verdict:
    whom = ", ".join(expectation.receivers) if expectation.receivers else "any receiver"
    why = f" ({expectation.reason})" if expectation.reason else ""
    title = f"{expectation.alert} is not delivered to {whom}{why}"
    kind = expectation.type
    moments = evidence.moments
    unknown = sorted(set(expectation.receivers or ()) - set(evidence.alertmanager.receiver_names()))
    if unknown:
        return Verdict(title, kind, False, f"no receiver named {', '.join(unknown)} (known: "
                                           f"{', '.join(evidence.alertmanager.receiver_names())})")
    deliveries = [d for d in evidence.timeline.deliveries(expectation.alert, since=moments.baseline_start)
                  if d.status == "firing" and (expectation.receivers is None or d.receiver in expectation.receivers)]
    doubt = _doubt(evidence, expectation.alert, ["prometheus", "sink", "alertmanager"], moments.baseline_start,
                   moments.end, deliveries=True)
    if deliveries:
        first = deliveries[0]
        return _settle(Verdict(title, kind, False, "delivered to " + ", ".join(sorted({d.receiver for d in deliveries}))
                               + f" (first {_since_baseline(evidence, first.t):.1f} s into the run)"), doubt)
    spans = evidence.timeline.firing_spans(expectation.alert, moments.end)
    if not spans:
        if expectation.must_fire:
            return _inconclusive(title, kind, doubt or "it never fired, so its suppression proves nothing")
        return _settle(Verdict(title, kind, True, "did not fire, and nothing was delivered"), doubt)
    longest = max(end - start for start, end in spans)
    due = evidence.scale.compress(evidence.alertmanager.group_wait).total_seconds() + evidence.tolerance
    if longest < due:
        return _inconclusive(title, kind, f"it fired for only {longest:.1f} s, less than the {due:.1f} s after which "
                                          "a notification would have been due (group_wait and a poll)")
    reason = _proven_reason(expectation, evidence)
    if reason:
        return _settle(Verdict(title, kind, False, reason), doubt)
    proof = f", and Alertmanager showed it {expectation.reason.replace('_', ' ')}" if expectation.reason else ""
    return _settle(Verdict(title, kind, True, f"fired for {longest:.1f} s, nothing was delivered{proof}"), doubt)


def _proven_reason(expectation: AlertNotDelivered, evidence: Evidence) -> str:
    """Why the claimed reason is not what Alertmanager showed, or "" when it is (or none is claimed)."""
    if expectation.reason is None:
        return ""
    views = [v for v in evidence.timeline.routing(expectation.alert) if v.state != "gone"]
    if not views:
        return f"Alertmanager never listed {expectation.alert}, so it cannot have been {expectation.reason}"
    if expectation.reason == "inhibited" and any(v.inhibited_by for v in views):
        return ""
    if expectation.reason == "silenced" and any(v.silenced_by for v in views):
        return ""
    if expectation.reason == "not_routed":
        routed = sorted({r for v in views for r in v.receivers} & set(expectation.receivers or ()))
        return f"Alertmanager routed it to {', '.join(routed)}" if routed else ""
    seen = sorted({f"{v.state}" + (" inhibited" if v.inhibited_by else "") + (" silenced" if v.silenced_by else "")
                   + f" -> {','.join(v.receivers) or 'no receiver'}" for v in views})
    return f"Alertmanager never showed it {expectation.reason} (it showed: {'; '.join(seen)})"


@judges(AlertSilent)
def alert_silent(expectation: AlertSilent, evidence: Evidence) -> Verdict:
    title = f"{expectation.alert} stays silent"
    kind = expectation.type
    moments = evidence.moments
    states = evidence.timeline.alert_states(expectation.alert)
    failing = ("firing",) if expectation.allow_pending else ("pending", "firing")
    doubt = _doubt(evidence, expectation.alert, ["prometheus", "sink"], moments.baseline_start, moments.end,
                   deliveries=True)
    active = [s for s in states if s.state in failing]
    if active:
        return _settle(Verdict(title, kind, False, f"went {active[0].state} "
                                                   f"{_since_baseline(evidence, active[0].t):.1f} s into the run"), doubt)
    delivered = evidence.timeline.deliveries(expectation.alert, since=moments.baseline_start)
    if delivered:
        return _settle(Verdict(title, kind, False, "never seen firing, yet delivered to "
                               + ", ".join(sorted({d.receiver for d in delivered}))), doubt)
    unearned = doubt or _load_doubt(evidence) or _held_too_briefly(evidence, [expectation.alert])
    notes = []
    if not unearned and evidence.scenario.has_stimulus and expectation.near > 0:
        reading, unearned = _approach(expectation, evidence)
        notes.append(reading)
    elif evidence.scenario.has_stimulus:
        notes.append("nearness to the threshold not asked for (near: 0), so this is no proof of the threshold")
    if unearned:
        return _inconclusive(title, kind, unearned)
    pending = [s for s in states if s.state == "pending"]
    notes.insert(0, "never pending or firing" if not pending else
                 f"never firing (pending {len(pending)}x, first {_since_baseline(evidence, pending[0].t):.1f} s into "
                 "the run)")
    return Verdict(title, kind, True, "; ".join(n for n in notes if n))


def _held_too_briefly(evidence: Evidence, alerts: list[str]) -> str:
    """Why the scenario's stimulus (or, without one, its observation) was too short to prove these alerts silent."""
    moments = evidence.moments
    if evidence.scenario.has_stimulus:
        held, what = moments.fault_end - moments.fault_start, "the fault held"
    else:
        held, what = moments.end - moments.baseline_start, "the run was watched"
    short = []
    for alert in alerts:
        bound = _bounds(evidence, alert)
        if held + 1e-6 < bound.pipeline:
            short.append(f"{alert} needs {bound.pipeline:.1f} s: {bound.explain('pipeline')}")
    if not short:
        return ""
    return f"{what} for {held:.1f} s, less than the rule's whole pipeline ({'; '.join(short)}), so silence proves nothing"


def _approach(expectation: AlertSilent, evidence: Evidence) -> tuple[str, str]:
    """(how near the rule's left-hand side came, why that is not near enough or "")."""
    rule = evidence.prometheus.rule(expectation.alert)
    threshold = threshold_of(rule.scaled_expr)
    if threshold is None or not threshold.comparable:
        return "no numeric threshold to approach, nearness not judged", ""
    moments = evidence.moments
    values = [v for sample in evidence.timeline.samples(lhs_name(expectation.alert), since=moments.fault_start)
              if sample.t <= moments.fault_end + evidence.tolerance for v in sample.values]
    reading = threshold.approach(values)
    if reading is None:
        return "", "the rule's left-hand side returned no value during the fault, so nothing shows it came near"
    closest, nearness = reading
    described = threshold.describe(closest, nearness)
    if nearness < expectation.near:
        return described, (f"{described}; the fault never brought it within {expectation.near:.0%} of the threshold, "
                            "so silence proves nothing about the threshold")
    return described, ""


@judges(NoAlerts)
def no_alerts(expectation: NoAlerts, evidence: Evidence) -> Verdict:
    title = "no alert fires and nothing is delivered"
    moments = evidence.moments
    failing = ("firing",) if expectation.allow_pending else ("pending", "firing")
    states = evidence.timeline.alert_states()
    active = sorted({s.name for s in states if s.state in failing})
    deliveries = evidence.timeline.deliveries(since=moments.baseline_start)
    notes = []
    if active:
        notes.append("active: " + ", ".join(active))
    if deliveries:
        notes.append("delivered: " + ", ".join(sorted({f"{d.name or '(unattributed)'} -> {d.receiver}"
                                                      for d in deliveries})))
    doubt = _doubt(evidence, None, ["prometheus", "sink"], moments.baseline_start, moments.end, deliveries=True)
    if not doubt:
        doubt = next((f"witnesses disagree: {d.detail}" for d in evidence.witnessed.disagreements), "")
    if notes:
        return _settle(Verdict(title, expectation.type, False, "; ".join(notes)), doubt)
    unearned = doubt or _load_doubt(evidence) or _held_too_briefly(
        evidence, [rule.name for rule in evidence.prometheus.rules])
    if unearned:
        return _inconclusive(title, expectation.type, unearned)
    watched = moments.end - moments.baseline_start
    pending = sorted({s.name for s in states if s.state == "pending"})
    return Verdict(title, expectation.type, True, f"nothing firing or delivered in {watched:.1f} s" + (
        f" (pending, never firing: {', '.join(pending)})" if pending else ", nothing pending either"))


@judges(MetricCrosses)
def metric_crosses(expectation: MetricCrosses, evidence: Evidence) -> Verdict:
    deadline = _deadline(evidence, expectation.within)
    above = expectation.above is not None
    side = f"above {expectation.above:g}" if above else f"below {expectation.below:g}"
    title = f"`{expectation.query}` goes {side}"
    moments = evidence.moments
    samples = evidence.timeline.samples(expectation.query, since=moments.fault_start)
    readings = [(s.t, s.highest if above else s.lowest) for s in samples]
    readings = [(t, v) for t, v in readings if v is not None]
    crossed = [(t, v) for t, v in readings if (v > expectation.above if above else v < expectation.below)]  # type: ignore[operator]
    if not crossed:
        extreme = (max if above else min)((v for _, v in readings), default=None)
        seen = f"{'highest' if above else 'lowest'} value: {extreme:g}" if extreme is not None else "no value"
        verdict = Verdict(title, expectation.type, False, f"never did ({seen})", deadline)
        return _settle(verdict, _doubt(evidence, None, ["prometheus"], moments.fault_start,
                                       moments.fault_start + deadline))
    t, value = crossed[0]
    measured = t - moments.fault_start
    return Verdict(title, expectation.type, measured <= deadline, f"{value:g} after {measured:.1f} s", deadline,
                   measured)


# --- nothing pages unannounced ------------------------------------------------------------------------


def unannounced(evidence: Evidence) -> Verdict | None:
    """Deliveries no expectation accounts for: listed; a page, or anything more severe than expected, fails."""
    scenario = evidence.scenario
    announced = {(e.alert, r) for e in scenario.expectations if isinstance(e, AlertDelivered) for r in e.receivers}
    expected_rank = max((_rank(evidence, e.alert) for e in scenario.expectations
                         if isinstance(e, (AlertDelivered, AlertFires))), default=0)
    stray: dict[tuple[str, str], Delivery] = {}
    for delivery in evidence.timeline.deliveries(since=evidence.moments.baseline_start):
        if delivery.status == "resolved" or (delivery.name, delivery.receiver) in announced:
            continue
        if delivery.name in scenario.allow_unannounced:
            continue
        stray.setdefault((delivery.name, delivery.receiver), delivery)
    if not stray:
        return None
    failing, listed = [], []
    for (name, receiver), delivery in sorted(stray.items()):
        shown = f"{name or '(unattributed)'} -> {receiver}"
        rank = _rank(evidence, name) if name else 0
        if not delivery.attributed:
            failing.append(f"{shown} (the sink could not tell which alerts it carried)")
        elif rank >= SEVERITY_RANK["critical"] or rank > expected_rank:
            failing.append(f"{shown} ({_severity(evidence, name) or 'no severity'})")
        else:
            listed.append(shown)
    detail = "; ".join(filter(None, [
        f"unannounced, failing the scenario: {', '.join(failing)}" if failing else "",
        f"unannounced, below the expected severity: {', '.join(listed)}" if listed else "",
    ]))
    hint = " (name an alert in `allow_unannounced` if it is expected here)" if failing else ""
    return Verdict("nothing pages unannounced", "unannounced", not failing, detail + hint)


def _severity(evidence: Evidence, alert: str) -> str | None:
    return next((rule.labels.get("severity") for rule in evidence.prometheus.rules if rule.name == alert), None)


def _rank(evidence: Evidence, alert: str) -> int:
    return SEVERITY_RANK.get(_severity(evidence, alert) or "", 0)


def _check_exhaustive() -> None:
    union = get_args(get_args(Expectation)[0])
    missing = [kind.__name__ for kind in union if kind not in JUDGES]
    if missing:
        raise RuntimeError(f"expectation types without a judge: {', '.join(missing)}")


_check_exhaustive()
