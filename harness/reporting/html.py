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

from harness.reporting import markdown
from harness.reporting.plots import Plot

__all__ = ["render"]


def render(data: dict[str, Any], summary: dict[str, Any], plots: dict[str, Plot | None],
           mutation: dict[str, Any] | None = None, files: list[tuple[str, int]] | None = None) -> str:
    environment = markdown.environment(autoescape=True)
    images = {name: "data:image/png;base64," + base64.b64encode(plot.png).decode() if plot else None
              for name, plot in plots.items()}
    shown = {name: [panel.title for panel in plot.panels] if plot else [] for name, plot in plots.items()}
    return environment.get_template("report.html.j2").render(
        run=data, summary=summary, images=images, panels=shown, mutation=mutation, files=files or [],
    )
