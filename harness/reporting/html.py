"""report.html: the whole report in one file that opens from a CI artefact with nothing fetched.

CSS is inline, each plot is a PNG `data:` URI, and a Content-Security-Policy forbids every other
source, so a browser with no network shows all of it. The decision and why come first, then the
checklist (each item linked to its evidence), then per scenario its plot and verdicts. A small
inline script marks on <body> how many images decoded (`data-images-decoded="3/3"`), for a
headless browser to read back.
"""

from __future__ import annotations

import base64
from typing import Any

from markupsafe import Markup, escape

from harness.reporting import markdown
from harness.reporting.plots import Plot

__all__ = ["render", "sparkline"]

SPARK_WIDTH, SPARK_HEIGHT = 90, 18


def render(data: dict[str, Any], summary: dict[str, Any], plots: dict[str, Plot | None],
           mutation: dict[str, Any] | None = None, files: list[tuple[str, int]] | None = None) -> str:
    environment = markdown.environment(autoescape=True)
    environment.filters["sparkline"] = sparkline
    images = {name: "data:image/png;base64," + base64.b64encode(plot.png).decode() if plot else None
              for name, plot in plots.items()}
    shown = {name: [panel.title for panel in plot.panels] if plot else [] for name, plot in plots.items()}
    return environment.get_template("report.html.j2").render(
        run=data, summary=summary, images=images, panels=shown, mutation=mutation, files=files or [],
    )


def sparkline(trend: list[tuple[str, float | None]] | tuple[tuple[str, float | None], ...]) -> Markup:
    """An inline SVG of an alert's detection time over its recent runs (this one last): a line through the
    verified runs' times, a red dot on the baseline for each run that was not verified."""
    if len(trend) < 2:
        return Markup("–")
    times = [seconds for status, seconds in trend if status == "verified" and seconds is not None]
    low, high = (min(times), max(times)) if times else (0.0, 1.0)
    span = (high - low) or 1.0
    step = (SPARK_WIDTH - 4) / (len(trend) - 1)
    points, misses = [], []
    for index, (status, seconds) in enumerate(trend):
        x = 2 + index * step
        if status == "verified" and seconds is not None:
            points.append(f"{x:.1f},{SPARK_HEIGHT - 2 - (seconds - low) / span * (SPARK_HEIGHT - 4):.1f}")
        else:
            misses.append(f'<circle cx="{x:.1f}" cy="{SPARK_HEIGHT - 2}" r="2" fill="#c62828"/>')
    line = f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{" ".join(points)}"/>' if points else ""
    title = ", ".join("–" if seconds is None or status != "verified" else f"{seconds:.1f} s" for status, seconds in trend)
    return Markup(f'<svg class="spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img" '
                  f'aria-label="detection over the last {len(trend)} runs: {escape(title)}">'
                  f'<title>{escape(title)}</title>{line}{"".join(misses)}</svg>')
