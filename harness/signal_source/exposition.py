"""Series as Prometheus's text exposition format 0.0.4 (`# TYPE` once per name, escaped label values)."""

from __future__ import annotations

import math

from .state import INF, QUANTILES, Running

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render(series: list[Running], now: float) -> str:
    lines: list[str] = []
    typed: set[str] = set()
    # Samples of one name must be adjacent, under its one `# TYPE` line.
    for name in dict.fromkeys(entry.spec.name for entry in series):
        for entry in (entry for entry in series if entry.spec.name == name):
            if name not in typed:
                lines.append(f"# TYPE {name} {entry.spec.kind}")
                typed.add(name)
            lines.extend(_samples(entry, now))
    return "".join(f"{line}\n" for line in lines)


def _samples(entry: Running, now: float) -> list[str]:
    spec, labels = entry.spec, entry.spec.labels
    if spec.kind == "counter":
        return [_line(spec.name, labels, entry.value("", now))]
    if spec.kind == "gauge":
        return [_line(spec.name, labels, entry.gauge(now))]
    lines = []
    if spec.kind == "histogram":
        for bound in (*spec.buckets, INF):
            lines.append(_line(f"{spec.name}_bucket", (*labels, ("le", number(bound))),
                               entry.value(f"bucket:{bound!r}", now)))
    else:
        lines.extend(_line(spec.name, (*labels, ("quantile", q)), spec.latency) for q in QUANTILES)
    lines.append(_line(f"{spec.name}_sum", labels, entry.value("sum", now)))
    lines.append(_line(f"{spec.name}_count", labels, entry.value("count", now)))
    return lines


def _line(name: str, labels: tuple[tuple[str, str], ...], value: float) -> str:
    if not labels:
        return f"{name} {number(value)}"
    pairs = ",".join(f'{key}="{escape(text)}"' for key, text in labels)
    return f"{name}{{{pairs}}} {number(value)}"


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    """As Go's client writes it (`1`, `0.005`, `+Inf`), so `le` values match what users' queries name."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
