"""Scenario and suite files (YAML in scenarios/), validated once into typed models.

Durations are written in real time, as an SRE thinks of them (`within: 8m`); a run divides
them by its time scale. A scenario is a timeline: a baseline under load, faults, a recovery;
and expectations checked against what the run observed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from harness import engines, load_processes, schedule, yamlfile
from harness.errors import EngineUrlError, InvalidInput
from harness.faults import FaultSpec
from harness.timescale import bounded, parse_duration
from harness.yamlfile import Location, Place

#: Where `--suite NAME` looks when NAME is not a file: this folder of the working directory, then of the harness.
SUITES_FOLDER = Path("scenarios") / "suites"
_HARNESS_SUITES = Path(__file__).resolve().parents[1] / SUITES_FOLDER


def _duration(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return bounded(value, "duration", value)
        except InvalidInput as error:
            raise ValueError(str(error).removeprefix("duration: ")) from None
    if isinstance(value, str):
        try:
            return parse_duration(value, "duration")
        except InvalidInput as error:
            if "longer than" in str(error):
                raise ValueError(str(error).removeprefix("duration: ")) from None
            raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m") from None
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"must be longer than 0 (found {value.total_seconds():g} s)")
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError(f"must not be negative (found {value.total_seconds():g} s)")
    return value


#: Any duration: `30s`, `5m`, `1h30m`, or a number of seconds.
Duration = Annotated[timedelta, BeforeValidator(_duration)]
#: A duration that must pass: a fault's or a ramp's length, a deadline.
PositiveDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive)]
#: A moment or a phase that may be empty but not negative: `at:`, a baseline, a recovery.
OffsetDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_not_negative)]

#: A scenario's name becomes a folder of the report: no path separators, no hidden names.
_NAME = re.compile(r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]{0,99}\Z")


def _usable_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("must be 1 to 100 characters, not start with `.`, and hold no `/`, `\\` or control "
                         "characters (it names the scenario's report folder)")
    return value


Name = Annotated[str, AfterValidator(_usable_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Steady(_Strict):
    """The same number of users throughout."""

    kind: Literal["steady"] = "steady"


class Ramp(_Strict):
    """Users grow evenly from `load.users` to `users` over `duration`, starting `at` after the baseline, then hold."""

    kind: Literal["ramp"]
    users: int = Field(ge=1, le=200)
    at: OffsetDuration = timedelta(0)
    duration: PositiveDuration


class Spike(_Strict):
    """Users jump from `load.users` to `users` `at` after the baseline, hold for `duration`, then drop back."""

    kind: Literal["spike"]
    users: int = Field(ge=1, le=200)
    at: OffsetDuration = timedelta(0)
    duration: PositiveDuration


LoadShape = Annotated[Steady | Ramp | Spike, Field(discriminator="kind")]


def _workers_here(value: int) -> int:
    if value > load_processes.most_workers():
        raise ValueError(f"at most {load_processes.most_workers()} on this machine "
                         f"({load_processes.WORKERS_PER_CORE} a core); 1 runs Locust in one process")
    return value


class Load(_Strict):
    users: int = Field(default=4, ge=1, le=200)
    rate_per_user: float = Field(default=5.0, gt=0, le=100)
    max_requests: int | None = Field(
        default=None, ge=1,
        description="a cap on requests; by default the scenario's timeline x users x rate, so load covers the whole run",
    )
    shape: LoadShape = Field(default_factory=Steady)
    workers: Annotated[int, AfterValidator(_workers_here)] = Field(
        default=1, ge=1,
        description="Locust processes issuing the load: 1 is one process; more runs Locust's "
                    "distributed mode, a master and this many workers; `--load-workers` overrides it",
    )

    @property
    def change_window(self) -> tuple[timedelta, timedelta] | None:
        """(start, end) of a ramp or spike relative to the end of the baseline; None when steady."""
        if isinstance(self.shape, Steady):
            return None
        return self.shape.at, self.shape.at + self.shape.duration

    def _describe_users(self) -> str:
        steady = f"{self.users} users at {self.rate_per_user:g} req/s each"
        if isinstance(self.shape, Ramp):
            return f"{steady}, ramping to {self.shape.users} users over {self.shape.duration} from {self.shape.at}"
        if isinstance(self.shape, Spike):
            return f"{steady}, spiking to {self.shape.users} users at {self.shape.at} for {self.shape.duration}"
        return steady

    def describe(self) -> str:
        spread = f", from {self.workers} Locust workers" if self.workers > 1 else ""
        return self._describe_users() + spread


class ScheduledFault(_Strict):
    """A fault switched on `at` after the baseline ends, for `duration`."""

    at: OffsetDuration = timedelta(0)
    duration: PositiveDuration
    fault: FaultSpec


class MetricPresent(_Strict):
    type: Literal["metric_present"]
    query: str
    within: PositiveDuration = Field(description="from the start of the baseline")


class AlertFires(_Strict):
    type: Literal["alert_fires"]
    alert: str
    within: PositiveDuration = Field(description="from the first fault's (or load change's) start; pending, then firing, before this")


class AlertDelivered(_Strict):
    type: Literal["alert_delivered"]
    alert: str
    receivers: list[str] = Field(min_length=1, description="exactly these receivers, and no others")
    within: PositiveDuration = Field(description="from the first fault's (or load change's) start")
    labels: dict[str, str] = Field(default_factory=dict, description="the firing alert carries these labels")
    exactly_once: bool = Field(default=False, description="each receiver gets exactly one firing notification")


class AlertNotDelivered(_Strict):
    """The alert fires, but its notification must not arrive (inhibited, silenced, or not routed there)."""

    type: Literal["alert_not_delivered"]
    alert: str
    receivers: list[str] | None = Field(default=None, description="to none of these; by default to no receiver")
    must_fire: bool = Field(default=True, description="it must fire, or the check proves nothing")
    reason: Literal["inhibited", "silenced", "not_routed"] | None = Field(
        default=None, description="why it must not arrive; proven from Alertmanager's own view of the alert",
    )

    @model_validator(mode="after")
    def _not_routed_names_receivers(self) -> AlertNotDelivered:
        if self.reason == "not_routed" and not self.receivers:
            raise ValueError("reason not_routed needs `receivers`: Alertmanager routes every alert to some receiver")
        return self


class AlertSilent(_Strict):
    """The alert must not fire (the other side of its threshold); nothing of it is delivered either.

    A pending that never fires is what `for:` is there to absorb, so it is noted, not failed,
    unless `allow_pending` is false.
    """

    type: Literal["alert_silent"]
    alert: str
    allow_pending: bool = True
    near: float = Field(
        default=0.5, ge=0, le=1,
        description="under a fault, the rule's left-hand side must reach this fraction of its threshold (0: not required)",
    )


class MetricCrosses(_Strict):
    """A query's value goes above (or below) a threshold within a deadline of the first fault."""

    type: Literal["metric_crosses"]
    query: str
    above: float | None = None
    below: float | None = None
    within: PositiveDuration

    @model_validator(mode="after")
    def _one_threshold(self) -> MetricCrosses:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of `above` or `below`")
        return self


