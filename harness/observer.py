"""The observer: the live witness of a run, polling the stack into typed timeline records.

A background thread polls Prometheus (alert states, metric queries, samples), Alertmanager (each
alert's routing: receivers, inhibited or silenced) and the sink (deliveries, one record per alert
of each notification). The runner adds phases and faults.

A poll that fails is not an empty answer: it opens a `Gap` for that source, closed by the next
poll that succeeds, and a judge that needs that span cannot pass on it. An exception that would
end the polling thread is recorded as a gap lasting to the end of the run, never swallowed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from harness import polling
from harness.errors import StackError
from harness.sinks import Delivery as SinkDelivery
from harness.stack import RunningStack
from harness.timeline import AlertState, Delivery, Event, Gap, GapSource, Mark, MetricSeen, RoutingState, Sample, Timeline


@dataclass
class Observer:
    stack: RunningStack
    #: Queries whose first result is recorded (MetricSeen): the name the timeline shows -> the PromQL sent.
    queries: dict[str, str] = field(default_factory=dict)
    interval: float = 0.25
    #: Queries whose values are sampled at every poll (Sample), named likewise.
    sampled: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._open_gaps: dict[GapSource, Gap] = {}
        self._stopped = threading.Event()
        self._alert_states: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._routing: dict[tuple[str, tuple[tuple[str, str], ...]], RoutingState] = {}
        self._seen_queries: set[str] = set()
        self._seen_deliveries: set[int] = set()
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="observer", daemon=True)

    def __enter__(self) -> Observer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)
        if "observer" not in self._open_gaps:
            self._poll_recording_failure()

    def mark(self, source: str, name: str, state: str, detail: str = "") -> float:
        t = polling.now()
        self._add(Mark(t, source, name, state, detail))  # type: ignore[arg-type]
        return t

    def poll(self) -> None:
        self._read("prometheus", self._poll_prometheus)
        self._read("alertmanager", self._poll_alertmanager)
        self._read("sink", self._poll_deliveries)

    def timeline(self) -> Timeline:
        """Everything recorded so far; gaps still open are shown open (end None)."""
        with self._lock:
            return Timeline.of([*self._events, *self._open_gaps.values()])

    def _run(self) -> None:
        polling.repeat_until_stopped(self._poll_recording_failure, self.interval, self._stopped)

    def _poll_recording_failure(self) -> None:
        """Poll; an unexpected error stops the observer, and is on the record as a gap lasting to the end."""
        try:
            self.poll()
        except Exception as error:  # noqa: BLE001 - a dead observer must be on the record, whatever killed it
            message = f"the observer stopped: {type(error).__name__}: {error}"
            self.errors.append(message)
            with self._lock:
                self._open_gaps.setdefault("observer", Gap(polling.now(), "observer", message))
            self._stopped.set()

    def _read(self, source: GapSource, poll: Any) -> None:
        started = polling.now()
        try:
            poll()
        except StackError as error:
            self.errors.append(str(error))
            with self._lock:
                self._open_gaps.setdefault(source, Gap(started, source, str(error)))
            return
        with self._lock:
            gap = self._open_gaps.pop(source, None)
            if gap is not None:
                self._events.append(Gap(gap.start, source, gap.reason, polling.now()))

    def _add(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _poll_prometheus(self) -> None:
        prometheus = self.stack.prometheus
        alerts = prometheus.alerts()
        t = polling.now()
        current: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        for alert in alerts:
            key = (alert.name, tuple(sorted(alert.labels.items())))
            current[key] = alert.state
            if self._alert_states.get(key) != alert.state:
                self._add(AlertState(t, alert.name, alert.state, key[1]))  # type: ignore[arg-type]
        for key in self._alert_states.keys() - current.keys():
            self._add(AlertState(t, key[0], "inactive", key[1]))
        self._alert_states = current
        for name, expression in self.queries.items():
            if name not in self._seen_queries:
                series = prometheus.query(expression)
                if series:
                    self._seen_queries.add(name)
                    self._add(MetricSeen(polling.now(), name, len(series)))
        for name, expression in self.sampled.items():
            values = tuple(v for v in (_value(series) for series in prometheus.query(expression)) if v == v)
            self._add(Sample(polling.now(), name, values))

    def _poll_alertmanager(self) -> None:
        alerts = self.stack.alertmanager.alerts()
        t = polling.now()
        current: dict[tuple[str, tuple[tuple[str, str], ...]], RoutingState] = {}
        for alert in alerts:
            labels = tuple(sorted((alert.get("labels") or {}).items()))
            status = alert.get("status") or {}
            state = RoutingState(
                t, dict(labels).get("alertname", "?"), str(status.get("state", "unknown")),
                tuple(sorted(receiver.get("name", "?") for receiver in alert.get("receivers") or [])),
                tuple(status.get("inhibitedBy") or ()), tuple(status.get("silencedBy") or ()), labels,
            )
            key = (state.name, labels)
            current[key] = state
            if _changed(self._routing.get(key), state):
                self._add(state)
        for key in self._routing.keys() - current.keys():
            self._add(RoutingState(t, key[0], "gone", labels=key[1]))
        self._routing = current

    def _poll_deliveries(self) -> None:
        for delivery in self.stack.sink.deliveries():
            if delivery.id not in self._seen_deliveries:
                self._seen_deliveries.add(delivery.id)
                for event in delivery_events(delivery):
                    self._add(event)


def delivery_events(delivery: SinkDelivery) -> list[Delivery]:
    """One record per alert the notification names, each with its own status; one unattributed record otherwise."""
    common = dict(
        t=delivery.received_at, receiver=delivery.receiver or "?", kind=delivery.kind, delivery_id=delivery.id,
        accepted=delivery.accepted, refusal=delivery.refusal or ("" if delivery.accepted else "refused"),
    )
    if not delivery.attributed or not delivery.alerts:
        return [Delivery(name="", status=delivery.status, attributed=False, **common)]  # type: ignore[arg-type]
    return [Delivery(name=alert.name, status=alert.status, **common) for alert in delivery.alerts]  # type: ignore[arg-type]


def _changed(before: RoutingState | None, after: RoutingState) -> bool:
    if before is None:
        return True
    return (before.state, before.receivers, before.inhibited_by, before.silenced_by) != (
        after.state, after.receivers, after.inhibited_by, after.silenced_by)


def _value(series: dict[str, Any]) -> float:
    try:
        return float(series["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return float("nan")
