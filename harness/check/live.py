"""What a running Prometheus says about a team's configs: selectors that read nothing, dashboard
panels that would show "No data", scrape targets that are down.

    live.target-down              (error)    a scrape target whose last scrape failed
    live.selector-no-series       (warning)  a selector of a rule or panel with no series in the
                                             window; info for a recorded name not written yet
    live.dashboard-no-data        (warning)  a panel whose every query reads nothing
    live.dashboard-query-unread   (info)     a panel query that is not PromQL (MetricsQL, a typo)
    live.not-checked              (info)     the query budget ran out before everything was asked

A missing selector is a warning, not an error: some series exist only while something is failing
(ALERTS, an error counter's status label), and a stack that has not failed yet has none.

`counter_metrics(url)` gives the PromQL lints the names Prometheus's metadata types as counters.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from harness.check import dashboards as grafana
from harness.check import templating
from harness.check.absence import Absence, Diagnosis
from harness.check.findings import Finding
from harness.check.prometheus_api import MAX_QUERIES, TIMEOUT, WINDOW, BudgetExhausted, PrometheusApi, QueryRefused
from harness.check.selectors import Query, Selector, Unparsable, parse
from harness.check.documents import Rule
from harness.check.sources import Monitoring
from harness.errors import InvalidInput

__all__ = ["counter_metrics", "findings"]

_BLOCK_SCALAR = ("|", ">")


def findings(
    monitoring: Monitoring,
    prometheus_url: str,
    client: httpx.Client | None = None,
    *,
    window: timedelta = WINDOW,
    max_queries: int = MAX_QUERIES,
) -> list[Finding]:
    """Ask the Prometheus at `prometheus_url` about `monitoring`'s rules, dashboards and targets.

    At most `max_queries` requests, each with a timeout; PrometheusError when it does not answer.
    """
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        api = PrometheusApi(prometheus_url, http, max_queries, window)
        return _LiveCheck(monitoring, api).run()
    finally:
        if client is None:
            http.close()


def counter_metrics(prometheus_url: str, client: httpx.Client | None = None) -> set[str]:
    """Series names that are counters by the targets' own metadata (`# TYPE`).

    A counter family `x` gives `x` and `x_total` (OpenMetrics names the family without the
    suffix); histograms and summaries give their cumulative `_count`, `_sum` (and `_bucket`).
    """
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        metadata = PrometheusApi(prometheus_url, http).metadata()
    finally:
        if client is None:
            http.close()
    return _counters(metadata)


def _counters(metadata: dict[str, list[dict[str, object]]]) -> set[str]:
    names: set[str] = set()
    for family, entries in metadata.items():
        kinds = {str(entry.get("type")) for entry in entries if isinstance(entry, dict)}
        if "counter" in kinds:
            names |= {family, family if family.endswith("_total") else f"{family}_total"}
        if kinds & {"histogram", "gaugehistogram"}:
            names |= {f"{family}_bucket", f"{family}_count", f"{family}_sum"}
        if "summary" in kinds:
            names |= {f"{family}_count", f"{family}_sum"}
    return names


class _LiveCheck:
    def __init__(self, monitoring: Monitoring, api: PrometheusApi) -> None:
        self.monitoring = monitoring
        self.api = api
        self.found: list[Finding] = []
        self.recorded = {rule.name: rule for rule in monitoring.rules if rule.kind == "record"}
        self.target_labels = {"job", "instance"}
        self.diagnosis = Diagnosis(api, self.recorded, set())
        self._file_lines: dict[Path, list[str]] = {}

    def run(self) -> list[Finding]:
        try:
            self._targets()
            if self.monitoring.rules or self.monitoring.dashboards:
                self.diagnosis = Diagnosis(self.api, self.recorded, _counters(self.api.metadata()), self.target_labels)
            for rule in self.monitoring.rules:
                self._rule(rule)
            for path in self.monitoring.dashboards:
                self._dashboard(path)
        except BudgetExhausted as stop:
            self.found.append(Finding(
                "live.not-checked", "info", self.api.url, 1, "query budget",
                f"{stop}: the rest of the rules and dashboards were not checked against Prometheus",
                "check fewer files at a time, or allow more queries",
            ))
        unique = {(f.code, f.file, f.line, f.subject, f.message): f for f in self.found}
        return sorted(unique.values(), key=Finding.sort_key)

    def _targets(self) -> None:
        for target in self.api.targets():
            health = str(target.get("health", "unknown"))
            labels: dict[str, str] = target["labels"] if isinstance(target.get("labels"), dict) else {}
            self.target_labels |= set(labels)
            if health == "up":
                continue
            job = str(labels.get("job") or target.get("scrapePool") or "?")
            instance = str(labels.get("instance") or target.get("scrapeUrl") or "?")
            file, line = self._scrape_config(str(target.get("scrapePool") or job))
            if health == "unknown":
                self.found.append(Finding(
                    "live.target-down", "info", file, line, f"job {job}",
                    f"target {instance} of job `{job}` has not been scraped yet", "check again after a scrape interval"))
                continue
            self.found.append(Finding(
                "live.target-down", "error", file, line, f"job {job}",
                f"target {instance} of job `{job}` is down: {target.get('lastError') or 'no error given'}",
                f"start it, or fix its address in job `{job}`; while it is down every rule on its metrics reads "
                "nothing, and only an `up == 0` alert can tell",
            ))

    def _scrape_config(self, job: str) -> tuple[str, int]:
        """Where the scrape config of `job` is: prometheus.yml and its `job_name` line, when known."""
        prometheus = self.monitoring.prometheus
        if prometheus is None:
            return self.api.url, 1
        configs = prometheus.data.get("scrape_configs")
        for index, config in enumerate(configs if isinstance(configs, list) else []):
            if isinstance(config, dict) and config.get("job_name") == job:
                return str(prometheus.path), prometheus.line("scrape_configs", index, "job_name")
        return str(prometheus.path), prometheus.line("scrape_configs")

    def _rule(self, rule: Rule) -> None:
        try:
            query = parse(rule.expr)
        except Unparsable:
            return  # the PromQL check says what is wrong with it
        for selector in query.selectors():
            absence = self.diagnosis.absence(selector)
            if absence is not None:
                self.found.append(_finding(str(rule.file), self._rule_line(rule, query, selector), rule.subject, absence))

    def _dashboard(self, path: Path) -> None:
        try:
            dashboard = grafana.read(path)
        except InvalidInput as error:
            self.found.append(Finding("live.dashboard-query-unread", "info", str(path), 1, f"dashboard {path.name}",
                                      str(error), "export the dashboard again as JSON"))
            return
        bindings = self._bindings(dashboard)
        globals_ = templating.builtins(self.monitoring.scrape_interval, dashboard.title)
        for panel in dashboard.panels:
            targets = panel.prometheus_targets
            causes: list[str] = []
            empty_targets = 0
            for target in targets:
                expr = templating.expand(target.expr, bindings, globals_)
                try:
                    query = parse(expr)
                except Unparsable as error:
                    self.found.append(Finding(
                        "live.dashboard-query-unread", "info", str(path), target.line, dashboard.subject(panel),
                        f"query {target.ref_id} is not PromQL Prometheus can run ({error}), so it was not checked",
                        "fix the query, or ignore this if its datasource is not Prometheus (e.g. VictoriaMetrics)"))
                    continue
                missing = self._panel_selectors(query, str(path), target.line, dashboard.subject(panel), causes)
                if query.yields_nothing(missing):
                    empty_targets += 1
            if targets and empty_targets == len(targets):
                self.found.append(Finding(
                    "live.dashboard-no-data", "warning", str(path), panel.line, dashboard.subject(panel),
                    f"panel {panel.title!r} of dashboard {dashboard.title!r} would show No data: "
                    + "; ".join(dict.fromkeys(causes)),
                    "fix the selectors named (see the live.selector-no-series findings on its queries)",
                ))

    def _panel_selectors(self, query: Query, file: str, line: int, subject: str, causes: list[str]) -> set[str]:
        """Check a query's selectors; the `text` of those with no series (as the query's tree writes them)."""
        missing: set[str] = set()
        for selector in query.selectors():
            if templating.UNKNOWN in selector.name:
                continue
            known = selector.without({m.label for m in selector.matchers if templating.UNKNOWN in m.value})
            if not known.name and not known.matchers:
                continue
            absence = self.diagnosis.absence(known)
            if absence is not None:
                missing.add(selector.text)
                causes.append(_cause(absence))
                self.found.append(_finding(file, line, subject, absence))
        return missing

    def _bindings(self, dashboard: grafana.Dashboard) -> dict[str, templating.Binding]:
        """Each variable's value when the dashboard opens; query variables asked of Prometheus."""
        bindings: dict[str, templating.Binding] = {}
        globals_ = templating.builtins(self.monitoring.scrape_interval, dashboard.title)
        for variable in dashboard.variables:
            if variable.kind == "query":
                question = templating.variable_query(templating.expand(variable.query, bindings, globals_))
                options = self._ask(question) if question is not None else None
                if options is not None:
                    variable = variable.with_options(templating.apply_regex(options, variable.regex))
            bindings[variable.name] = templating.binding(variable, self.monitoring.scrape_interval)
        return bindings

    def _ask(self, question: templating.VariableQuery) -> list[str] | None:
        match = ""
        if question.selector:
            try:
                selectors = parse(question.selector).selectors()
            except Unparsable:
                return None
            if len(selectors) != 1:
                return None
            known = selectors[0].without({m.label for m in selectors[0].matchers if templating.UNKNOWN in m.value})
            if templating.UNKNOWN in known.name:
                return None
            match = known.text
        try:
            if question.function == "label_values":
                return self.api.label_values(question.label, match)
            if question.function == "label_names":
                return self.api.label_names(match)
        except QueryRefused:
            return None
        try:
            pattern = re.compile(question.pattern or ".*")
        except re.error:
            return None
        return sorted(name for name in self.diagnosis.names if pattern.search(name))

    def _rule_line(self, rule: Rule, query: Query, selector: Selector) -> int:
        """The line of the selector in the rule file: the expr's line, plus its line within a block scalar."""
        within = query.line_of(selector)
        lines = self._lines(rule.file)
        key_line = lines[rule.expr_line - 1] if 0 < rule.expr_line <= len(lines) else ""
        value = key_line.split("expr:", 1)[1].strip() if "expr:" in key_line else ""
        if value[:1] in _BLOCK_SCALAR:
            return rule.expr_line + 1 + within
        return rule.expr_line + within

    def _lines(self, path: Path) -> list[str]:
        if path not in self._file_lines:
            try:
                self._file_lines[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._file_lines[path] = []
        return self._file_lines[path]


def _finding(file: str, line: int, subject: str, absence: Absence) -> Finding:
    return Finding("live.selector-no-series", absence.severity, file, line, subject, absence.message, absence.fix)


def _cause(absence: Absence) -> str:
    """The first clause of an absence's message ("`x` does not exist"), without values or suggestions."""
    return re.split(r": |; ", absence.message, maxsplit=1)[0]
