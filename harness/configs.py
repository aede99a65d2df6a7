"""Render a stack's Prometheus and Alertmanager configs for one run.

The user's files are read once, here, into plain typed summaries (rules, intervals, receivers);
the rendered copies, time-scaled, with receivers redirected and every way out of the stack
removed (harness.isolation), are what the containers mount and what the evidence report keeps.
"""

from __future__ import annotations

import copy
import glob
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness import config_shapes, isolation, receivers, routing, yamlfile
from harness.redaction import Secrets, redact_document
from harness.compression.rewrite import lookback
from harness.compression.rules import CompressedRule, compress_rule_document, load_rule_file, rule_groups
from harness.isolation import IsolationChange
from harness.errors import ConfigError, InvalidInput
from harness.yamlfile import Location, Place
from harness.timescale import (
    ALERTMANAGER_ROUTE_DEFAULTS,
    PROMETHEUS_DEFAULTS,
    PROMETHEUS_GLOBAL_DURATIONS,
    ROUTE_DURATIONS,
    SCRAPE_CONFIG_DURATIONS,
    TimeScale,
    parse_duration,
)


@dataclass(frozen=True)
class RuleGroup:
    """A rule group; `interval` is None when it evaluates at the global evaluation_interval."""

    name: str
    source: str
    interval: timedelta | None = None


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    scaled_expr: str
    for_: timedelta
    labels: dict[str, str]
    where: str
    longest_range: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    group: RuleGroup | None = None
    #: Place in its group; rules of a group are evaluated one after another in this order.
    position: int = 0
    #: What compression did to it (None when built by hand).
    compression: CompressedRule | None = None

    @property
    def fidelity(self) -> str:
        return self.compression.fidelity if self.compression is not None else "exact"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    group: RuleGroup
    position: int
    where: str


@dataclass(frozen=True)
class ScrapeJob:
    """One `scrape_configs` entry's timing (real time), with Prometheus's defaults filled in."""

    name: str
    interval: timedelta
    timeout: timedelta


@dataclass(frozen=True)
class PrometheusSettings:
    """What a run needs to know about the user's Prometheus config (real-time durations)."""

    scrape_interval: timedelta
    evaluation_interval: timedelta
    rules: tuple[AlertRule, ...]
    scrape_timeout: timedelta = timedelta(seconds=10)
    jobs: tuple[ScrapeJob, ...] = ()
    recording_rules: tuple[RecordingRule, ...] = ()
    external_labels: dict[str, str] = field(default_factory=dict)
    isolation: tuple[IsolationChange, ...] = ()
    #: One entry per rule: what compression did to it and how faithful that is.
    compression: tuple[CompressedRule, ...] = ()
    #: The secret values of the user's prometheus.yml, for evidence to leave out (harness.redaction).
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)

    def rule(self, name: str) -> AlertRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(sorted({rule.name for rule in self.rules})) or "none"
        raise ConfigError(f"no alerting rule named {name!r} in the stack's rule files (known: {known})")

    def evaluation_of(self, group: RuleGroup | None) -> timedelta:
        """How often a group's rules are evaluated: its own `interval`, else the global one."""
        return group.interval if group is not None and group.interval is not None else self.evaluation_interval

    def recorders(self, metric: str) -> list[RecordingRule]:
        """The recording rules that write `metric` (several groups may record one name)."""
        return [rule for rule in self.recording_rules if rule.record == metric]

    def slowest_job(self) -> ScrapeJob:
        """The job whose samples can take longest to arrive; the global settings when no job is known."""
        fallback = ScrapeJob("(global)", self.scrape_interval, min(self.scrape_timeout, self.scrape_interval))
        return max(self.jobs, key=lambda job: job.interval + job.timeout, default=fallback)


@dataclass(frozen=True)
class AlertmanagerSettings:
    """Routing-relevant figures of the user's Alertmanager config (real-time durations)."""

    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    endpoints: tuple[receivers.RedirectedEndpoint, ...] = field(default=())
    isolation: tuple[IsolationChange, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The routing tree with inherited timers resolved; None when built by hand without one.
    route: routing.Route | None = None
    #: The secret values of the user's alertmanager.yml, for evidence to leave out (harness.redaction).
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)

    def receiver_names(self) -> list[str]:
        return sorted({endpoint.receiver for endpoint in self.endpoints})

    def tree(self) -> routing.Route:
        """The routing tree; without one, a root that only carries the top-level timers."""
        if self.route is not None:
            return self.route
        return routing.Route("", self.group_wait, self.group_interval, self.repeat_interval)

    def routes_for(self, labels: dict[str, str]) -> list[routing.MatchedRoute]:
        """The routes an alert with these labels ends on, in Alertmanager's order (see harness.routing)."""
        return routing.routes_for(self.tree(), labels)

    def routes_to(self, receiver: str) -> list[routing.MatchedRoute]:
        """Every route that delivers to `receiver`, whatever the labels."""
        return routing.routes_to(self.tree(), receiver)


