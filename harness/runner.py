"""Run scenarios on a live stack: baseline under load, faults on schedule, recovery, verdicts.

Scenarios of a suite share one stack and are reset between each other (faults undone, load
stopped, alerts resolved in Prometheus and Alertmanager, the sink's record cleared).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from harness import expectations, judges, polling, schedule, waiting
from harness.progress import Transient
from harness.configs import PrometheusSettings
from harness.errors import FaultError, FaultSkipped, HarnessError, StackError
from harness.expectations import Evidence, Moments, Verdict
from harness.faults import Preparing
from harness.load import LoadProfile, LoadRun, LoadSummary, UserChange, request_budget
from harness.observer import Observer
from harness.scenario import (
    AlertDelivered, AlertFires, AlertNotDelivered, AlertResolves, AlertSilent, MetricCrosses, MetricPresent, Scenario,
    ScheduledFault,
)
from harness.thresholds import threshold_of
from harness.timeline import Timeline
from harness.witnesses import WitnessAccount, Witnesses
from harness.stack import RunningStack
from harness.compression.rewrite import compress_expression
from harness.timescale import TimeScale

Progress = Callable[[str], None]
RESET_TIMEOUT_FACTOR = 4  # a reset may take this many (scaled) rule windows before it gives up


@dataclass
class ScenarioResult:
    scenario: Scenario
    verdicts: list[Verdict] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    moments: Moments | None = None
    load: LoadSummary | None = None
    witnessed: WitnessAccount = field(default_factory=WitnessAccount)
    faults: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    wall_seconds: float = 0.0
    #: The time scale it ran at (a suite's scale, or lower where harness.limits said so).
    scale: float = 1.0
    #: Load asked against load delivered over the judged window (asked, delivered req/s; None: not compared).
    load_delivery: tuple[float | None, float | None] = (None, None)
    #: `load asked … and got …` when it got less than 95 % of it.
    load_shortfall: str = ""
    #: What the observer could not read while the scenario ran (each poll's error, in order).
    observer_errors: list[str] = field(default_factory=list)
    #: The lane it ran in (1, 2, ...; 0: it did not run) and the Docker engine that lane's stack ran on.
    lane: int = 0
    engine: str = ""

    @property
    def passed(self) -> bool:
        return (self.error is None and self.skipped is None and bool(self.verdicts)
                and all(v.status == "verified" for v in self.verdicts))

    @property
    def inconclusive(self) -> bool:
        """Not verified only because evidence was missing: no verdict failed outright."""
        return (self.error is None and self.skipped is None and any(v.inconclusive for v in self.verdicts)
                and all(v.status != "failed" for v in self.verdicts))

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.passed:
            return "verified"
        return "inconclusive" if self.inconclusive else "failed"


def run_scenario(live: RunningStack, scenario: Scenario, output_dir: Path, progress: Progress = lambda _: None) -> ScenarioResult:
    scale = live.scale
    settings = live.prometheus_settings
    result = ScenarioResult(scenario, faults=[f.fault.describe() for f in scenario.faults], scale=scale.factor)
    started = polling.monotonic()
    queries, sampled = observed_queries(scenario, scale, settings.evaluation_interval)
    sampled |= threshold_queries(scenario, settings)
    scrape = scale.compress(settings.scrape_interval).total_seconds()
    evaluation = scale.compress(settings.evaluation_interval).total_seconds()
    interval = max(0.1, min(0.5, scrape / 2))
    warmup = scale.compress_seconds(scenario.warmup.total_seconds())
    baseline = scale.compress_seconds(scenario.baseline.total_seconds())
    window_start, window_end = (scale.compress_seconds(d.total_seconds()) for d in scenario.fault_window)
    recovery = scale.compress_seconds(scenario.recovery.total_seconds())
    total = warmup + baseline + window_end + recovery
    most_users = max(scenario.load.users, getattr(scenario.load.shape, "users", 0))
    budget = scenario.load.max_requests or request_budget(most_users, scenario.load.rate_per_user, total + 30)
    profile = LoadProfile(scenario.load.users, scenario.load.rate_per_user, total + 30, budget,
                          _user_change(scenario, warmup + baseline, scale), scenario.load.workers)
    tolerance = interval + evaluation + 0.5
    witnesses = Witnesses(live, step=evaluation, tolerance=tolerance)
    witnesses.open()
    load: LoadRun | None = None
    load_ran_to_end = False
    active: list[ScheduledFault] = []
    with Observer(live, queries, interval, sampled=sampled) as observer:
        try:
            prepare_faults(live, scenario, progress)
            load = LoadRun(live.app_url, profile, output_dir / "load", run_id=live.run_id)
            load.wait_until_flowing()
            if warmup:
                observer.mark("phase", "warmup", "start")
                progress(f"{scenario.name}: warm-up {warmup:.1f} s under load, not judged")
                polling.sleep(warmup)
            baseline_start = observer.mark("phase", "baseline", "start")
            progress(f"{scenario.name}: baseline {baseline:.1f} s under {scenario.load.describe()}")
            polling.sleep(baseline)
            fault_start = baseline_start + baseline + window_start

            def watch() -> None:
                line = waiting.during_faults(scenario, observer.timeline(), fault_start, polling.now(), scale)
                if line:
                    progress(Transient(f"{scenario.name}: {line}"))

            for event in schedule.plan(scenario.faults, baseline_start + baseline, scale):  # type: ignore[arg-type]
                _sleep_until(event.t, watch)
                scheduled = event.scheduled  # type: ignore[assignment]
                if event.action == "start":
                    progress(f"{scenario.name}: fault on: {scheduled.fault.describe()}")
                    scheduled.fault.start(live)
                    active.append(scheduled)
                    observer.mark("fault", scheduled.fault.kind, "on", scheduled.fault.describe())
                else:
                    scheduled.fault.stop(live)
                    active = [other for other in active if other is not scheduled]
                    observer.mark("fault", scheduled.fault.kind, "off")
                    progress(f"{scenario.name}: fault off: {scheduled.fault.kind}")
            _sleep_until(baseline_start + baseline + window_end, watch)
            fault_end = baseline_start + baseline + window_end if scenario.has_stimulus else polling.now()
            progress(f"{scenario.name}: recovery, up to {recovery:.1f} s")

            def watch_recovery() -> None:
                line = waiting.during_recovery(scenario, observer.timeline(), fault_end, polling.now(), scale)
                if line:
                    progress(Transient(f"{scenario.name}: {line}"))

            _wait_recovery(live, scenario, observer, fault_end, recovery, watch_recovery)
            moments = Moments(baseline_start, fault_start if scenario.has_stimulus else polling.now(), fault_end,
                              polling.now())
            load_ran_to_end = load.running()
        except FaultSkipped as skipped:
            result.skipped = str(skipped)
            moments = None
        except HarnessError as error:
            result.error = f"{type(error).__name__}: {error}"
            moments = None
        finally:
            for scheduled in reversed(active):
                try:
                    scheduled.fault.stop(live)
                except FaultError as error:
                    undo = f"could not undo {scheduled.fault.kind}: {error}"
                    result.error = f"{result.error}; {undo}" if result.error else f"FaultError: {undo}"
            if load is not None:
                with contextlib.suppress(HarnessError):
                    result.load = load.stop()
    result.timeline = observer.timeline()
    result.moments = moments
    if moments is not None and load is not None:
        result.witnessed = witnesses.testify(result.timeline, moments.baseline_start, moments.end, scrape)
        record = load.record(moments.baseline_start, moments.end, load_ran_to_end, moments.fault_start)
        result.load_delivery, result.load_shortfall = (record.asked_rps, record.delivered_rps), record.shortfall
        if record.shortfall:
            progress(f"{scenario.name}: {record.shortfall}; verdicts that need steady load are inconclusive")
        evidence = Evidence(
            scenario, result.timeline.judged_from(moments.baseline_start), moments, settings,
            live.alertmanager_settings, scale, result.witnessed, record, tolerance,
        )
        result.verdicts = expectations.evaluate(evidence)
    result.observer_errors = list(observer.errors)
    result.wall_seconds = polling.monotonic() - started
    return result


def prepare_faults(live: RunningStack, scenario: Scenario, progress: Progress = lambda _: None) -> None:
    """Let each fault that has a `prepare` step set the stack's state outside its window, before the baseline."""
    for scheduled in scenario.faults:
        if isinstance(scheduled.fault, Preparing):
            progress(f"{scenario.name}: preparing {scheduled.fault.kind}")
            scheduled.fault.prepare(live)


