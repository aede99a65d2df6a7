"""Configuration that only looks connected: rules never loaded or unparsable, no Alertmanager, dead receivers.

promtool and amtool (the stack's own versions, harness.tools) say what Prometheus and Alertmanager
would refuse; the rest is read from the files: a Prometheus with no `alerting:` target evaluates
rules that notify nobody, and a receiver no route names never receives anything.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness import tools, yamlfile
from harness.check.findings import Finding
from harness.check.documents import Rule, YamlFile, route_path
from harness.check.sources import Monitoring
from harness.errors import InvalidInput

#: `file: 5:15: group "g", rule 1, "A": could not parse expression: ...`
_PROMTOOL_PLACE = re.compile(r'^(?P<file>.+?): (?:(?P<line>\d+):(?P<column>\d+): )?(?P<what>.*)$')
_PROMTOOL_RULE = re.compile(r'group "(?P<group>[^"]*)", rule \d+, "(?P<rule>[^"]*)"')
#: Service discovery keys that give Prometheus Alertmanager targets without static ones.
_DISCOVERY = ("dns_sd_configs", "file_sd_configs", "kubernetes_sd_configs", "consul_sd_configs", "ec2_sd_configs",
              "http_sd_configs", "azure_sd_configs", "gce_sd_configs")


def findings(monitoring: Monitoring) -> list[Finding]:
    found = list(monitoring.findings)
    if monitoring.prometheus is not None and monitoring.alerts:
        found += _alerting(monitoring.prometheus)
    found += promtool_rule_problems([source.path for source in monitoring.rule_files], monitoring.rules)
    if monitoring.alertmanager is not None:
        receivers = _receivers(monitoring.alertmanager)
        refused = amtool_problems(monitoring.alertmanager)
        if any(finding.code == "routing.unknown-receiver" for finding in receivers):
            refused = [finding for finding in refused if "undefined receiver" not in finding.message]
        found += refused + receivers
    return found


def _alerting(prometheus: YamlFile) -> list[Finding]:
    alerting = prometheus.data.get("alerting")
    managers = alerting.get("alertmanagers") if isinstance(alerting, dict) else None
    if not managers:
        return [Finding(
            "wiring.no-alertmanager", "error", str(prometheus.path), prometheus.line("alerting"), "alerting",
            "the config has no `alerting.alertmanagers`, so alerts fire in Prometheus and are sent nowhere",
            "add `alerting: {alertmanagers: [{static_configs: [{targets: ['alertmanager:9093']}]}]}`")]
    for manager in managers:
        if not isinstance(manager, dict):
            continue
        targets = [target for config in manager.get("static_configs") or [] if isinstance(config, dict)
                   for target in config.get("targets") or []]
        if targets or any(manager.get(key) for key in _DISCOVERY):
            return []
    return [Finding(
        "wiring.no-alertmanager", "error", str(prometheus.path), prometheus.line("alerting", "alertmanagers"),
        "alerting.alertmanagers", "`alerting.alertmanagers` lists no target, so alerts are sent nowhere",
        "give it `static_configs: [{targets: ['alertmanager:9093']}]` (the Alertmanager's host:port)")]


def promtool_rule_problems(paths: list[Path], rules: tuple[Rule, ...]) -> list[Finding]:
    """What `promtool check rules` refuses in rule files (a PrometheusRule's groups checked as a plain file).

    One promtool run for all of them: it names the file on each line it complains about.
    """
    if not paths:
        return []
    with tempfile.TemporaryDirectory(prefix="harness-check-") as scratch:
        checked = {}
        for index, path in enumerate(paths):
            plain = _plain(path, Path(scratch) / f"{index}-{path.name}")
            if plain is not None:  # unreadable YAML: sources already reported it
                checked[str(plain)] = path
        if not checked:
            return []
        result = subprocess.run([str(tools.promtool()), "check", "rules", "--lint=none", *checked],
                                capture_output=True, text=True, timeout=120)
    if result.returncode == 0:
        return []
    problems = []
    for text in result.stderr.splitlines():
        found = _PROMTOOL_PLACE.match(text.strip())
        if not text.strip() or found is None or found["file"] not in checked:
            continue
        path = checked[found["file"]]
        what = found["what"]
        line = int(found["line"]) if found["line"] and found["file"] == str(path) else _line_of(what, path, rules)
        named = _PROMTOOL_RULE.search(what)
        subject = f"alert {named['rule']}" if named else f"rule file {path.name}"
        problems.append(Finding("rules.invalid", "error", str(path), line, subject,
                                f"promtool refuses it: {what}",
                                "fix the rule; Prometheus refuses to load a config whose rule file it cannot read"))
    return problems or [Finding("rules.invalid", "error", str(paths[0]), 1, "rule files",
                                f"promtool refuses them: {(result.stdout + result.stderr).strip()}", "fix the files")]


def _plain(path: Path, scratch: Path) -> Path | None:
    """The file itself, or a plain rule file of a manifest's `spec.groups`."""
    try:
        documents = yamlfile.load_all(path)
    except InvalidInput:
        return None
    groups: list[Any] = []
    for document, _ in documents:
        if isinstance(document, dict) and "groups" in document and document.get("kind") is None:
            return path
        if isinstance(document, dict) and document.get("kind") == "PrometheusRule":
            groups += (document.get("spec") or {}).get("groups") or []
    scratch.write_text(yamlfile.dump({"groups": groups}))
    return scratch


def _line_of(what: str, path: Path, rules: tuple[Rule, ...]) -> int:
    named = _PROMTOOL_RULE.search(what)
    if named:
        for rule in rules:
            if rule.file == path and rule.group == named["group"] and rule.name == named["rule"]:
                return rule.line
    quoted = re.search(r'"([^"]+)"', what)
    if quoted:
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if re.search(rf':\s*["\']?{re.escape(quoted[1])}["\']?\s*$', text):
                return number
    return 1


def amtool_problems(alertmanager: YamlFile) -> list[Finding]:
    """What `amtool check-config` refuses, pointed at the line it is about when the message names one."""
    result = subprocess.run([str(tools.amtool()), "check-config", str(alertmanager.path)],
                            capture_output=True, text=True, timeout=60)
    if result.returncode == 0:
        return []
    text = " ".join((result.stdout + result.stderr).split())
    reason = text.split("FAILED:", 1)[-1].split("amtool: error", 1)[0].strip() or text
    line = 1
    quoted = re.search(r'"([^"]+)"', reason)
    if quoted:
        for number, content in enumerate(alertmanager.path.read_text().splitlines(), 1):
            if quoted[1] in content:
                line = number
                break
    return [Finding("wiring.alertmanager-invalid", "error", str(alertmanager.path), line, "alertmanager.yml",
                    f"amtool check-config refuses it: {reason}",
                    "fix it; Alertmanager does not start (or keeps its old config) when it cannot load this one")]


def misspelt_of(finding: Finding, misspelt: dict[str, str]) -> str | None:
    """The defined receiver an unknown receiver's name is a misspelling of."""
    for defined, unknown in misspelt.items():
        if f"receiver {unknown!r}" in finding.message:
            return defined
    return None


def _receivers(alertmanager: YamlFile) -> list[Finding]:
    data = alertmanager.data
    defined = {str(receiver.get("name")): index for index, receiver in enumerate(data.get("receivers") or [])
               if isinstance(receiver, dict)}
    named: set[str] = set()
    found: list[Finding] = []

    def visit(route: Any, location: tuple[str | int, ...]) -> None:
        if not isinstance(route, dict):
            return
        receiver = route.get("receiver")
        if receiver is not None:
            named.add(str(receiver))
            if str(receiver) not in defined:
                found.append(Finding(
                    "routing.unknown-receiver", "error", str(alertmanager.path), alertmanager.line(*location, "receiver"),
                    route_path(location),
                    f"the route sends to receiver {receiver!r}, which `receivers:` does not define",
                    f"define a receiver named {receiver!r} or name one of: {', '.join(sorted(defined)) or 'none'}"))
        for index, child in enumerate(route.get("routes") or []):
            visit(child, (*location, "routes", index))

    visit(data.get("route"), ("route",))
    misspelt = {}
    for unknown in sorted(named - set(defined)):
        close = difflib.get_close_matches(unknown, [name for name in defined if name not in named], n=1)
        if close:
            misspelt[close[0]] = unknown
    found = [replace(finding, fix=f"did you mean {misspelt_of(finding, misspelt)!r}? Name a defined receiver")
             if misspelt_of(finding, misspelt) else finding for finding in found]
    for name, index in defined.items():
        if name not in named and name not in misspelt:
            found.append(Finding(
                "routing.receiver-unreached", "warning", str(alertmanager.path),
                alertmanager.line("receivers", index), f"receiver {name}",
                f"no route names receiver {name!r}, so nothing is ever delivered to it",
                f"add a route with `receiver: {name}` or remove the receiver"))
    return found
