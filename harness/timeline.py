"""What happened in a run, as small frozen records, ordered by time.

The observer and the witnesses produce these records; judges read them through `Timeline`'s
few queries; the DataFrame (`Timeline.frame()`) exists only for the CSV and the plots.

    Mark            a phase or a fault switching on or off (the runner's own record)
    AlertState      Prometheus's state of an alert changed (pending, firing, inactive)
    RoutingState    Alertmanager's view of an alert changed (active, suppressed: inhibited / silenced; receivers)
    Delivery        one alert in one notification the sink received, with that alert's own status
    Sample          a sampled query's values at one moment (one value per series)
    MetricSeen      a metric_present query first returned a series
    Gap             from `start` to `end` a source could not be read: what happened then is unknown
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Literal, TypeVar, Union

import pandas as pd

AlertStateName = Literal["pending", "firing", "inactive"]
GapSource = Literal["prometheus", "alertmanager", "sink", "observer", "load", "witness"]


@dataclass(frozen=True)
class Mark:
    t: float
    source: Literal["phase", "fault"]
    name: str
    state: str
    detail: str = ""


@dataclass(frozen=True)
class AlertState:
    t: float
    name: str
    state: AlertStateName
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)


@dataclass(frozen=True)
class RoutingState:
    """Alertmanager's record of one alert: routed to `receivers`, or suppressed by an inhibition or a silence."""

    t: float
    name: str
    state: str  # active | suppressed | unprocessed | gone
    receivers: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    silenced_by: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One alert of one notification. An unattributed notification has `name` "" and `attributed` False."""

    t: float
    name: str
    status: str  # firing | resolved | unknown
    receiver: str
    kind: str
    delivery_id: int
    accepted: bool = True
    refusal: str = ""
    attributed: bool = True


@dataclass(frozen=True)
class Sample:
    t: float
    name: str
    values: tuple[float, ...]

    @property
    def highest(self) -> float | None:
        return max(self.values) if self.values else None

    @property
    def lowest(self) -> float | None:
        return min(self.values) if self.values else None


@dataclass(frozen=True)
class MetricSeen:
    t: float
    name: str
    series: int


@dataclass(frozen=True)
class Gap:
    """A span in which `source` could not be read; `end` is None while it is still open."""

    start: float
    source: GapSource
    reason: str
    end: float | None = None

    @property
    def t(self) -> float:
        return self.start

    def overlaps(self, start: float, end: float) -> bool:
        return self.start <= end and (self.end is None or self.end >= start)

    def describe(self, origin: float = 0.0) -> str:
        until = "the end" if self.end is None else f"{self.end - origin:.1f} s"
        what = "no load" if self.source == "load" else f"{self.source} unreadable"
        return f"{what} from {self.start - origin:.1f} s to {until} ({self.reason})"


Event = Union[Mark, AlertState, RoutingState, Delivery, Sample, MetricSeen, Gap]
E = TypeVar("E", Mark, AlertState, RoutingState, Delivery, Sample, MetricSeen, Gap)


@dataclass(frozen=True)
class Timeline:
    events: tuple[Event, ...] = field(default=())

    @classmethod
    def of(cls, events: Iterable[Event]) -> Timeline:
        return cls(tuple(sorted(events, key=lambda event: event.t)))

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of_type(self, kind: type[E], name: str | None = None, since: float | None = None) -> list[E]:
        return [
            event for event in self.events
            if isinstance(event, kind) and (name is None or getattr(event, "name", None) == name)
            and (since is None or event.t >= since)
        ]

    def alert_states(self, name: str | None = None, since: float | None = None) -> list[AlertState]:
        return self.of_type(AlertState, name, since)

    def deliveries(self, name: str | None = None, since: float | None = None) -> list[Delivery]:
        return self.of_type(Delivery, name, since)

    def routing(self, name: str | None = None) -> list[RoutingState]:
        return self.of_type(RoutingState, name)

    def samples(self, name: str, since: float | None = None) -> list[Sample]:
        return self.of_type(Sample, name, since)

    def gaps(self) -> list[Gap]:
        return self.of_type(Gap)

    def firing_spans(self, name: str, until: float) -> list[tuple[float, float]]:
        """When the alert was firing (any of its series), as (start, end) spans; an open span ends at `until`."""
        spans: list[tuple[float, float]] = []
        firing: set[tuple[tuple[str, str], ...]] = set()
        opened = 0.0
        for state in self.alert_states(name):
            was = bool(firing)
            if state.state == "firing":
                firing.add(state.labels)
            else:
                firing.discard(state.labels)
            if firing and not was:
                opened = state.t
            elif was and not firing:
                spans.append((opened, state.t))
        if firing:
            spans.append((opened, until))
        return spans

    def with_events(self, events: Iterable[Event]) -> Timeline:
        return Timeline.of([*self.events, *events])

    def judged_from(self, start: float) -> Timeline:
        """The part of the timeline expectations judge: from `start` (the baseline) on.

        What still holds at `start` is carried over to `start`: an alert pending or firing (a
        warm-up cannot hide it), Alertmanager's last view of an alert, a metric already present,
        and a gap still open.
        """
        latest: dict[tuple[str, tuple[tuple[str, str], ...]], AlertState] = {}
        routing: dict[tuple[str, tuple[tuple[str, str], ...]], RoutingState] = {}
        carried: list[Event] = []
        for event in self.events:
            if event.t >= start:
                break
            if isinstance(event, AlertState):
                latest[(event.name, event.labels)] = event
            elif isinstance(event, RoutingState):
                routing[(event.name, event.labels)] = event
            elif isinstance(event, MetricSeen):
                carried.append(_at(event, start))
            elif isinstance(event, Gap) and (event.end is None or event.end >= start):
                carried.append(event)
        carried += [_at(state, start) for state in latest.values() if state.state in ("pending", "firing")]
        carried += [_at(state, start) for state in routing.values() if state.state != "gone"]
        return Timeline.of([*carried, *(event for event in self.events if event.t >= start)])

    def frame(self, origin: float = 0.0) -> pd.DataFrame:
        """One row per event, for the CSV and the plots: t, offset from `origin`, source, name, state, and the rest as text."""
        rows = [_row(event, origin) for event in self.events]
        return pd.DataFrame(rows, columns=["t", "offset", "source", "name", "state", "receiver", "detail"])


def _at(event: E, t: float) -> E:
    values = asdict(event)
    key = "start" if isinstance(event, Gap) else "t"
    values[key] = t
    return type(event)(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()})  # type: ignore[arg-type]


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{key}={value}" for key, value in labels)


def _row(event: Event, origin: float) -> dict[str, object]:
    base = {"t": event.t, "offset": event.t - origin, "receiver": "", "detail": ""}
    if isinstance(event, Mark):
        return base | {"source": event.source, "name": event.name, "state": event.state, "detail": event.detail}
    if isinstance(event, AlertState):
        return base | {"source": "alert", "name": event.name, "state": event.state, "detail": _labels(event.labels)}
    if isinstance(event, RoutingState):
        why = "inhibited" if event.inhibited_by else "silenced" if event.silenced_by else ""
        return base | {"source": "alertmanager", "name": event.name, "state": f"{event.state} {why}".strip(),
                       "receiver": ",".join(event.receivers), "detail": _labels(event.labels)}
    if isinstance(event, Delivery):
        outcome = "accepted" if event.accepted else f"refused: {event.refusal}"
        name = event.name if event.attributed else "(unattributed)"
        return base | {"source": "delivery", "name": name, "state": event.status, "receiver": event.receiver,
                       "detail": f"{event.kind} #{event.delivery_id} {outcome}"}
    if isinstance(event, Sample):
        return base | {"source": "sample", "name": event.name, "state": ",".join(f"{v:g}" for v in event.values)}
    if isinstance(event, MetricSeen):
        return base | {"source": "metric", "name": event.name, "state": "present", "detail": f"{event.series} series"}
    return base | {"source": "gap", "name": event.source, "state": "unreadable",
                   "detail": f"until {event.end:.2f}: {event.reason}" if event.end else f"until the end: {event.reason}"}
