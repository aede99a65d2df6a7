"""The observer: one timeline of what happened in a run, as the harness saw it.

A background thread polls Prometheus (alert states, metric queries) and the sink (deliveries);
the runner adds phases and faults. Everything lands in one pandas DataFrame ordered by time,
which the expectations read and the report shows.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import pandas as pd

from harness import polling
from harness.errors import StackError
from harness.sinks import Delivery
from harness.stack import RunningStack

COLUMNS = ["t", "source", "name", "state", "receiver", "kind", "labels", "detail"]


@dataclass(frozen=True)
class Event:
    t: float
    source: str  # phase | fault | alert | delivery | metric
    name: str
    state: str
    receiver: str = ""
    kind: str = ""
    labels: str = ""
    detail: str = ""


@dataclass
class Observer:
    stack: RunningStack
    #: Queries whose first result is recorded (source "metric"): the name the timeline shows -> the PromQL sent.
    queries: dict[str, str] = field(default_factory=dict)
    interval: float = 0.25
    #: Queries whose values are sampled into the timeline at every poll (source "sample"), named likewise.
    sampled: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._alert_states: dict[tuple[str, str], str] = {}
        self._seen_queries: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="observer", daemon=True)

    def __enter__(self) -> Observer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)
        self.poll()

    def mark(self, source: str, name: str, state: str, detail: str = "") -> float:
        t = polling.now()
        self._add(Event(t, source, name, state, detail=detail))
        return t

    def poll(self) -> None:
        try:
            self._poll_alerts()
            self._poll_deliveries()
            self._poll_queries()
            self._poll_samples()
        except StackError as error:
            self.errors.append(str(error))

    def timeline(self) -> pd.DataFrame:
        with self._lock:
            rows = [event.__dict__ for event in self.events]
        frame = pd.DataFrame(rows, columns=COLUMNS)
        return frame.sort_values("t", kind="stable").reset_index(drop=True)

    def _run(self) -> None:
        polling.repeat_until_stopped(self.poll, self.interval, self._stopped)

    def _add(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def _poll_alerts(self) -> None:
        t = polling.now()
        current: dict[tuple[str, str], str] = {}
        for alert in self.stack.prometheus.alerts():
            labels = ",".join(f"{key}={value}" for key, value in sorted(alert.labels.items()))
            current[(alert.name, labels)] = alert.state
            if self._alert_states.get((alert.name, labels)) != alert.state:
                self._add(Event(t, "alert", alert.name, alert.state, labels=labels, detail=f"activeAt {alert.active_at}"))
        for key in self._alert_states.keys() - current.keys():
            self._add(Event(t, "alert", key[0], "inactive", labels=key[1]))
        self._alert_states = current

    def _poll_deliveries(self) -> None:
        for delivery in self.stack.sink.deliveries():
            if delivery.id in self.deliveries:
                continue
            self.deliveries[delivery.id] = delivery
            for name in delivery.alertnames or ("?",):
                self._add(
                    Event(
                        delivery.received_at, "delivery", name, delivery.status, delivery.receiver or "?",
                        delivery.kind, detail="accepted" if delivery.accepted else "refused by sink",
                    )
                )

    def _poll_samples(self) -> None:
        t = polling.now()
        for name, expression in self.sampled.items():
            with contextlib.suppress(StackError):
                samples = self.stack.prometheus.query(expression)
                if samples:
                    value = sum(float(sample["value"][1]) for sample in samples)
                    self._add(Event(t, "sample", name, repr(value)))

    def _poll_queries(self) -> None:
        for name, expression in self.queries.items():
            if name in self._seen_queries:
                continue
            with contextlib.suppress(StackError):
                samples = self.stack.prometheus.query(expression)
                if samples:
                    self._seen_queries.add(name)
                    self._add(Event(polling.now(), "metric", name, "present", detail=f"{len(samples)} series"))
