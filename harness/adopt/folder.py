"""The adopted folder: a stack that runs the team's own rules and routing with the signal source in place of their targets.

    OUT/compose.yml                      Prometheus, Alertmanager, the sink and the signal source
    OUT/prometheus/prometheus.yml        their global settings and rule files; every scrape job they
                                         have (and every job their rules name) scrapes the signal source
    OUT/prometheus/rules/NN-<name>.yml   their rule files, unchanged (PrometheusRule manifests as plain groups)
    OUT/alertmanager/alertmanager.yml    their Alertmanager config, unchanged (a run redirects receivers to the sink)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from harness import signals
from harness.check.sources import Monitoring
from harness.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
SIGNAL_SERVICE = "signal-source"
SIGNAL_PORT = 9300


def job_names(monitoring: Monitoring) -> set[str]:
    """The scrape jobs of the team's prometheus.yml."""
    if monitoring.prometheus is None:
        return set()
    configs = monitoring.prometheus.data.get("scrape_configs") or []
    return {str(job["job_name"]) for job in configs if isinstance(job, dict) and job.get("job_name")}


def write(monitoring: Monitoring, out: Path, jobs: set[str]) -> Path:
    """Write the adopted stack into `out`; return the compose file."""
    if monitoring.alertmanager is None:
        raise InvalidInput(f"{', '.join(map(str, monitoring.inputs))}: no alertmanager.yml found; adopt needs the "
                           "routing to prove where each alert goes. Hint: pass the folder that holds it too")
    rule_sources = [source.path for source in monitoring.rule_files]
    if not rule_sources:
        raise InvalidInput(f"{', '.join(map(str, monitoring.inputs))}: no rule files found")
    (out / "prometheus" / "rules").mkdir(parents=True, exist_ok=True)
    (out / "alertmanager").mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for index, source in enumerate(rule_sources, 1):
        name = f"{index:02d}-{source.stem}.yml"
        _write_rules(source, out / "prometheus" / "rules" / name)
        written.append(f"rules/{name}")
    (out / "prometheus" / "prometheus.yml").write_text(yaml.safe_dump(_prometheus(monitoring, written, jobs),
                                                                      sort_keys=False))
    shutil.copyfile(monitoring.alertmanager.path, out / "alertmanager" / "alertmanager.yml")
    compose = out / "compose.yml"
    compose.write_text(_HEADER + yaml.safe_dump(_compose(out.name), sort_keys=False))
    return compose


def _write_rules(source: Path, target: Path) -> None:
    text = source.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if isinstance(document, dict) and isinstance(document.get("spec"), dict) and "groups" in document["spec"]:
        target.write_text(yaml.safe_dump({"groups": document["spec"]["groups"]}, sort_keys=False))
    else:
        target.write_text(text)


def _prometheus(monitoring: Monitoring, rule_files: list[str], jobs: set[str]) -> dict[str, Any]:
    theirs = monitoring.prometheus.data if monitoring.prometheus is not None else {}
    given = theirs.get("global") if isinstance(theirs.get("global"), dict) else {}
    kept = {key: given[key] for key in ("scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels")
            if key in given}
    return {
        "global": kept or {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": rule_files,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": signals.scrape_configs(sorted(jobs), f"{SIGNAL_SERVICE}:{SIGNAL_PORT}"),
    }


def _compose(name: str) -> dict[str, Any]:
    images = ROOT / "compose" / "images"
    return {
        "name": f"adopted-{name}",
        "services": {
            "sink": {
                "image": "monitoring-harness/sink:0.1",
                "build": {"context": str(ROOT / "harness" / "sink_service"), "dockerfile": str(images / "sink" / "Dockerfile")},
                "ports": ["127.0.0.1::8080"],
                "x-harness": {"role": "sink", "ready": {"http": "/healthz", "port": 8080}},
            },
            SIGNAL_SERVICE: {
                "image": "monitoring-harness/signal-source:0.1",
                "build": {"context": str(ROOT / "harness" / "signal_source"),
                          "dockerfile": str(images / "signal-source" / "Dockerfile")},
                "ports": [f"127.0.0.1::{SIGNAL_PORT}"],
                "x-harness": {"role": "signal_source", "ready": {"http": "/healthz", "port": SIGNAL_PORT}},
            },
            "alertmanager": {
                "image": "prom/alertmanager:v0.25.0",
                "build": {"context": str(images / "alertmanager")},
                "command": ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager",
                            "--cluster.listen-address="],
                "volumes": ["./alertmanager:/etc/alertmanager:ro"],
                "tmpfs": ["/alertmanager:uid=65534,gid=65534"],
                "ports": ["127.0.0.1::9093"],
                "depends_on": ["sink"],
                "x-harness": {"role": "alertmanager", "ready": {"http": "/-/ready", "port": 9093}},
            },
            "prometheus": {
                "image": "prom/prometheus:v2.42.0",
                "build": {"context": str(images / "prometheus")},
                "command": ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                            "--web.enable-lifecycle"],
                "volumes": ["./prometheus:/etc/prometheus:ro"],
                "tmpfs": ["/prometheus:uid=65534,gid=65534"],
                "ports": ["127.0.0.1::9090"],
                "depends_on": ["alertmanager", SIGNAL_SERVICE],
                "x-harness": {"role": "prometheus", "ready": {"http": "/-/ready", "port": 9090}},
            },
        },
    }


_HEADER = """\
# Written by `harness adopt`: the team's own Prometheus rules and Alertmanager routing, with the
# signal source standing in for every scrape target (it exposes what each scenario programs) and
# the sink receiving every notification. Edit freely; `harness gate --suite suite.yml --stack
# compose.yml` runs the generated scenarios on it.
"""
