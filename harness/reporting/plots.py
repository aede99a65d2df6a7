"""A plot per scenario: the metric each expectation reads against its threshold, and what the stack did.

One panel per metric (an alert rule's left-hand side, or a `metric_crosses` query), drawn from the
scenario's timeline in report.json, on seconds from the baseline's start:

    the sampled value   the series nearest to firing (highest for `>`, lowest for `<` and `==`)
    the threshold       dashed, with its comparison
    fault windows       shaded
    alert states        vertical lines where it went pending, firing, and inactive (resolved)
    deliveries          a marker per receiver where a notification arrived (filled: firing, open:
                        resolved, x: refused as the real service would)
    theory              the window the delivery (and the resolution) could arrive in, hatched

Matplotlib runs headless (Agg) and each figure is closed once rendered.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

__all__ = ["Panel", "Plot", "panels", "scenario_plot"]

STATE_COLOURS = {"pending": "#d4a017", "firing": "#c0392b", "inactive": "#27ae60"}
RECEIVER_MARKERS = ("v", "s", "D", "^", "P", "o", "X", "*")


@dataclass(frozen=True)
class Panel:
    """One metric an expectation reads: its timeline name, the threshold, and the alert it belongs to."""

    title: str
    series: str
    op: str = ""
    threshold: float | None = None
    alert: str = ""


@dataclass(frozen=True)
class Plot:
    png: bytes
    panels: tuple[Panel, ...]


def panels(scenario: dict[str, Any], rules: list[dict[str, Any]]) -> list[Panel]:
    """The metrics `scenario`'s expectations read, each once, in the order the expectations name them."""
    by_alert = {rule["alert"]: rule for rule in rules}
    found: dict[str, Panel] = {}
    for verdict in scenario.get("verdicts", []):
        alert, query = verdict.get("alert"), verdict.get("query")
        if alert and alert in by_alert and alert not in found:
            rule = by_alert[alert]
            threshold = rule.get("threshold") or {}
            found[alert] = Panel(f"{alert}: {threshold.get('lhs') or rule.get('scaled_expr', '')}",
                                 rule.get("sampled_as", ""), threshold.get("op", ""), threshold.get("value"), alert)
        elif verdict.get("kind") == "metric_crosses" and query and query not in found:
            above, below = verdict.get("above"), verdict.get("below")
            op, value = (">", above) if above is not None else ("<", below)
            found[query] = Panel(query, query, op, value)
    return list(found.values())


def scenario_plot(scenario: dict[str, Any], rules: list[dict[str, Any]]) -> Plot | None:
    """The scenario's figure as PNG, or None when its expectations read no metric (e.g. `no_alerts`)."""
    chosen = panels(scenario, rules)
    if not chosen:
        return None
    events = scenario.get("timeline", [])
    figure, axes = plt.subplots(len(chosen), 1, figsize=(13, 3.1 * len(chosen)), dpi=80, squeeze=False, sharex=True)
    try:
        for panel, ax in zip(chosen, axes[:, 0]):
            _draw(ax, panel, scenario, events)
        axes[-1, 0].set_xlabel("seconds from the baseline's start (run time)")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return Plot(buffer.getvalue(), tuple(chosen))


def _values(event: dict[str, Any]) -> list[float]:
    values = []
    for part in str(event.get("state") or "").split(","):
        try:
            values.append(float(part))
        except ValueError:
            continue
    return values


def _draw(ax: Any, panel: Panel, scenario: dict[str, Any], events: list[dict[str, Any]]) -> None:
    below = panel.op not in (">", ">=")  # `< T` and `== 0` (a target down) fire on the lowest series
    points = [(e["offset"], (min if below else max)(vs)) for e in events
              if e["source"] == "sample" and e["name"] == panel.series and (vs := _values(e))]
    if points:
        ax.plot([t for t, _ in points], [v for _, v in points], color="#2c3e50", linewidth=1.4,
                label=("lowest" if below else "highest") + " series")
    else:
        ax.text(0.5, 0.5, "not sampled in this run", transform=ax.transAxes, ha="center", color="#7f8c8d")
    if panel.threshold is not None:
        ax.axhline(panel.threshold, color="#c0392b", linestyle="--", linewidth=1.2,
                   label=f"threshold {panel.op} {panel.threshold:g}")
    _faults(ax, events)
    _windows(ax, panel, scenario)
    if panel.alert:
        _states(ax, panel.alert, events)
        _deliveries(ax, panel.alert, events)
    folded = " ".join(panel.title.split())
    title = folded if len(folded) <= 130 else folded[:127] + "…"
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False)


def _faults(ax: Any, events: list[dict[str, Any]]) -> None:
    opened: dict[str, float] = {}
    end = max((e["offset"] for e in events), default=0.0)
    spans = []
    for event in events:
        if event["source"] != "fault":
            continue
        if event["state"] == "on":
            opened[event["name"]] = event["offset"]
        elif event["name"] in opened:
            spans.append((opened.pop(event["name"]), event["offset"]))
    spans += [(start, end) for start in opened.values()]
    for number, (start, stop) in enumerate(spans):
        ax.axvspan(start, stop, color="#e67e22", alpha=0.15, label="fault" if number == 0 else None)


def _windows(ax: Any, panel: Panel, scenario: dict[str, Any]) -> None:
    moments = scenario.get("moments") or {}
    for verdict in scenario.get("verdicts", []):
        window = verdict.get("window")
        if not window or verdict.get("alert") != panel.alert or not panel.alert:
            continue
        base = moments.get("fault_end") if verdict["kind"] == "alert_resolves" else moments.get("fault_start")
        if base is None:
            continue
        what = {"alert_delivered": "delivery", "alert_fires": "firing", "alert_resolves": "resolution"}.get(
            verdict["kind"], verdict["kind"])
        ax.axvspan(base + window["earliest"], base + window["latest"], facecolor="none", edgecolor="#8e44ad",
                   hatch="//", alpha=0.5, label=f"{what} window (theory)")


def _states(ax: Any, alert: str, events: list[dict[str, Any]]) -> None:
    shown: set[str] = set()
    for event in events:
        if event["source"] == "alert" and event["name"] == alert and event["state"] in STATE_COLOURS:
            state = "resolved" if event["state"] == "inactive" else event["state"]
            ax.axvline(event["offset"], color=STATE_COLOURS[event["state"]], linewidth=1.3,
                       label=state if state not in shown else None)
            shown.add(state)


def _deliveries(ax: Any, alert: str, events: list[dict[str, Any]]) -> None:
    receivers = sorted({e["receiver"] for e in events if e["source"] == "delivery" and e["name"] == alert})
    strip = ax.get_xaxis_transform()  # x in seconds, y as a share of the panel's height
    for number, receiver in enumerate(receivers):
        marker = RECEIVER_MARKERS[number % len(RECEIVER_MARKERS)]
        height = 0.92 - 0.08 * number
        mine = [e for e in events if e["source"] == "delivery" and e["name"] == alert and e["receiver"] == receiver]
        for index, event in enumerate(mine):
            refused = "refused" in str(event.get("detail", ""))
            resolved = event["state"] == "resolved"
            ax.scatter([event["offset"]], [height], transform=strip, s=46, zorder=5,
                       marker="x" if refused else marker, color="#2980b9",
                       facecolors="none" if resolved and not refused else "#2980b9",
                       label=f"to {receiver}" if index == 0 else None)
