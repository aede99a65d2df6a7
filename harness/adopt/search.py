"""Threshold search against the real Prometheus: which intensity makes a rule fire, and which keeps it silent.

For each rule, the signal source is programmed with the series its drive names; after the rule's
window has filled, Prometheus evaluates the rule's own expression (as the stack loaded it, at the
run's time scale): a result means it fires. Intensities are tried on a wide grid until one fires
and one does not, then bisected between the two, so the silent input sits close below the
threshold and the firing one clearly above. Rules that read the same metrics or jobs are searched
one after another; the rest side by side, each on its own clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from harness import polling
from harness.adopt.drives import Drive
from harness.configs import AlertRule
from harness.thresholds import threshold_of

Progress = Callable[[str], None]

#: Decades first; the finer points after them only for rules the decades cannot bracket (a band such as
#: `code <= 199 or code >= 400` fires at every decade).
NONNEGATIVE_GRID = (1.0, 1e3, 1e-3, 1e6, 1e-6, 1e9, 0.0, 10.0, 100.0, 300.0, 0.1, 0.01, 1e4)
SIGNED_GRID = (1.0, -1.0, 1e3, -1e3, 1e-3, -1e-3, 1e6, -1e6, 0.0, 10.0, -10.0, 100.0, -100.0)
BISECTIONS = 3


@dataclass(frozen=True)
class Probe:
    intensity: float | None = None
    present: bool = True
    up: bool = True

    def describe(self) -> str:
        if not self.up:
            return "job down"
        if not self.present:
            return "series absent"
        return "ordinary" if self.intensity is None else f"intensity {self.intensity:g}"


@dataclass(frozen=True)
class Observation:
    """What Prometheus answered for one probe."""

    probe: Probe
    fires: bool
    lhs: float | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    alert: str
    drive: Drive
    fire: Observation
    silent: Observation
    probes: int
    seconds: float


@dataclass(frozen=True)
class NotFound:
    """The search could not make the rule both fire and stay silent: the evidence, not a pass."""

    alert: str
    reason: str
    probes: int
    seconds: float


Outcome = Found | NotFound
Search = Generator[Probe, Observation, "tuple[Observation, Observation] | str"]


def search(drive: Drive) -> Search:
    """Probes for one drive; the caller sends back what each showed. Returns (fire, silent) or why not."""
    if drive.mode == "up":
        return (yield from _two_states(Probe(up=False), Probe(up=True), "with its job failing", "with its job up"))
    if drive.mode == "absent":
        return (yield from _two_states(Probe(present=False), Probe(), "with the series missing", "with it present"))
    if drive.mode == "presence":
        return (yield from _two_states(Probe(), Probe(present=False), "with the series present", "with them missing"))
    return (yield from _level(drive))


def _two_states(fire: Probe, silent: Probe, fire_words: str, silent_words: str) -> Search:
    firing = yield fire
    quiet = yield silent
    if firing.fires and not quiet.fires:
        return firing, quiet
    if not firing.fires:
        return f"did not fire {fire_words}"
    return f"fired {silent_words} as well"


def _level(drive: Drive) -> Search:
    grid = SIGNED_GRID if drive.knob == "slope" else NONNEGATIVE_GRID
    seen: list[Observation] = []
    bracket: tuple[Observation, Observation] | None = None
    for intensity in grid:
        seen.append((yield Probe(intensity)))
        bracket = _bracket(seen)
        if bracket is not None:
            break
    if bracket is None:
        states = "fired" if all(o.fires for o in seen) else "stayed silent"
        return f"{states} at every intensity tried ({', '.join(f'{o.probe.intensity:g}' for o in seen)})"
    firing, quiet = bracket
    if drive.exact:  # `== 0` fires at one value: the ordinary input that did not is the silent one
        return firing, next(o for o in seen if not o.fires)
    for _ in range(BISECTIONS):
        middle = yield Probe(_between(firing.probe.intensity, quiet.probe.intensity))  # type: ignore[arg-type]
        firing, quiet = (middle, quiet) if middle.fires else (firing, middle)
    beyond = _beyond(firing.probe.intensity, quiet.probe.intensity)  # type: ignore[arg-type]
    clearly = yield Probe(beyond)
    return (clearly if clearly.fires else firing), quiet


def _bracket(seen: list[Observation]) -> tuple[Observation, Observation] | None:
    """The closest pair of intensities, one firing and one silent."""
    firing = [o for o in seen if o.fires]
    quiet = [o for o in seen if not o.fires]
    if not firing or not quiet:
        return None
    return min(((f, q) for f in firing for q in quiet),
               key=lambda pair: _distance(pair[0].probe.intensity, pair[1].probe.intensity))  # type: ignore[arg-type]


def _distance(a: float, b: float) -> float:
    if a > 0 and b > 0 or a < 0 and b < 0:
        return abs(math.log(abs(a)) - math.log(abs(b)))
    return 100.0 + abs(a - b)


def _between(a: float, b: float) -> float:
    if a > 0 and b > 0 or a < 0 and b < 0:
        return math.copysign(math.sqrt(abs(a) * abs(b)), a)
    if a == 0 or b == 0:
        other = b if a == 0 else a
        return other / 1000.0
    return (a + b) / 2.0


def _beyond(firing: float, quiet: float) -> float:
    """One bracket width further from the threshold than the firing end."""
    if firing > 0 and quiet > 0 or firing < 0 and quiet < 0:
        return firing * (firing / quiet)
    return firing + (firing - quiet)


def settle_seconds(rule: AlertRule, compress: Callable[[float], float], scrape: float, evaluation: float) -> float:
    """How long after programming the rule's window holds nothing but the new input (compressed seconds)."""
    return compress(rule.longest_range.total_seconds()) + 2 * scrape + evaluation + 0.5


