"""The shapes of prometheus.yml, rule files and alertmanager.yml that the harness reads, checked at the edge.

Prometheus and Alertmanager know far more keys than these; the models name only what the harness
reads (and lets every other key through), so that a list where a mapping belongs, or a mapping
where a list belongs, is refused with `file:line: field: what` before any code walks the document.
Values are not judged here beyond their kind: durations, matchers and PromQL are read, with their
places, by the code that uses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness import yamlfile
from harness.errors import ConfigError, InvalidInput
from harness.yamlfile import Location

#: A plain value: what the harness reads with str() (a name, a duration, a label value).
Scalar = str | int | float | bool
Labels = dict[Scalar, Scalar | None]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- prometheus.yml ------------------------------------------------------------------------------


class PrometheusGlobal(_Open):
    scrape_interval: Scalar | None = None
    scrape_timeout: Scalar | None = None
    evaluation_interval: Scalar | None = None
    external_labels: Labels | None = None


class StaticConfig(_Open):
    targets: list[Scalar] | None = None
    labels: Labels | None = None


class ScrapeConfig(_Open):
    job_name: Scalar | None = None
    scrape_interval: Scalar | None = None
    scrape_timeout: Scalar | None = None
    static_configs: list[StaticConfig] | None = None
    relabel_configs: list[dict[str, Any]] | None = None
    metric_relabel_configs: list[dict[str, Any]] | None = None


class AlertmanagerEntry(_Open):
    static_configs: list[StaticConfig] | None = None
    relabel_configs: list[dict[str, Any]] | None = None


class Alerting(_Open):
    alertmanagers: list[AlertmanagerEntry] | None = None
    alert_relabel_configs: list[dict[str, Any]] | None = None


class PrometheusFile(_Open):
    global_: PrometheusGlobal | None = Field(default=None, alias="global")
    rule_files: list[Scalar] | None = None
    scrape_configs: list[ScrapeConfig] | None = None
    alerting: Alerting | None = None
    remote_write: list[dict[str, Any]] | None = None
    remote_read: list[dict[str, Any]] | None = None
    tracing: dict[str, Any] | None = None


# --- rule files ----------------------------------------------------------------------------------


class Rule(_Open):
    alert: Scalar | None = None
    record: Scalar | None = None
    expr: Scalar | None = None
    for_: Scalar | None = Field(default=None, alias="for")
    keep_firing_for: Scalar | None = None
    labels: Labels | None = None
    annotations: Labels | None = None


class RuleGroup(_Open):
    name: Scalar | None = None
    interval: Scalar | None = None
    rules: list[Rule] | None = None


class RuleFile(_Open):
    groups: list[RuleGroup] | None = None


class PrometheusRule(_Open):
    """A Kubernetes PrometheusRule manifest: the groups are under `spec`."""

    kind: Scalar | None = None
    spec: RuleFile | None = None


# --- alertmanager.yml ----------------------------------------------------------------------------


class AlertmanagerGlobal(_Open):
    resolve_timeout: Scalar | None = None
    smtp_smarthost: Scalar | None = None
    slack_api_url: Scalar | None = None
    http_config: dict[str, Any] | None = None


class Route(_Open):
    receiver: Scalar | None = None
    group_by: list[Scalar] | None = None
    group_wait: Scalar | None = None
    group_interval: Scalar | None = None
    repeat_interval: Scalar | None = None
    match: Labels | None = None
    match_re: Labels | None = None
    matchers: list[Scalar] | None = None
    continue_: Scalar | None = Field(default=None, alias="continue")
    routes: list[Route] | None = None
    mute_time_intervals: list[Scalar] | None = None
    active_time_intervals: list[Scalar] | None = None


class Notifier(_Open):
    send_resolved: bool | None = None
    http_config: dict[str, Any] | None = None
    api_url: Scalar | None = None
    url: Scalar | None = None
    service_key: Scalar | None = None
    routing_key: Scalar | None = None
    details: dict[Scalar, Any] | None = None
    smarthost: Scalar | None = None
    to: Scalar | None = None
    headers: Labels | None = None


class Receiver(_Open):
    """A receiver: its name, and notifier lists under keys ending in `_configs`."""

    name: Scalar | None = None
    __pydantic_extra__: dict[str, list[Notifier] | None] = Field(init=False)  # type: ignore[assignment]


class InhibitRule(_Open):
    source_match: Labels | None = None
    target_match: Labels | None = None
    source_match_re: Labels | None = None
    target_match_re: Labels | None = None
    source_matchers: list[Scalar] | None = None
    target_matchers: list[Scalar] | None = None
    equal: list[Scalar] | None = None


class AlertmanagerFile(_Open):
    global_: AlertmanagerGlobal | None = Field(default=None, alias="global")
    route: Route | None = None
    receivers: list[Receiver] | None = None
    inhibit_rules: list[InhibitRule] | None = None
    templates: list[Scalar] | None = None
    time_intervals: list[dict[str, Any]] | None = None
    mute_time_intervals: list[dict[str, Any]] | None = None


def check(model: type[BaseModel], path: Path, document: Any, lines: dict[Location, int]) -> None:
    """Refuse `document` unless it has `model`'s shape: ConfigError listing each place as file:line: field: what."""
    try:
        yamlfile.validate(model, path, document, lines)
    except InvalidInput as error:
        raise ConfigError(str(error)) from None


def check_rule_document(path: Path, document: Any, lines: dict[Location, int]) -> None:
    """A rule file, or a PrometheusRule manifest."""
    manifest = isinstance(document, dict) and document.get("kind") == "PrometheusRule"
    check(PrometheusRule if manifest else RuleFile, path, document, lines)
