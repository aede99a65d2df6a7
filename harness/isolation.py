"""Keep a run's alerts and samples inside its stack, whatever the user's configs name.

A user's prometheus.yml may name their production Alertmanager or a remote-write endpoint, and an
Alertmanager notifier may go through a proxy or fetch OAuth2 tokens from a real server. A chaos run
must reach none of them: Prometheus sends alerts only to the stack's own Alertmanager, remote
write/read and tracing are dropped, and notifiers lose their ways out. Every change is recorded,
so the report can say what the run did not do that production would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.redaction import redact_url

#: Settings of an `alertmanagers` entry that shape how Prometheus talks to the stack's own
#: Alertmanager, not where: kept from the entry that already names it.
_ALERTMANAGER_CLIENT_KEYS = ("scheme", "path_prefix", "api_version", "timeout", "basic_auth", "authorization", "tls_config")
#: HTTP client settings that send a request somewhere other than its URL.
_HTTP_WAYS_OUT = ("proxy_url", "proxy_from_environment", "proxy_connect_header", "no_proxy", "oauth2")
_PROMETHEUS_DROPPED = {
    "remote_write": ("sent samples to", "dropped: remote write would copy the run's series out of the stack"),
    "remote_read": ("read samples from", "dropped: remote read would mix outside series into the run"),
}


@dataclass(frozen=True)
class IsolationChange:
    """One setting of the user's config that the run does not use as written, and why."""

    where: str
    what: str
    why: str

    def describe(self) -> str:
        return f"{self.where} {self.what} — {self.why}"


def isolate_prometheus(config: dict[str, Any], stack_alertmanager: str, file: str) -> list[IsolationChange]:
    """Point `config`'s alerting at `stack_alertmanager` only; drop remote write/read and tracing.

    Changes `config` in place and returns what changed. A config that names no Alertmanager keeps
    naming none: the harness must not make alerts flow that production would not send.
    """
    changes: list[IsolationChange] = []
    alerting = config.get("alerting") or {}
    entries = alerting.get("alertmanagers") or []
    if entries:
        kept: dict[str, Any] = {}
        if all(_inside(entry, stack_alertmanager) for entry in entries):
            # The stack's own Alertmanager host, maybe on the wrong port: nothing can leave the stack
            # network that way, and a wrong port is the user's mistake for the run to find, not ours to mend.
            entries = []
        for index, entry in enumerate(entries):
            targets = _static_targets(entry)
            if stack_alertmanager in targets and not kept:
                kept = {key: entry[key] for key in _ALERTMANAGER_CLIENT_KEYS if key in entry}
            outside = _outside_destinations(entry, targets, stack_alertmanager)
            if outside:
                changes.append(IsolationChange(
                    f"{file} alerting.alertmanagers[{index}]", outside,
                    f"replaced by the stack's Alertmanager ({stack_alertmanager})",
                ))
        if entries:
            alerting["alertmanagers"] = [{**kept, "static_configs": [{"targets": [stack_alertmanager]}]}]
            config["alerting"] = alerting
    for key, (verb, why) in _PROMETHEUS_DROPPED.items():
        for index, entry in enumerate(config.pop(key, None) or []):
            url = entry.get("url", "?") if isinstance(entry, dict) else "?"
            changes.append(IsolationChange(f"{file} {key}[{index}]", f"{verb} {redact_url(str(url))}", why))
    tracing = config.pop("tracing", None)
    if tracing:
        changes.append(IsolationChange(
            f"{file} tracing", f"sent traces to {redact_url(str(tracing.get('endpoint', '?')))}",
            "dropped: traces would leave the stack",
        ))
    return changes


def isolate_http_clients(config: dict[str, Any], file: str) -> list[IsolationChange]:
    """Remove proxies and OAuth2 token fetches from an Alertmanager config's HTTP clients, in place.

    Receivers already deliver to the sink; these settings would still open a connection elsewhere
    (the proxy, the token server) for every notification.
    """
    changes = _strip_http_config((config.get("global") or {}).get("http_config"), f"{file} global.http_config")
    for index, receiver in enumerate(config.get("receivers") or []):
        for key, notifiers in receiver.items():
            if not key.endswith("_configs"):
                continue
            for position, notifier in enumerate(notifiers or []):
                where = f"{file} receivers[{index}] ({receiver.get('name', '?')}).{key}[{position}].http_config"
                changes += _strip_http_config(notifier.get("http_config"), where)
    return changes


def _strip_http_config(http_config: dict[str, Any] | None, where: str) -> list[IsolationChange]:
    changes = []
    for key in _HTTP_WAYS_OUT:
        if http_config and key in http_config:
            value = http_config.pop(key)
            shown = _shown(key, value)
            changes.append(IsolationChange(
                f"{where}.{key}", f"was {shown}", "removed: notifications go straight to the harness's sink",
            ))
    return changes


def _shown(key: str, value: Any) -> str:
    """A removed setting as the report may show it: URLs without their secrets, header names only."""
    if key == "oauth2" and isinstance(value, dict):
        return redact_url(str(value.get("token_url", "?")))
    if key == "proxy_connect_header" and isinstance(value, dict):
        return "headers " + ", ".join(map(str, value))
    return redact_url(str(value)) if isinstance(value, str) else str(value)


def _inside(entry: dict[str, Any], stack_alertmanager: str) -> bool:
    """Whether an `alertmanagers` entry names only the stack's Alertmanager host, statically and directly."""
    host = stack_alertmanager.rpartition(":")[0]
    targets = _static_targets(entry)
    only_static = not any(key.endswith("_sd_configs") for key in entry) and not entry.get("relabel_configs")
    direct = not any(key in entry for key in _HTTP_WAYS_OUT)
    return bool(targets) and only_static and direct and all(t.rpartition(":")[0] == host for t in targets)


def _static_targets(entry: dict[str, Any]) -> list[str]:
    return [str(target) for group in entry.get("static_configs") or [] for target in group.get("targets") or []]


def _outside_destinations(entry: dict[str, Any], targets: list[str], stack_alertmanager: str) -> str:
    """What in one `alertmanagers` entry could reach beyond the stack, as a phrase; "" if nothing."""
    parts = []
    others = [target for target in targets if target != stack_alertmanager]
    if others:
        parts.append(f"named {', '.join(others)}")
    discovery = sorted(key for key in entry if key.endswith("_sd_configs"))
    if discovery:
        parts.append(f"discovered Alertmanagers through {', '.join(discovery)}")
    if entry.get("relabel_configs"):
        parts.append("relabelled Alertmanager addresses")
    ways_out = [key for key in _HTTP_WAYS_OUT if key in entry]
    if ways_out:
        parts.append(f"set {', '.join(ways_out)}")
    return "; ".join(parts)