def threshold_queries(scenario: Scenario, prometheus: PrometheusSettings) -> dict[str, str]:
    """For each alert a scenario names, its rule's left-hand side (already scaled), to sample.

    A silent alert's judge reads how near it came; for the others it is what the report plots
    against the threshold.
    """
    queries = {}
    for expectation in scenario.expectations:
        if isinstance(expectation, AlertSilent) and expectation.near <= 0:
            continue
        if isinstance(expectation, (AlertSilent, AlertFires, AlertDelivered, AlertResolves, AlertNotDelivered)):
            threshold = threshold_of(prometheus.rule(expectation.alert).scaled_expr)
            if threshold is not None:  # the silent judge itself leaves `== 0` and the like unjudged
                queries[judges.lhs_name(expectation.alert)] = threshold.lhs
    return queries


def observed_queries(
    scenario: Scenario, scale: TimeScale, evaluation_interval: timedelta
) -> tuple[dict[str, str], dict[str, str]]:
    """The expectations' PromQL as written -> as sent: written in real time, scaled like the rules."""
    present, sampled = {}, {}
    for index, expectation in enumerate(scenario.expectations):
        if isinstance(expectation, (MetricPresent, MetricCrosses)):
            where = f"{scenario.where('expectations', index, 'query')} ({expectation.type})"
            target = present if isinstance(expectation, MetricPresent) else sampled
            target[expectation.query] = compress_expression(expectation.query, scale, where).rewritten
    return present, sampled


