"""Run every check on what PATHs name: static first, then (with a Prometheus URL) live."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.check import hygiene, inhibits, live, promql, retention, routes, secrets, waivers, wiring
from harness.check.findings import Finding, errors
from harness.check.routes import RoutingMatrix
from harness.check.sources import Monitoring, discover
from harness.check.waivers import Accepted
from harness.errors import RunFailure

#: The static checks, in the order their findings are listed for one line.
STATIC_CHECKS: tuple[Callable[[Monitoring], list[Finding]], ...] = (
    wiring.findings, inhibits.findings, promql.findings, secrets.findings, hygiene.findings, retention.findings,
)


@dataclass(frozen=True)
class CheckResult:
    monitoring: Monitoring
    findings: tuple[Finding, ...]
    matrix: RoutingMatrix | None
    seconds: float
    live: bool = False
    #: Findings a waiver file accepts: listed, not counted.
    accepted: tuple[Accepted, ...] = ()
    waivers: Path | None = None
    #: The static findings other than PromQL's, before waivers: what adding the live part reuses.
    reusable: tuple[Finding, ...] = field(default=(), compare=False, repr=False)

    @property
    def errors(self) -> list[Finding]:
        return errors(self.findings)

    def counts(self) -> dict[str, int]:
        return {severity: sum(1 for finding in self.findings if finding.severity == severity)
                for severity in ("error", "warning", "info")}

    def as_json(self) -> dict[str, Any]:
        return {
            "inputs": [str(path) for path in self.monitoring.inputs],
            "files": {
                "prometheus": _name(self.monitoring.prometheus.path if self.monitoring.prometheus else None),
                "alertmanager": _name(self.monitoring.alertmanager.path if self.monitoring.alertmanager else None),
                "compose": _name(self.monitoring.compose.path if self.monitoring.compose else None),
                "rule_files": [{"path": _name(source.path), "loaded": source.loaded}
                               for source in self.monitoring.rule_files],
                "dashboards": [_name(path) for path in self.monitoring.dashboards],
            },
            "rules": len(self.monitoring.rules),
            "live": self.live,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "findings": [finding.as_json() for finding in self.findings],
            "waivers": _name(self.waivers),
            "accepted": [{**item.finding.as_json(), "reason": item.reason, "waiver": item.waiver} for item in self.accepted],
            "routing_matrix": self.matrix.as_json() if self.matrix is not None else None,
        }


def check(paths: list[Path], prometheus_url: str | None = None, waiver_file: Path | None = None,
          alertmanager_url: str | None = None) -> CheckResult:
    """Every finding for what `paths` name; InvalidInput when they cannot be read at all.

    With `prometheus_url` the live checks run too (and the PromQL lints learn which metrics the
    targets type as counters); with `alertmanager_url` its active silences are checked. Findings
    accepted in `waiver_file` (by default a `harness-check.yml` beside the inputs) are listed apart
    and do not count.
    """
    started = time.monotonic()
    waiver_file = waiver_file or waivers.find(paths)
    accepted_by = waivers.load(waiver_file) if waiver_file is not None else None
    monitoring = discover(paths)
    return evaluate(monitoring, started, prometheus_url, alertmanager_url, accepted_by)


def add_live(result: CheckResult, prometheus_url: str, alertmanager_url: str | None = None) -> CheckResult:
    """`result` with the live findings of a running stack (the static ones other than PromQL's are kept)."""
    accepted_by = waivers.load(result.waivers) if result.waivers is not None else None
    return evaluate(result.monitoring, time.monotonic() - result.seconds, prometheus_url, alertmanager_url,
                    accepted_by, (result.matrix, list(result.reusable)))


def evaluate(monitoring: Monitoring, started: float, prometheus_url: str | None = None,
             alertmanager_url: str | None = None, accepted_by: waivers.Waivers | None = None,
             static: tuple[RoutingMatrix | None, list[Finding]] | None = None) -> CheckResult:
    """Every check on what was discovered: static (unless given), then live against the URLs given."""
    counters = live.counter_metrics(prometheus_url) if prometheus_url is not None else None
    if static is None:
        matrix, found = routes.analyse(monitoring)
        found += [finding for check in STATIC_CHECKS if check is not promql.findings for finding in check(monitoring)]
    else:
        matrix, found = static[0], list(static[1])
    reusable = tuple(found)
    found += promql.findings(monitoring, counters)
    if prometheus_url is not None:
        found += live.findings(monitoring, prometheus_url)
    if alertmanager_url is not None:
        found += inhibits.silence_findings(monitoring, live_silences(alertmanager_url), f"{alertmanager_url}/#/silences")
    found = _fold_confirmations(found)
    accepted: list[Accepted] = []
    if accepted_by is not None:
        found, accepted = accepted_by.apply(found)
    unique = sorted(set(_relative(finding) for finding in found), key=Finding.sort_key)
    accepted = [Accepted(_relative(item.finding), item.reason, item.waiver) for item in accepted]
    return CheckResult(monitoring, tuple(unique), matrix, time.monotonic() - started, prometheus_url is not None,
                       tuple(sorted(accepted, key=lambda item: item.finding.sort_key())),
                       accepted_by.path if accepted_by is not None else None, reusable)


def _fold_confirmations(found: list[Finding]) -> list[Finding]:
    """amtool's `unsupported scheme ""` is the `${VAR}` URL a secrets finding already names, with its line."""
    refusals = [finding for finding in found
                if finding.code == "wiring.alertmanager-invalid" and 'unsupported scheme ""' in finding.message]
    causes = [finding for finding in found if finding.code == "secrets.unexpanded-variable" and "refuses to load"
              in finding.message and any(finding.file == refusal.file for refusal in refusals)]
    if not causes:
        return found
    first = causes[0]
    confirmed = Finding(first.code, first.severity, first.file, first.line, first.subject,
                        f"{first.message} (amtool check-config confirms: unsupported scheme \"\" for URL)", first.fix)
    return [confirmed if finding is first else finding for finding in found
            if not (finding in refusals and finding.file == first.file)]


def live_silences(alertmanager_url: str) -> list[dict[str, Any]]:
    """Alertmanager's silences (API v2); RunFailure when it does not answer."""
    try:
        response = httpx.get(f"{alertmanager_url.rstrip('/')}/api/v2/silences", timeout=10)
        response.raise_for_status()
        return list(response.json())
    except (httpx.HTTPError, ValueError) as error:
        raise RunFailure(f"Alertmanager at {alertmanager_url} does not answer /api/v2/silences: {error}") from error


def _relative(finding: Finding) -> Finding:
    return Finding(finding.code, finding.severity, _name(Path(finding.file)), finding.line, finding.subject,
                   finding.message, finding.fix)


def _name(path: Path | None) -> str | None:
    """A path relative to the working folder when it is under it, as code scanning wants it."""
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
