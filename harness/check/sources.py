"""Find a team's monitoring files the way Prometheus, Alertmanager and Compose would, and read them.

`harness check PATH` takes a folder, a compose file, a prometheus.yml, an alertmanager.yml, rule
files or PrometheusRule manifests. From a compose file the Prometheus and Alertmanager configs are
the files mounted where those services read them; `rule_files` globs are resolved relative to the
config (inside the container, then back through the mounts to this machine). What cannot be found
is itself a finding; what cannot be read at all (a PATH that does not exist, a config that is not
YAML) is InvalidInput.
"""

from __future__ import annotations

import glob
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from harness import yamlfile
from harness.check.compose import DEFAULT_CONFIG_PATHS, ComposeService, runs
from harness.check.compose import services as read_services
from harness.check.documents import Rule, YamlFile, duration, read_rules
from harness.check.findings import Finding
from harness.errors import InvalidInput
from harness.timescale import PROMETHEUS_DEFAULTS, parse_duration

YAML_SUFFIXES = (".yml", ".yaml")
DOCUMENT_SUFFIXES = (".md", ".txt", ".rst")
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
#: Keys only a Prometheus server config has at its top level.
PROMETHEUS_KEYS = frozenset({"rule_files", "scrape_configs", "alerting", "remote_write", "remote_read"})


@dataclass(frozen=True)
class RuleFileSource:
    """A rule file, and whether the Prometheus config loads it."""

    path: Path
    loaded: bool


@dataclass(frozen=True)
class Monitoring:
    """Everything `harness check` found, read, and what it could not find."""

    inputs: tuple[Path, ...]
    prometheus: YamlFile | None = None
    alertmanager: YamlFile | None = None
    compose: YamlFile | None = None
    rule_files: tuple[RuleFileSource, ...] = ()
    rules: tuple[Rule, ...] = ()
    dashboards: tuple[Path, ...] = ()
    documents: tuple[Path, ...] = ()
    services: tuple[ComposeService, ...] = ()
    scrape_interval: timedelta = timedelta(minutes=1)
    evaluation_interval: timedelta = timedelta(minutes=1)
    #: What discovery itself found wrong: rule_files matching nothing, unreadable rule files, ...
    findings: tuple[Finding, ...] = ()

    @property
    def alerts(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == "alert")

    def service_for(self, role: str) -> ComposeService | None:
        """The compose service that runs Prometheus or Alertmanager (by image, then by name)."""
        for service in self.services:
            if runs(service, role):
                return service
        return None


def discover(paths: list[Path]) -> Monitoring:
    """Read what `paths` name, following compose mounts and `rule_files`; InvalidInput when unreadable."""
    found = _Found()
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or folder")
        if path.is_dir():
            for candidate in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
                _classify(candidate, found, given=False)
        else:
            _classify(path, found, given=True)
    if not (found.compose or found.prometheus or found.alertmanager or found.rule_files or found.dashboards):
        raise InvalidInput(f"{', '.join(map(str, paths))}: no compose file, prometheus.yml, alertmanager.yml, "
                           "rule files, PrometheusRule manifests or Grafana dashboards found")
    return _assemble(tuple(paths), found)


@dataclass
class _Found:
    compose: list[Path] = field(default_factory=list)
    prometheus: list[Path] = field(default_factory=list)
    alertmanager: list[Path] = field(default_factory=list)
    rule_files: list[Path] = field(default_factory=list)
    dashboards: list[Path] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _classify(path: Path, found: _Found, given: bool) -> None:
    if path.suffix == ".json":
        if _is_dashboard(path):
            found.dashboards.append(path)
        elif given:
            raise InvalidInput(f"{path}: not a Grafana dashboard (no `panels`)")
        return
    if path.suffix in DOCUMENT_SUFFIXES:
        found.documents.append(path)
        return
    if path.suffix not in YAML_SUFFIXES:
        if given:
            raise InvalidInput(f"{path}: not a YAML or JSON file")
        return
    try:
        documents = yamlfile.load_all(path)
    except InvalidInput as error:
        if given and not _looks_like_rules(path):
            raise
        if given or _sniffs_like_rules(path):  # a Helm template or another tool's file is none of ours
            found.unreadable.append((path, str(error)))
        return
    kind = _kind([document for document, _ in documents], path)
    if kind is None:
        if given:
            raise InvalidInput(f"{path}: not a compose file, prometheus.yml, alertmanager.yml, rule file or "
                               "PrometheusRule manifest")
        return
    getattr(found, kind).append(path)