class AlertResolves(_Strict):
    type: Literal["alert_resolves"]
    alert: str
    within: PositiveDuration = Field(description="from the last fault's (or load change's) end; resolved, and notified where asked for")
    notified: list[str] | None = Field(
        default=None,
        description="exactly these receivers get a resolved notification; by default those whose send_resolved asks",
    )


class NoAlerts(_Strict):
    """No alert fires and nothing is delivered; pendings that never fire are noted unless `allow_pending` is false."""

    type: Literal["no_alerts"]
    allow_pending: bool = True


Expectation = Annotated[
    MetricPresent | MetricCrosses | AlertFires | AlertDelivered | AlertNotDelivered | AlertResolves | AlertSilent
    | NoAlerts,
    Field(discriminator="type"),
]


class Scenario(_Strict):
    name: Name
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    load: Load = Field(default_factory=Load)
    warmup: OffsetDuration = Field(default=timedelta(0), description="load runs before the baseline; nothing in it is judged")
    baseline: OffsetDuration = timedelta(minutes=2)
    faults: list[ScheduledFault] = Field(default_factory=list)
    recovery: OffsetDuration = timedelta(0)
    fresh_stack: bool = Field(default=False, description="boot a new stack for this scenario instead of resetting")
    allow_unannounced: list[str] = Field(
        default_factory=list, description="alerts that may be delivered although no expectation names them",
    )
    expectations: list[Expectation] = Field(min_length=1)
    path: Path | None = None
    _lines: dict[Location, int] = PrivateAttr(default_factory=dict)

    def where(self, *location: str | int) -> str:
        """`file:line: field` of a place in the scenario's file (the file's name alone when built in code)."""
        line = Place(str(self.path), tuple(location), self._lines).line if self.path else None
        at = f"{self.path}:{line}" if self.path else self.name
        return f"{at}: {'.'.join(str(part) for part in location)}" if location else at

    @model_validator(mode="after")
    def _faults_do_not_undo_each_other(self) -> Scenario:
        for first, second in schedule.overlapping(self.faults):  # type: ignore[arg-type]
            kind, target = schedule.identity(self.faults[first].fault)
            raise ValueError(
                f"faults {first} and {second} are both {kind} on {target} and overlap in time; the second would "
                "replace the first and switching the first off would end both. Make them follow each other."
            )
        return self

    @property
    def has_stimulus(self) -> bool:
        """Faults or a load change: something the expectations' deadlines count from."""
        return bool(self.faults) or self.load.change_window is not None

    @property
    def fault_window(self) -> tuple[timedelta, timedelta]:
        """(first start, last end) of faults and load changes, relative to the end of the baseline; zero without."""
        windows = [(f.at, f.at + f.duration) for f in self.faults]
        if self.load.change_window is not None:
            windows.append(self.load.change_window)
        if not windows:
            return timedelta(0), timedelta(0)
        return min(start for start, _ in windows), max(end for _, end in windows)


