"""Scale limits: which time scale a scenario can run at without its figures distorting what it proves.

Compressing time by N divides the scrape timeout and every rule window by N, but not the time an
exporter takes to answer, nor the CPU the harness itself spends between scenarios. So a requested
scale is checked against figures measured on the live stack (harness.measurements):

- a scrape target's answer time, healthy or under the scenario's own fault, must fit the scaled
  scrape timeout with a margin: postgres-exporter answering in 1.02 s with PostgreSQL down, against
  ×40's 0.25 s timeout, is a TargetDown, not a PostgresDown;
- for a rule reading the host's CPU (node-exporter sees the whole machine), the harness's own CPU,
  averaged over the rule's scaled window, must stay below the threshold with a margin.

Each limit says whether it holds at a scale and shows the arithmetic. A scenario runs at the
highest scale (the requested one or a whole number below it) at which every limit holds; that
arithmetic goes to the console and the report. This module is pure: no Docker, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from harness.configs import AlertRule, PrometheusSettings
from harness.errors import InvalidInput
from harness.scenario import Scenario
from harness.thresholds import threshold_of

#: A scrape must fit this many times over in the scaled timeout (answer times vary between scrapes).
SCRAPE_MARGIN = 1.2
#: The harness's own CPU share, times this, must stay under a host CPU rule's threshold.
CPU_MARGIN = 1.2
#: Faults that make a service unreachable, so that whatever watches it answers differently.
UNREACHABLE_FAULTS = frozenset({"container_stop", "container_kill", "container_pause", "network_cut"})
#: Metrics that measure the whole machine the harness runs on.
HOST_CPU_METRICS = ("node_cpu_seconds_total",)


class ScaleRefused(InvalidInput):
    """A requested time scale would distort a scenario, and the run was told not to lower it."""


@dataclass(frozen=True)
class FaultCondition:
    """A fault a scenario declares, as far as a measurement is concerned: its kind and its target."""

    kind: str
    service: str

    def describe(self) -> str:
        return f"{self.service} down ({self.kind})"


@dataclass(frozen=True)
class ScrapeFigure:
    """How long one scrape target took to answer; `condition` None means the stack was healthy."""

    job: str
    target: str
    seconds: float
    #: The measurement stopped waiting after `seconds`: the target takes at least that long.
    gave_up: bool = False
    how: str = ""
    condition: FaultCondition | None = None

    def describe(self) -> str:
        state = f" ({self.condition.describe()})" if self.condition else ""
        answer = f"gave no answer within {self.seconds:.1f} s" if self.gave_up else f"answered in {self.seconds:.2f} s"
        return f"{self.target} (job {self.job}) {answer}{state}"


@dataclass(frozen=True)
class CpuFigure:
    """The host's CPU busy share (0..1, all cores) every `step` seconds while the harness worked.

    `idle` is the share with the harness idle: a window longer than the recording is filled with it.
    """

    step: float
    samples: tuple[float, ...]
    idle: float
    activity: str
    cores: int = 1

    def peak_over(self, window: float) -> float:
        """The highest average busy share over any `window` seconds of the recording."""
        if not self.samples:
            return self.idle
        width = max(1, round(window / self.step))
        if width >= len(self.samples):
            return (sum(self.samples) + self.idle * (width - len(self.samples))) / width
        running = sum(self.samples[:width])
        best = running
        for index in range(width, len(self.samples)):
            running += self.samples[index] - self.samples[index - width]
            best = max(best, running)
        return best / width

    @property
    def peak(self) -> float:
        return max(self.samples, default=self.idle)


@dataclass(frozen=True)
class Figures:
    """Everything measured on the live stack before the scenarios ran."""

    scrapes: tuple[ScrapeFigure, ...] = ()
    cpu: CpuFigure | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        shown = [f"{figure.describe()} [{figure.how}]" for figure in self.scrapes]
        if self.cpu is not None:
            cpu = self.cpu
            shown.append(
                f"host CPU busy {cpu.idle:.0%} idle, peak {cpu.peak:.0%} while {cpu.activity} "
                f"({len(cpu.samples)} samples every {cpu.step:g} s, {cpu.cores} cores)"
            )
        return shown


class Limit(Protocol):
    """One thing a scale could distort: whether it holds at a scale, and the arithmetic either way."""

    def holds(self, scale: float) -> bool: ...

    def explain(self, scale: float) -> str: ...


@dataclass(frozen=True)
class ScrapeTimeoutLimit:
    """A target's answer time must fit the job's scaled scrape timeout, with a margin."""

    figure: ScrapeFigure
    timeout: float  # real-time seconds
    margin: float = SCRAPE_MARGIN

    def scaled_timeout(self, scale: float) -> float:
        return self.timeout / scale

    def holds(self, scale: float) -> bool:
        return self.scaled_timeout(scale) >= self.figure.seconds * self.margin

    def explain(self, scale: float) -> str:
        sign = "≥" if self.holds(scale) else "<"
        return (f"timeout {self.scaled_timeout(scale):.2f} s {sign} {self.figure.seconds:.2f} s × "
                f"{self.margin:g} margin")

    def why(self, requested: float) -> str:
        return (f"{self.figure.describe()}; at ×{requested:g} the scrape timeout of job {self.figure.job} is "
                f"{self.scaled_timeout(requested):.2f} s")


@dataclass(frozen=True)
class HostCpuLimit:
    """The harness's own CPU, averaged over a host CPU rule's scaled window, must stay under its threshold."""

    cpu: CpuFigure
    alert: str
    window: float  # real-time seconds
    threshold: float
    margin: float = CPU_MARGIN

    def peak(self, scale: float) -> float:
        return self.cpu.peak_over(self.window / scale)

    def holds(self, scale: float) -> bool:
        return self.peak(scale) * self.margin <= self.threshold

    def explain(self, scale: float) -> str:
        sign = "≤" if self.holds(scale) else ">"
        return (f"window {self.window / scale:.1f} s, peak {self.peak(scale):.2f} × {self.margin:g} margin "
                f"{sign} {self.threshold:g}")

    def why(self, requested: float) -> str:
        return (f"host CPU was {self.peak(requested):.0%} busy over {self.window / requested:.1f} s while "
                f"{self.cpu.activity} (idle {self.cpu.idle:.0%}); {self.alert} fires above {self.threshold:g} "
                f"over {_duration(self.window)}, {self.window / requested:.1f} s at ×{requested:g}")


AnyLimit = ScrapeTimeoutLimit | HostCpuLimit


@dataclass(frozen=True)
class ScaleChoice:
    """The scale one scenario runs at, and why, when it is not the requested one."""

    scenario: str
    requested: float
    chosen: float
    reasons: tuple[str, ...] = ()
    #: False when not even real time satisfies its limits: the scenario is not run, and not verified.
    faithful: bool = True

    @property
    def lowered(self) -> bool:
        return self.chosen < self.requested or not self.faithful

    def describe(self) -> str:
        if not self.faithful:
            return f"{self.scenario}: not run, no scale is faithful: " + "; ".join(self.reasons)
        if not self.lowered:
            return f"{self.scenario}: ×{self.chosen:g} as requested"
        return f"{self.scenario}: ×{self.requested:g} lowered to ×{self.chosen:g}: " + "; ".join(self.reasons)


def candidate_scales(requested: float) -> list[float]:
    """The requested scale, then every whole number below it down to 1."""
    below = range(math.ceil(requested) - 1, 0, -1)
    return [requested, *(float(n) for n in below if n < requested)]


def choose_scale(scenario: str, requested: float, limits: list[AnyLimit]) -> ScaleChoice:
    """The highest candidate scale at which every limit holds, with the arithmetic of those that lowered it.

    If even real time does not satisfy a limit, no scale is faithful and compression is not what
    distorts it: the choice says so, and the scenario is not run (a verdict would be the figure's,
    not the stack's).
    """
    broken = [limit for limit in limits if not limit.holds(requested)]
    if not broken:
        return ScaleChoice(scenario, requested, requested)
    chosen = next((scale for scale in candidate_scales(requested) if all(l.holds(scale) for l in limits)), None)
    if chosen is None:
        reasons = tuple(
            f"{limit.why(requested)}; even at ×1 ({limit.explain(1)}), so compression is not the cause"
            for limit in broken
        )
        return ScaleChoice(scenario, requested, 1.0, reasons, faithful=False)
    reasons = tuple(f"{limit.why(requested)}; highest faithful scale ×{chosen:g} ({limit.explain(chosen)})"
                    for limit in broken)
    return ScaleChoice(scenario, requested, chosen, reasons)


def fault_conditions(scenario: Scenario) -> list[FaultCondition]:
    """The scenario's faults that make a service unreachable, once each."""
    seen: list[FaultCondition] = []
    for scheduled in scenario.faults:
        service = getattr(scheduled.fault, "service", None)
        condition = FaultCondition(scheduled.fault.kind, service) if service else None
        if condition and condition.kind in UNREACHABLE_FAULTS and condition not in seen:
            seen.append(condition)
    return seen


def host_cpu_rules(scenario: Scenario, prometheus: PrometheusSettings) -> list[AlertRule]:
    """The alerts the scenario names whose rules read the whole host's CPU."""
    names = {getattr(expectation, "alert", None) for expectation in scenario.expectations} - {None}
    return [rule for rule in prometheus.rules
            if rule.name in names and any(metric in rule.expr for metric in HOST_CPU_METRICS)]


def limits_for(scenario: Scenario, figures: Figures, prometheus: PrometheusSettings) -> list[AnyLimit]:
    """Every limit that applies to one scenario: healthy scrapes, scrapes under its own faults, host CPU."""
    conditions = fault_conditions(scenario)
    timeouts = {job.name: job.timeout.total_seconds() for job in prometheus.jobs}
    default_timeout = min(prometheus.scrape_timeout, prometheus.scrape_interval).total_seconds()
    found: list[AnyLimit] = []
    for figure in figures.scrapes:
        if figure.condition is None or figure.condition in conditions:
            found.append(ScrapeTimeoutLimit(figure, timeouts.get(figure.job, default_timeout)))
    if figures.cpu is not None:
        for rule in host_cpu_rules(scenario, prometheus):
            threshold = threshold_of(rule.expr)
            if threshold is not None and threshold.comparable and threshold.fires_above:
                found.append(HostCpuLimit(figures.cpu, rule.name, rule.longest_range.total_seconds(), threshold.value))
    return found


def choose(
    scenarios: list[Scenario], figures: Figures, prometheus: PrometheusSettings, requested: float
) -> list[ScaleChoice]:
    """One choice per scenario, in suite order."""
    return [choose_scale(s.name, requested, limits_for(s, figures, prometheus)) for s in scenarios]


def refuse_lowered(choices: list[ScaleChoice]) -> None:
    """ScaleRefused listing every scenario the requested scale would distort, with the arithmetic."""
    lowered = [choice for choice in choices if choice.lowered]
    if lowered:
        raise ScaleRefused(
            f"the requested time scale ×{lowered[0].requested:g} would distort {len(lowered)} scenario(s):\n  "
            + "\n  ".join(choice.describe() for choice in lowered)
            + "\nHint: run at the scale shown, or leave out --no-lower-scale to let the harness lower it per scenario."
        )


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g}s"