def _looks_like_rules(path: Path) -> bool:
    return "rule" in path.name.lower() or "alert" in path.name.lower() and "manager" not in path.name.lower()


def _sniffs_like_rules(path: Path) -> bool:
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        return False
    return "groups:" in text and "expr:" in text and "{{-" not in text


def _is_rule_document(document: dict[str, Any]) -> bool:
    """Prometheus rules (not Grafana's alerting provisioning, which has `groups:` of `title`d rules too)."""
    if document.get("kind") == "PrometheusRule":
        return True
    groups = document.get("groups")
    if not isinstance(groups, list) or "apiVersion" in document:
        return False
    rules = [rule for group in groups if isinstance(group, dict) for rule in group.get("rules") or []
             if isinstance(rule, dict)]
    return not rules or any("alert" in rule or "record" in rule for rule in rules)


def _is_alertmanager_document(document: dict[str, Any]) -> bool:
    """A `route:` mapping, or `receivers:` as Alertmanager lists them (an OTel collector's is a mapping)."""
    receivers = document.get("receivers")
    return isinstance(document.get("route"), dict) or (
        isinstance(receivers, list) and all(isinstance(item, dict) and "name" in item for item in receivers))


def _kind(documents: list[Any], path: Path) -> str | None:
    for document in documents:
        if not isinstance(document, dict) or "tests" in document:
            continue  # a promtool unit-test file names rule_files too
        if "groups" in document or document.get("kind") == "PrometheusRule":
            return "rule_files" if _is_rule_document(document) else None
        if isinstance(document.get("services"), dict) or path.name in COMPOSE_NAMES:
            return "compose"
        if PROMETHEUS_KEYS & document.keys() or ("global" in document and "evaluation_interval" in str(document["global"])):
            return "prometheus"
        if _is_alertmanager_document(document):
            return "alertmanager"
    return None