def _engine_url(text: str) -> str:
    try:
        return engines.parse_url(text).url
    except EngineUrlError as error:
        raise ValueError(str(error)) from None


class Suite(_Strict):
    name: str
    description: str = ""
    scale: float | None = Field(default=None, ge=1, description="time scale the suite runs at unless told otherwise")
    lanes: int = Field(default=1, ge=1, le=4, description="stacks running the scenarios side by side")
    engines: list[Annotated[str, AfterValidator(_engine_url)]] = Field(
        default_factory=list, max_length=4,
        description="Docker engines the lanes go round (unix:// or tcp://127.0.0.1 on this machine); "
                    "default: the one DOCKER_HOST names")
    scenarios: list[str] = Field(min_length=1, description="scenario files, relative to the suite file")


def load_scenario(path: Path) -> Scenario:
    data, lines = yamlfile.load(path)
    scenario: Scenario = yamlfile.validate(Scenario, path, data, lines)
    scenario = scenario.model_copy(update={"path": path})
    scenario._lines = lines
    return scenario


def load_suite(path: Path) -> list[Scenario]:
    return load_suite_file(path)[1]


def load_suite_file(path: Path) -> tuple[Suite, list[Scenario]]:
    """The suite and its scenarios, each validated; bad files name file, line and field."""
    data, lines = yamlfile.load(path)
    suite: Suite = yamlfile.validate(Suite, path, data, lines)
    scenarios = []
    for index, entry in enumerate(suite.scenarios):
        scenario_path = _resolved(path.parent / entry)
        try:
            found = scenario_path.is_file()
        except OSError as error:  # a name longer than the file system allows, say
            line = lines.get(("scenarios", index), 1)
            raise InvalidInput(f"{path}:{line}: scenarios.{index}: cannot read {entry!r}: {error.strerror}") from None
        if not found:
            line = lines.get(("scenarios", index), 1)
            raise InvalidInput(f"{path}:{line}: scenarios.{index}: no scenario file {scenario_path}{_why(scenario_path)}")
        try:
            scenarios.append(load_scenario(scenario_path))
        except InvalidInput as error:
            line = lines.get(("scenarios", index), 1)
            raise type(error)(f"{error}\n    (named by {path}:{line}: scenarios.{index})") from None
    return suite, scenarios


def suite_path(given: Path, cwd: Path | None = None) -> Path:
    """A suite file, or a suite's name (`pre-launch`) looked up in scenarios/suites/ here, then in the harness's own."""
    if given.exists() or given.is_symlink() or len(given.parts) != 1 or given.suffix in (".yml", ".yaml"):
        return given
    folders = [(cwd or Path.cwd()) / SUITES_FOLDER, _HARNESS_SUITES]
    for folder in folders:
        for suffix in (".yml", ".yaml"):
            candidate = folder / f"{given}{suffix}"
            if candidate.is_file():
                return candidate
    known = sorted({found.stem for folder in folders if folder.is_dir() for found in folder.glob("*.y*ml")})
    raise InvalidInput(f"--suite: {str(given)!r} is neither a suite file nor the name of one in {SUITES_FOLDER} "
                       f"(suites: {', '.join(known) or 'none'})")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
        return path.absolute()


def _why(path: Path) -> str:
    try:
        yamlfile.read_text(path)
    except InvalidInput as error:
        reason = str(error).removeprefix(f"{path}").lstrip(":0123456789 ")
        return f" ({reason})" if reason and "file not found" not in reason else ""
    return ""