#: The default stack's Alertmanager, as its Prometheus names it (network alias and port).
STACK_ALERTMANAGER = "alertmanager:9093"


def render_prometheus(
    source_dir: Path, target_dir: Path, scale: TimeScale, stack_alertmanager: str = STACK_ALERTMANAGER
) -> PrometheusSettings:
    """Copy `source_dir` to `target_dir`, scaling prometheus.yml and every rule file it names.

    Alerts go to `stack_alertmanager` (host:port on the stack network) and nowhere else.
    """
    config_path = source_dir / "prometheus.yml"
    config, lines = _load_yaml(config_path, config_shapes.PrometheusFile)
    top = Place(str(config_path), (), lines)
    _copy_folder(source_dir, target_dir)
    secrets = redact_document(config).secrets
    global_section = config.setdefault("global", {}) or {}
    config["global"] = global_section
    for key in PROMETHEUS_GLOBAL_DURATIONS:
        global_section.setdefault(key, PROMETHEUS_DEFAULTS[key])
    real = {key: parse_duration(global_section[key], str(top / "global" / key)) for key in PROMETHEUS_GLOBAL_DURATIONS}
    scale_keys(global_section, PROMETHEUS_GLOBAL_DURATIONS, scale, top / "global")
    jobs = []
    for index, job in enumerate(config.get("scrape_configs") or []):
        jobs.append(_scrape_job(job, real["scrape_interval"], real["scrape_timeout"], top / "scrape_configs" / index))
        scale_keys(job, SCRAPE_CONFIG_DURATIONS, scale, top / "scrape_configs" / index)
    rules: list[AlertRule | RecordingRule] = []
    compression: list[CompressedRule] = []
    for index, pattern in enumerate(config.get("rule_files") or []):
        for rule_path in _rule_paths(source_dir, str(pattern), top / "rule_files" / index):
            relative = Path(rule_path).relative_to(source_dir)
            found, compressed = _render_rule_file(Path(rule_path), target_dir / relative, scale, real["evaluation_interval"])
            rules.extend(found)
            compression.extend(compressed)
    changes = isolation.isolate_prometheus(config, stack_alertmanager, "prometheus.yml")
    _dump_yaml(config, target_dir / "prometheus.yml")
    external = {str(key): str(value) for key, value in (global_section.get("external_labels") or {}).items()}
    return PrometheusSettings(
        real["scrape_interval"], real["evaluation_interval"],
        tuple(rule for rule in rules if isinstance(rule, AlertRule)),
        scrape_timeout=real["scrape_timeout"], jobs=tuple(jobs),
        recording_rules=tuple(rule for rule in rules if isinstance(rule, RecordingRule)), external_labels=external,
        isolation=tuple(changes), compression=tuple(compression), secrets=secrets,
    )


def _rule_paths(source_dir: Path, pattern: str, where: Place) -> list[str]:
    """The rule files a `rule_files` pattern names, inside the Prometheus folder (as its container sees it)."""
    if "\x00" in pattern:
        raise ConfigError(f"{where}: {pattern!r} is not a file pattern (it holds a NUL character)")
    found = sorted(glob.glob(str(source_dir / pattern)))
    outside = [path for path in found if not _inside(Path(path), source_dir)]
    if outside:
        raise ConfigError(f"{where}: {pattern!r} names {outside[0]}, outside {source_dir}, which the Prometheus "
                          "container does not see. Hint: keep rule files in the folder of prometheus.yml")
    return found


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop: inside by name; reading it says what is wrong
        return path.absolute().is_relative_to(folder.absolute())


def _scrape_job(job: dict[str, Any], interval: timedelta, timeout: timedelta, where: Place) -> ScrapeJob:
    own_interval = parse_duration(job["scrape_interval"], str(where / "scrape_interval")) if job.get("scrape_interval") else interval
    if job.get("scrape_timeout"):
        own_timeout = parse_duration(job["scrape_timeout"], str(where / "scrape_timeout"))
    else:
        # Prometheus caps an inherited timeout at the job's own interval.
        own_timeout = min(timeout, own_interval)
    return ScrapeJob(str(job.get("job_name", "?")), own_interval, own_timeout)


def prometheus_flags(scale: TimeScale) -> list[str]:
    """Prometheus's own timers that shape alert delivery, scaled (their defaults are 1m and 10m)."""
    return [
        f"--rules.alert.resend-delay={scale.compress_text('1m', 'resend-delay')}",
        f"--rules.alert.for-grace-period={scale.compress_text('10m', 'for-grace-period')}",
    ]