def _is_dashboard(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    return isinstance(data, dict) and ("panels" in data or "rows" in data)


def _assemble(inputs: tuple[Path, ...], found: _Found) -> Monitoring:
    findings: list[Finding] = []
    # Compose's own default names first: docker-compose.exporters.yml is an overlay, not the stack.
    composes = sorted(found.compose, key=lambda path: (path.name not in COMPOSE_NAMES, len(path.parts), str(path)))
    compose = _load(composes[0]) if composes else None
    services = read_services(compose) if compose else ()
    prometheus_service = next((service for service in services if runs(service, "prometheus")), None)
    alertmanager_service = next((service for service in services if runs(service, "alertmanager")), None)
    prometheus_path = _config_of(prometheus_service, "prometheus", found.prometheus)
    alertmanager_path = _config_of(alertmanager_service, "alertmanager", found.alertmanager)
    prometheus = _load(prometheus_path) if prometheus_path else None
    alertmanager = _load(alertmanager_path) if alertmanager_path else None
    if prometheus is not None and not isinstance(prometheus.data, dict):
        raise InvalidInput(f"{prometheus.path}:1: expected a mapping at the top level of a prometheus.yml")
    if alertmanager is not None and not isinstance(alertmanager.data, dict):
        raise InvalidInput(f"{alertmanager.path}:1: expected a mapping at the top level of an alertmanager.yml")

    loaded: list[Path] = []
    if prometheus is not None:
        loaded, wiring = _rule_files(prometheus, prometheus_service)
        findings += wiring
    sources = [RuleFileSource(path, True) for path in loaded]
    known = {path.resolve() for path in loaded}
    others = [path for path in found.prometheus if prometheus is None or path.resolve() != prometheus.path.resolve()]
    if prometheus is not None and others:
        findings.append(Finding(
            "wiring.other-configs", "info", str(prometheus.path), 1, "prometheus.yml",
            f"this set-up is checked with this config; {len(others)} other Prometheus config(s) were found "
            f"({', '.join(str(path) for path in others[:3])}{', ...' if len(others) > 3 else ''}) and the rule files "
            "they load are left out", "check each set-up on its own: `harness check` on its folder or its config"))
        known |= _loaded_by(others)
    for path in found.rule_files + [path for path, _ in found.unreadable]:
        if path.resolve() not in known:
            known.add(path.resolve())
            sources.append(RuleFileSource(path, prometheus is None))
    rules: list[Rule] = []
    for source in sources:
        read, problems = read_rules(source.path)
        rules += read
        findings += problems
        if not source.loaded:
            findings.append(Finding(
                "wiring.rule-file-not-loaded", "error", str(source.path), 1, f"rule file {source.path.name}",
                f"no `rule_files` pattern of {prometheus.path if prometheus else 'prometheus.yml'} matches this file, "
                "so Prometheus never evaluates its rules",
                "add a `rule_files` pattern that matches it (relative to prometheus.yml), or delete the file"))
    scrape, evaluation = _intervals(prometheus)
    return Monitoring(
        inputs, prometheus, alertmanager, compose, tuple(sources), tuple(rules), tuple(found.dashboards),
        tuple(found.documents), services, scrape, evaluation, tuple(findings),
    )


def _loaded_by(configs: list[Path]) -> set[Path]:
    """The rule files other Prometheus configs load (they belong to other set-ups)."""
    loaded: set[Path] = set()
    for config in configs:
        try:
            other = _load(config)
        except InvalidInput:
            continue
        if isinstance(other.data, dict):
            loaded |= {path.resolve() for path in _rule_files(other, None)[0]}
    return loaded


def _load(path: Path) -> YamlFile:
    document, lines = yamlfile.load(path)
    return YamlFile(path, document, lines)


def _config_of(service: ComposeService | None, role: str, candidates: list[Path]) -> Path | None:
    """The config a compose service mounts where it reads it; else the one found on its own."""
    if service is not None:
        container_path = service.flag("--config.file") or DEFAULT_CONFIG_PATHS[role]
        host = service.host_path(container_path)
        if host is not None and host.is_file():
            return host
    if not candidates:
        return None
    named = [path for path in candidates if path.stem == role]
    return (named or candidates)[0]


def _rule_files(prometheus: YamlFile, service: ComposeService | None) -> tuple[list[Path], list[Finding]]:
    """The rule files `rule_files` loads, resolved as Prometheus in its container would."""
    patterns = prometheus.data.get("rule_files") or []
    findings: list[Finding] = []
    if not patterns:
        findings.append(Finding(
            "wiring.no-rule-files", "error", str(prometheus.path), prometheus.line("rule_files"), "rule_files",
            "the config loads no rule files, so no alert can ever fire",
            "add `rule_files:` with a glob of your rule files, relative to prometheus.yml"))
        return [], findings
    container_config = PurePosixPath(service.flag("--config.file") or DEFAULT_CONFIG_PATHS["prometheus"]) if service else None
    loaded: list[Path] = []
    for index, pattern in enumerate(patterns):
        pattern = str(pattern)
        matches = _glob_rule_pattern(pattern, prometheus.path, service, container_config)
        if not matches:
            findings.append(Finding(
                "wiring.rule-files-match-nothing", "error", str(prometheus.path), prometheus.line("rule_files", index),
                f"rule_files[{index}]",
                f"the pattern {pattern!r} matches no file" + (" (through the compose mounts)" if service else
                                                               f" (relative to {prometheus.path.parent})"),
                "point it at the rule files as Prometheus sees them, relative to prometheus.yml"))
        loaded += [match for match in matches if match not in loaded]
    return loaded, findings


def _glob_rule_pattern(pattern: str, config: Path, service: ComposeService | None,
                       container_config: PurePosixPath | None) -> list[Path]:
    if service is not None and container_config is not None:
        inside = PurePosixPath(pattern) if pattern.startswith("/") else container_config.parent / pattern
        host = service.host_path(str(inside))
        if host is not None:
            return _glob(str(host))
    if not pattern.startswith("/"):
        return _glob(str(config.parent / pattern))
    direct = _glob(pattern)
    if direct:
        return direct
    # An absolute path inside a container, read without the compose file: try its tail next to the config.
    parts = PurePosixPath(pattern).parts[1:]
    for start in range(1, len(parts)):
        matches = _glob(str(config.parent.joinpath(*parts[start:])))
        if matches:
            return matches
    return []


def _glob(pattern: str) -> list[Path]:
    return [Path(match) for match in sorted(glob.glob(pattern)) if Path(match).is_file()]


def _intervals(prometheus: YamlFile | None) -> tuple[timedelta, timedelta]:
    section = (prometheus.data.get("global") if prometheus is not None else None) or {}
    scrape = duration(section.get("scrape_interval")) or parse_duration(PROMETHEUS_DEFAULTS["scrape_interval"], "")
    evaluation = duration(section.get("evaluation_interval")) or parse_duration(PROMETHEUS_DEFAULTS["evaluation_interval"], "")
    return scrape, evaluation