@dataclass
class _Active:
    rule: AlertRule
    drives: list[Drive]
    started: float
    settle: float
    search: Search | None = None
    probe: Probe | None = None
    due: float = 0.0
    probes: int = 0
    reasons: list[str] = field(default_factory=list)


def run_searches(
    rules: dict[str, tuple[AlertRule, list[Drive]]],
    program: Callable[[dict[str, Any]], None],
    query: Callable[[str], list[dict[str, Any]]],
    settle: Callable[[AlertRule], float],
    progress: Progress = lambda _: None,
    side_by_side: int = 32,
    budget: float = float("inf"),
) -> dict[str, Outcome]:
    """Search every rule; rules that share a metric or a job never run at the same time.

    Rules still searching or waiting when `budget` seconds have passed are NotFound, saying so.
    """
    deadline = polling.now() + budget
    waiting = list(rules)
    active: dict[str, _Active] = {}
    outcomes: dict[str, Outcome] = {}

    def conflicts(name: str) -> bool:
        drive = rules[name][1][0]
        return any(interferes(drive, rules[other][1][0]) for other in active)

    def admit() -> None:
        for name in list(waiting):
            if len(active) >= side_by_side:
                return
            if not conflicts(name):
                waiting.remove(name)
                rule, drives = rules[name]
                active[name] = _Active(rule, list(drives), polling.now(), settle(rule))
                _next_drive(active[name])

    def push() -> None:
        merged: dict[str, Any] = {"series": [], "down_jobs": []}
        for state in active.values():
            if state.search is None or state.probe is None:
                continue
            drive = state.drives[0]
            part = drive.program(state.probe.intensity, present=state.probe.present, up=state.probe.up)
            merged["series"].extend(part["series"])
            merged["down_jobs"].extend(part["down_jobs"])
        program(merged)

    admit()
    push()
    while active:
        if polling.now() > deadline:
            for name in [*active, *waiting]:
                probes = active[name].probes if name in active else 0
                outcomes[name] = NotFound(name, f"not searched to the end: the search budget of {budget:.0f} s ran out "
                                                f"({probes} probes made)", probes, 0.0)
            progress(f"search budget of {budget:.0f} s spent; {len(active) + len(waiting)} rules left unsearched")
            break
        name = min(active, key=lambda n: active[n].due)
        state = active[name]
        polling.sleep(max(0.0, state.due - polling.now()))
        observation = _observe(state, query)
        state.probes += 1
        try:
            state.probe = state.search.send(observation)  # type: ignore[union-attr]
            state.due = polling.now() + state.settle
        except StopIteration as finished:
            result = finished.value
            if isinstance(result, tuple):
                fire, silent = result
                outcomes[name] = Found(name, state.drives[0], fire, silent, state.probes, polling.now() - state.started)
                progress(f"{name}: fires at {fire.probe.describe()}, silent at {silent.probe.describe()} "
                         f"({state.probes} probes)")
                del active[name]
            else:
                state.reasons.append(f"{state.drives[0].describe()}: {result}")
                state.drives.pop(0)
                if not state.drives:
                    outcomes[name] = NotFound(name, "; ".join(state.reasons), state.probes, polling.now() - state.started)
                    progress(f"{name}: never both fired and stayed silent: {state.reasons[-1]}")
                    del active[name]
                else:
                    _next_drive(state)
        admit()
        push()
    return outcomes


def _next_drive(state: _Active) -> None:
    state.search = search(state.drives[0])
    state.probe = next(state.search)
    state.due = polling.now() + state.settle


def _observe(state: _Active, query: Callable[[str], list[dict[str, Any]]]) -> Observation:
    assert state.probe is not None
    results = query(state.rule.scaled_expr)
    threshold = threshold_of(state.rule.scaled_expr)
    lhs: float | None = None
    if threshold is not None:
        values = [float(r["value"][1]) for r in query(threshold.lhs)]
        values = [v for v in values if not math.isnan(v)]
        if values:
            lhs = max(values) if threshold.fires_above else min(values)
    labels = {k: v for k, v in results[0]["metric"].items() if k != "__name__"} if results else {}
    return Observation(state.probe, bool(results), lhs, labels)


def interferes(a: Drive, b: Drive) -> bool:
    """Whether two rules' drives touch one metric or job (one failing a job the other's series are on)."""
    if a.metrics & b.metrics:
        return True
    return bool(a.mode == "up" and a.down_job in b.jobs or b.mode == "up" and b.down_job in a.jobs)
