"""What a reader decides on, read from a run's data (report.json) alone: the decision, the checklist, the alerts.

    decide(data)      SUCCESS (every expectation verified, no error-level finding), NO (something failed),
                      or INCOMPLETE (nothing failed, but something was not verified: inconclusive, skipped);
                      with the reasons, each naming the scenario and expectation
    checklist(data)   the launch checklist of a hand-ticked verification report (metrics visible, alerts
                      per severity, test alert delivered, each channel, resolution, config), each item
                      ticked only by a measured result, with the result and a link to its evidence
    alert_rows(data)  per scenario and alert: severity, receivers expected and reached, detection and
                      delivery time against the theoretical window, in run time and in real time

Everything here reads the data, never a live object, so `harness report DIR` gives the same answer
as the run did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["AlertRow", "ChecklistItem", "Decision", "alert_rows", "anchor", "checklist", "decide", "summarise"]

Outcome = Literal["SUCCESS", "NO", "INCOMPLETE"]
Tick = Literal["ticked", "not ticked", "not measured"]
HEADLINES: dict[Outcome, str] = {
    "SUCCESS": "SUCCESS: every expectation verified; proceed",
    "NO": "NO: not verified; fix the failures and run again",
    "INCOMPLETE": "INCOMPLETE: nothing failed, but not everything was verified; fix and run again",
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    headline: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistItem:
    title: str
    tick: Tick
    #: The measured result that ticks it (or why it is not ticked, or why nothing measured it).
    result: str
    #: Where the evidence is: an anchor in report.html (`#s-high-error-rate`) or a file of the bundle.
    link: str = ""


@dataclass(frozen=True)
class AlertRow:
    scenario: str
    alert: str
    severity: str
    expected: tuple[str, ...]
    reached: tuple[str, ...]
    #: Seconds from the fault's start (run time) to firing, and to the last expected receiver's delivery.
    detection_s: float | None
    delivery_s: float | None
    window: tuple[float, float] | None
    scale: float
    status: str
    #: The alert's detection over its recent runs, this one last: (status, seconds) from the history.
    trend: tuple[tuple[str, float | None], ...] = ()

    def real(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds * self.scale


def anchor(scenario: str) -> str:
    return "s-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in scenario)


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """The decision, checklist and alert table as JSON, for report.json and the templates."""
    return {
        "decision": asdict(decide(data)),
        "checklist": [asdict(item) for item in checklist(data)],
        "alerts": [{**asdict(row), "detection_real_s": row.real(row.detection_s),
                    "delivery_real_s": row.real(row.delivery_s)} for row in alert_rows(data)],
    }


def _verdicts(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for scenario in data.get("scenarios", []):
        for verdict in scenario.get("verdicts", []):
            yield scenario, verdict


def decide(data: dict[str, Any]) -> Decision:
    failed: list[str] = []
    unverified: list[str] = []
    if data.get("error"):
        failed.append(f"the run stopped with an error (scenarios after it gave no verdict): {data['error']}")
    for scenario in data.get("scenarios", []):
        if scenario.get("error"):
            failed.append(f"{scenario['name']}: did not run to its end: {scenario['error']}")
        if scenario.get("skipped"):
            unverified.append(f"{scenario['name']}: skipped, so not verified: {scenario['skipped']}")
        for verdict in scenario.get("verdicts", []):
            line = f"{scenario['name']}: {verdict['expectation']}: {verdict['detail']}"
            if verdict["status"] == "failed":
                failed.append(line)
            elif verdict["status"] == "inconclusive":
                unverified.append(f"{line} (inconclusive)")
    check = data.get("config_check") or {}
    for finding in check.get("findings", []):
        if finding.get("severity") == "error":
            failed.append(f"config check: {finding['file']}:{finding['line']}: {finding['subject']}: "
                          f"{finding['message']} ({finding['code']})")
    if not data.get("scenarios") and not data.get("error"):
        unverified.append("no scenario ran")
    outcome: Outcome = "NO" if failed else "INCOMPLETE" if unverified else "SUCCESS"
    if outcome == "SUCCESS" and not data.get("passed", True):
        outcome, unverified = "INCOMPLETE", ["the run says it did not pass, and no verdict says why"]
    return Decision(outcome, HEADLINES[outcome], tuple(failed + unverified))


def checklist(data: dict[str, Any]) -> list[ChecklistItem]:
    items = [
        _by_kind(data, "metric_present", "Metrics visible: every metric the scenarios read is scraped"),
        _live_targets(data),
        _dashboards(data),
        *_severities(data),
        _by_kind(data, "alert_delivered", "Test alert triggered and delivered (fault on, alert fired, receivers told)",
                 any_one=True),
        *_channels(data),
        _by_kind(data, "alert_resolves", "Alerts resolve after the fault, with resolved notifications where asked"),
        _by_kind(data, "alert_not_delivered", "Inhibitions and silences hold: suppressed notifications never arrive"),
        _unannounced(data),
        _config_check(data),
        _scenarios(data),
    ]
    return items


def _by_kind(data: dict[str, Any], kind: str, title: str, any_one: bool = False) -> ChecklistItem:
    found = [(s, v) for s, v in _verdicts(data) if v["kind"] == kind]
    if not found:
        return ChecklistItem(title, "not measured", f"no scenario of this run has a {kind} expectation")
    good = [(s, v) for s, v in found if v["status"] == "verified"]
    bad = [(s, v) for s, v in found if v["status"] != "verified"]
    if any_one:
        if good:
            s, v = good[0]
            return ChecklistItem(title, "ticked", f"{s['name']}: {v['expectation']}: {v['detail']}",
                                 "#" + anchor(s["name"]))
        s, v = bad[0]
        return ChecklistItem(title, "not ticked", f"{s['name']}: {v['expectation']}: {v['status']}: {v['detail']}",
                             "#" + anchor(s["name"]))
    if bad:
        s, v = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return ChecklistItem(title, "not ticked",
                             f"{len(good)}/{len(found)} verified; {s['name']}: {v['expectation']}: {v['status']}: "
                             f"{v['detail']}{more}", "#" + anchor(s["name"]))
    s, v = good[0]
    return ChecklistItem(title, "ticked", f"{len(good)}/{len(found)} verified, e.g. {s['name']}: {v['detail']}",
                         "#" + anchor(s["name"]))


def _live_findings(data: dict[str, Any], codes: tuple[str, ...]) -> list[dict[str, Any]]:
    check = data.get("config_check") or {}
    return [f for f in check.get("findings", []) if f.get("code") in codes]


def _live_targets(data: dict[str, Any]) -> ChecklistItem:
    check = data.get("config_check") or {}
    return _by_live_findings(data, "Targets up, and every rule's selectors return series (live check)",
                             ("live.target-down", "live.selector-no-series"),
                             f"{check.get('rules', 0)} rules checked against the running Prometheus: "
                             "no target down, no selector without series")


def _dashboards(data: dict[str, Any]) -> ChecklistItem:
    title = "Dashboards: every panel shows data"
    check = data.get("config_check") or {}
    dashboards = (check.get("files") or {}).get("dashboards") or []
    grafana = [o for o in data.get("omitted", []) if "grafana" in o.get("name", "").lower()]
    if not dashboards:
        why = f"; Grafana was left out: {grafana[0]['leaves_unverified']}" if grafana else ""
        return ChecklistItem(title, "not measured", "the stack has no dashboard files" + why)
    return _by_live_findings(data, title, ("live.dashboard-no-data", "live.dashboard-query-unread"),
                             f"{len(dashboards)} dashboard(s): every panel's queries return data on the running stack")


def _by_live_findings(data: dict[str, Any], title: str, codes: tuple[str, ...], ticked: str) -> ChecklistItem:
    """Ticked when the live config check ran and found none of `codes`; not measured when it did not run."""
    if not (data.get("config_check") or {}).get("live"):
        return ChecklistItem(title, "not measured", "the live config check did not run", "#config-check")
    found = _live_findings(data, codes)
    if found:
        return ChecklistItem(title, "not ticked", "; ".join(f"{f['subject']}: {f['message']}" for f in found[:3]),
                             "#config-check")
    return ChecklistItem(title, "ticked", ticked, "#config-check")


def _severity_of(data: dict[str, Any]) -> dict[str, str]:
    return {rule["alert"]: rule.get("severity") or "(none)" for rule in data.get("rules", [])}


def _severities(data: dict[str, Any]) -> list[ChecklistItem]:
    """One item per severity the rules use: an alert of it fired and reached exactly its receivers."""
    severity = _severity_of(data)
    items = []
    for level in sorted(set(severity.values()), key=_rank):
        title = f"Alerts of severity {level} fire and reach their receivers"
        found = [(s, v) for s, v in _verdicts(data)
                 if v["kind"] == "alert_delivered" and severity.get(v.get("alert") or "") == level]
        alerts = sorted(a for a, s in severity.items() if s == level)
        if not found:
            items.append(ChecklistItem(title, "not measured", f"no expectation of this run delivers one of "
                                       f"{', '.join(alerts[:6])}{' …' if len(alerts) > 6 else ''}"))
            continue
        bad = [(s, v) for s, v in found if v["status"] != "verified"]
        s, v = (bad or found)[0]
        tick: Tick = "not ticked" if bad else "ticked"
        shown = sorted({v2["alert"] for _, v2 in found if v2["status"] == "verified"})
        result = (f"{s['name']}: {v['expectation']}: {v['status']}: {v['detail']}" if bad
                  else f"verified for {', '.join(shown)} ({len(found)} expectation(s))")
        items.append(ChecklistItem(title, tick, result, "#" + anchor(s["name"])))
    return items


def _rank(severity: str) -> tuple[int, str]:
    order = {"critical": 0, "page": 0, "error": 1, "high": 1, "warning": 2, "info": 3}
    return order.get(severity, 4), severity


def _channels(data: dict[str, Any]) -> list[ChecklistItem]:
    """One item per receiver type (slack, pagerduty, email, webhook): a verified delivery reached one of its kind."""
    kinds: dict[str, set[str]] = {}
    for endpoint in data.get("receivers", []):
        kinds.setdefault(endpoint["kind"], set()).add(endpoint["receiver"])
    items = []
    for kind, receivers in sorted(kinds.items()):
        title = f"{kind} notifications delivered"
        found = [(s, v) for s, v in _verdicts(data)
                 if v["kind"] == "alert_delivered" and set(v.get("receivers") or ()) & receivers]
        if not found:
            items.append(ChecklistItem(title, "not measured", f"no expectation delivers to {', '.join(sorted(receivers))}"))
            continue
        good = [(s, v) for s, v in found if v["status"] == "verified"]
        s, v = (good or found)[0]
        reached = sorted(set(v.get("receivers") or ()) & receivers)
        if good:
            items.append(ChecklistItem(title, "ticked", f"{', '.join(reached)}: {s['name']}: {v['detail']}",
                                       "#" + anchor(s["name"])))
        else:
            items.append(ChecklistItem(title, "not ticked", f"{', '.join(reached)}: {s['name']}: {v['status']}: "
                                       f"{v['detail']}", "#" + anchor(s["name"])))
    return items


def _unannounced(data: dict[str, Any]) -> ChecklistItem:
    title = "Nothing pages unannounced"
    ran = [s for s in data.get("scenarios", []) if s.get("verdicts")]
    if not ran:
        return ChecklistItem(title, "not measured", "no scenario gave verdicts")
    stray = [(s, v) for s, v in _verdicts(data) if v["kind"] == "unannounced"]
    bad = [(s, v) for s, v in stray if v["status"] != "verified"]
    if bad:
        s, v = bad[0]
        return ChecklistItem(title, "not ticked", f"{s['name']}: {v['detail']}", "#" + anchor(s["name"]))
    listed = "; ".join(f"{s['name']}: {v['detail']}" for s, v in stray)
    return ChecklistItem(title, "ticked", f"{len(ran)} scenario(s): no page or notification beyond what they expect"
                         + (f" (listed: {listed})" if listed else ""))


def _config_check(data: dict[str, Any]) -> ChecklistItem:
    title = "Config check: no error-level finding in the stack's configs"
    check = data.get("config_check")
    if not check:
        return ChecklistItem(title, "not measured", "the config check did not run")
    counts = check.get("counts", {})
    tick: Tick = "not ticked" if counts.get("error") else "ticked"
    return ChecklistItem(title, tick, f"{counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s), "
                         f"{counts.get('info', 0)} info", "#config-check")


def _scenarios(data: dict[str, Any]) -> ChecklistItem:
    title = "Every scenario verified"
    scenarios = data.get("scenarios", [])
    if not scenarios:
        return ChecklistItem(title, "not measured", data.get("error") or "no scenario ran")
    counts = data.get("counts", {})
    good = sum(s["status"] == "verified" for s in scenarios)
    tick: Tick = "ticked" if good == len(scenarios) else "not ticked"
    return ChecklistItem(title, tick, f"{good}/{len(scenarios)} verified ({counts.get('failed', 0)} failed, "
                         f"{counts.get('inconclusive', 0)} inconclusive, {counts.get('skipped', 0)} skipped)",
                         "#scenarios")


def alert_rows(data: dict[str, Any]) -> list[AlertRow]:
    severity = _severity_of(data)
    rows = []
    for scenario in data.get("scenarios", []):
        verdicts = scenario.get("verdicts", [])
        alerts = list(dict.fromkeys(v["alert"] for v in verdicts if v.get("alert")))
        moments = scenario.get("moments") or {}
        fault_start = moments.get("fault_start")
        events = scenario.get("timeline", [])
        for alert in alerts:
            mine = [v for v in verdicts if v.get("alert") == alert]
            delivered = next((v for v in mine if v["kind"] == "alert_delivered"), None)
            fires = next((v for v in mine if v["kind"] == "alert_fires"), None)
            expected = tuple(delivered.get("receivers") or ()) if delivered else ()
            after = [e for e in events if fault_start is None or e["offset"] >= fault_start]
            reached = tuple(sorted({e["receiver"] for e in after if e["source"] == "delivery" and e["name"] == alert
                                    and e["state"] == "firing" and "accepted" in str(e.get("detail", ""))}))
            firing = next((e["offset"] for e in after if e["source"] == "alert" and e["name"] == alert
                           and e["state"] == "firing"), None)
            detection = fires["measured_s"] if fires and fires.get("measured_s") is not None else (
                None if firing is None or fault_start is None else firing - fault_start)
            window_from = delivered or fires
            window = (window_from["window"]["earliest"], window_from["window"]["latest"]) if (
                window_from and window_from.get("window")) else None
            status = "verified" if all(v["status"] == "verified" for v in mine) else next(
                v["status"] for v in mine if v["status"] != "verified")
            timed = fires or delivered
            recent = data.get("history", {}).get(scenario["name"], {}).get(timed["expectation"], []) if timed else []
            rows.append(AlertRow(scenario["name"], alert, severity.get(alert, ""), expected, reached, detection,
                                 delivered.get("measured_s") if delivered else None, window,
                                 float(scenario.get("scale") or data.get("scale") or 1), status,
                                 tuple((run["status"], run["measured_s"]) for run in recent)))
    return rows