def _user_change(scenario: Scenario, lead: float, scale: TimeScale) -> UserChange | None:
    """The scenario's ramp or spike, in scaled seconds from the moment load flows (`lead` before the baseline ends)."""
    window = scenario.load.change_window
    if window is None:
        return None
    start, end = (lead + scale.compress_seconds(d.total_seconds()) for d in window)
    return UserChange(scenario.load.shape.kind, scenario.load.shape.users, start, end)  # type: ignore[union-attr]


def reset(live: RunningStack, progress: Progress = lambda _: None) -> None:
    """Bring the stack back to quiet: every target up, no alert, fresh alerting state, an empty sink.

    Prometheus and Alertmanager are restarted: a new alert joining a group left by an earlier
    scenario is notified a group_interval late instead of after group_wait, and Prometheus keeps
    such groups alive by re-sending resolved alerts for 15 minutes. Where their storage is a tmpfs
    (as in the default stack) the restart also empties it, so no rule window holds the last
    scenario's samples.
    """
    windows = [live.scale.compress(rule.for_).total_seconds() for rule in live.prometheus_settings.rules]
    group_interval = live.scale.compress(live.alertmanager_settings.group_interval).total_seconds()
    timeout = RESET_TIMEOUT_FACTOR * (max(windows, default=0) + group_interval) + 10
    progress(f"resetting the stack (up to {timeout:.0f} s)")

    loud: list[str] = []

    def quiet() -> bool:
        loud[:] = [f"target {target} not up" for target in live.prometheus.unhealthy_targets()]
        if live.signals is None:
            loud.extend(f"alert {alert.name} {alert.state} since {alert.active_at}" for alert in live.prometheus.alerts())
        # A stack driven by a signal source is never all quiet: of a team's hundreds of rules, those
        # the next scenario does not program may fire for want of their series (absent(), say). The
        # restart below still empties every rule's state, and each scenario judges its own rules
        # from its own baseline.
        return not loud

    try:
        polling.wait_for(quiet, timeout=timeout, interval=0.5, on_error=(StackError,),
                         describe="every target up and no alert active in Prometheus")
        live.restart_alerting()
        polling.wait_for(quiet, timeout=timeout, interval=0.5, on_error=(StackError,),
                         describe="every target up and no alert active after the restart")
    except polling.Timeout as error:
        still = f"; still: {', '.join(loud)}" if loud else ""
        raise StackError(f"could not reset the stack between scenarios: {error}{still}") from error
    live.sink.clear()
    # Cleared last, not first: the last scenario's signal fault left its `outside` program, which keeps the
    # stack quiet; an empty one would make a team's absent() rules fire while the reset waits for quiet.
    if live.signals is not None:
        live.signals.clear()


def _sleep_until(t: float, watch: Callable[[], None], every: float = 0.5) -> None:
    """Sleep until wall-clock `t`, saying every `every` seconds what the scenario waits for."""
    while (left := t - polling.now()) > 0:
        watch()
        polling.sleep(min(every, left))


def _wait_recovery(live: RunningStack, scenario: Scenario, observer: Observer, fault_end: float, recovery: float,
                   watch: Callable[[], None] = lambda: None) -> None:
    """End the recovery early once every resolution the scenario expects has been seen, and its notifications.

    Not while an alert that must not be delivered is still active: an inhibition or a silence
    that lifts before its alert resolves would deliver it, and that is what the check is for.
    """
    resolving = [e.alert for e in scenario.expectations if isinstance(e, AlertResolves)]
    if not resolving:
        _sleep_until(polling.now() + recovery, watch)
        return
    suppressed = [e.alert for e in scenario.expectations if isinstance(e, AlertNotDelivered)]
    receivers = {e.alert: set(e.receivers) for e in scenario.expectations if isinstance(e, AlertDelivered)}
    settings = live.alertmanager_settings
    group_wait = live.scale.compress(settings.group_wait).total_seconds()

    def settled() -> bool:
        watch()
        timeline = observer.timeline()
        now = polling.now()
        for alert in [*resolving, *suppressed]:
            states = timeline.alert_states(alert)
            if states and (states[-1].state != "inactive" or now - states[-1].t < group_wait):
                return False
        for alert in resolving:
            resolved = {d.receiver for d in timeline.deliveries(alert, since=fault_end) if d.status == "resolved"}
            wanted = {r for r in receivers.get(alert, set())
                      if any(e.send_resolved for e in settings.endpoints if e.receiver == r)}
            if not wanted <= resolved:
                return False
        return True

    with contextlib.suppress(polling.Timeout):
        polling.wait_for(settled, timeout=recovery, interval=0.5, describe="recovery settled")