def render_alertmanager(source_dir: Path, target_dir: Path, scale: TimeScale) -> AlertmanagerSettings:
    """Copy `source_dir` to `target_dir` with timers scaled and every receiver sent to the sink."""
    config_path = source_dir / "alertmanager.yml"
    config, lines = _load_yaml(config_path, config_shapes.AlertmanagerFile)
    top = Place(str(config_path), (), lines)
    _copy_folder(source_dir, target_dir)
    secrets = redact_document(config).secrets
    route = config.get("route")
    if not isinstance(route, dict):
        raise ConfigError(f"{config_path}:1: has no top-level `route:`; Alertmanager needs one")
    for key, default in ALERTMANAGER_ROUTE_DEFAULTS.items():
        if route.get(key) is None:
            route[key] = default
    real = {key: parse_duration(route[key], str(top / "route" / key)) for key in ROUTE_DURATIONS}
    tree = routing.parse_tree(route, top / "route")
    _scale_route(route, scale, top / "route")
    global_section = config.get("global") or {}
    if global_section.get("resolve_timeout") is not None:
        scale_keys(global_section, ("resolve_timeout",), scale, top / "global")
    redirected, endpoints = receivers.redirect(config, str(config_path), lines)
    changes = isolation.isolate_http_clients(redirected, "alertmanager.yml")
    _dump_yaml(redirected, target_dir / "alertmanager.yml")
    return AlertmanagerSettings(
        real["group_wait"], real["group_interval"], real["repeat_interval"], tuple(endpoints), tuple(changes), config,
        tree, secrets,
    )


def _render_rule_file(
    source: Path, target: Path, scale: TimeScale, evaluation_interval: timedelta
) -> tuple[list[AlertRule | RecordingRule], list[CompressedRule]]:
    document, lines = load_rule_file(source)
    original = copy.deepcopy(document)
    compressed = compress_rule_document(document, source, lines, scale)
    by_place = iter(compressed)
    rules: list[AlertRule | RecordingRule] = []
    groups, _ = rule_groups(original, source, lines)
    for group_index, group in enumerate(groups):
        group_where = f"{source}: groups[{group_index}] ({group.get('name', '?')})"
        interval = group.get("interval")
        real_interval = parse_duration(interval, f"{group_where}.interval") if interval is not None else None
        summary = RuleGroup(str(group.get("name", "?")), str(source), real_interval)
        for rule_index, rule in enumerate(group.get("rules") or []):
            entry = next(by_place)
            where = f"{group_where}.rules[{rule_index}] ({entry.rule})"
            real_for = parse_duration(rule.get("for", "0s"), f"{where}.for")
            # Prometheus 2.42 is the first to know keep_firing_for; an older one refuses the file.
            keep_firing = parse_duration(rule.get("keep_firing_for", "0s"), f"{where}.keep_firing_for")
            if "alert" in rule:
                labels = {str(key): str(value) for key, value in (rule.get("labels") or {}).items()}
                rules.append(AlertRule(entry.rule, entry.original.strip(), entry.rewritten, real_for, labels, where,
                                       longest_range(entry.original), keep_firing, summary, rule_index, entry))
            elif "record" in rule:
                rules.append(RecordingRule(entry.rule, entry.original.strip(), summary, rule_index, where))
    target.parent.mkdir(parents=True, exist_ok=True)
    _dump_yaml(document, target)
    return rules, compressed


def longest_range(expression: str) -> timedelta:
    """How far back a (valid) PromQL expression looks, real time: its longest range plus offset."""
    return lookback(expression, "expression")


def _scale_route(route: dict[str, Any], scale: TimeScale, where: Place) -> None:
    scale_keys(route, ROUTE_DURATIONS, scale, where)
    for index, child in enumerate(route.get("routes") or []):
        _scale_route(child, scale, where / "routes" / index)


def scale_keys(section: dict[str, Any], keys: tuple[str, ...], scale: TimeScale, where: str | Place) -> None:
    for key in keys:
        if key in section and section[key] is not None:
            place = where / key if isinstance(where, Place) else f"{where}.{key}"
            section[key] = scale.compress_text(str(section[key]), str(place))


def _load_yaml(path: Path, shape: type[BaseModel]) -> tuple[dict[str, Any], dict[Location, int]]:
    try:
        document, lines = yamlfile.load(path)
    except ConfigError:
        raise
    except InvalidInput as error:
        raise ConfigError(str(error)) from None
    if not isinstance(document, dict):
        found = "nothing" if document is None else type(document).__name__
        raise ConfigError(f"{path}:1: expected a mapping at the top level, found {found}")
    config_shapes.check(shape, path, document, lines)
    return document, lines


def _copy_folder(source_dir: Path, target_dir: Path) -> None:
    """The config folder as the container will mount it; a link that leads nowhere is the user's to fix."""
    try:
        shutil.copytree(source_dir, target_dir, dirs_exist_ok=True, ignore_dangling_symlinks=True)
    except (shutil.Error, OSError) as error:
        raise ConfigError(f"{source_dir}: cannot copy the config folder for the run: {_first_problem(error)}") from None


def _first_problem(error: Exception) -> str:
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list) and error.args[0]:
        source, _, why = error.args[0][0]
        return f"{source}: {why}"
    return str(error)


def _dump_yaml(document: dict[str, Any], path: Path) -> None:
    path.write_text(yamlfile.dump(document))
