"""Retention against what the documents beside the compose file promise.

    hygiene.retention-mismatch        warning  Prometheus keeps metrics for another time than the README promises

The time comes from `storage.tsdb.retention.time` in prometheus.yml, the retention flag (read as
Compose interpolates it), or Prometheus's default of 15 days. A promise is looked for in the
Markdown and text files beside the compose file or in its `docs/`, conservatively: a span of time
said about metrics, not instructions or defaults, and not about a long-term store elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness.check.findings import Finding
from harness.check.hygiene import command_line, dotenv, interpolate
from harness.check.compose import ComposeService
from harness.check.sources import Monitoring
from harness.errors import ConfigError
from harness.timescale import format_duration, parse_duration

DEFAULT_RETENTION = timedelta(days=15)


def findings(monitoring: Monitoring) -> list[Finding]:
    if monitoring.compose is None:
        return []
    return _retention(monitoring, dotenv(monitoring.compose.path.parent / ".env"))


@dataclass(frozen=True)
class Promise:
    """What a document says about how long metrics are kept: at least `low`, at most `high` (None: no upper bound)."""

    file: Path
    line: int
    text: str
    low: timedelta
    high: timedelta | None


_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "thirteen": 13, "fourteen": 14, "thirty": 30,
                 "ninety": 90}
_UNIT = r"(y|w|d|h|years?|months?|weeks?|days?|hours?)"
#: `30d`, `30 days`, `30-day`; a number word only as a word of its own ("a year", not the "an" of "and").
_SPAN = r"(\d+|\b(?:" + "|".join(_NUMBER_WORDS) + r")(?=[\s-]))[\s-]*" + _UNIT + r"\b"
_LONG_SPAN = r"(\d+|\b(?:" + "|".join(_NUMBER_WORDS) + r")(?=[\s-]))[\s-]*(d|w|y|years?|months?|weeks?|days?)\b"
#: Conservative phrasings, on a line that also names metrics or Prometheus: "Prometheus retention: 90d",
#: "retention of 30 days", "30-day retention", "metrics are retained for 30 days", "keep 1 year of metrics",
#: "--storage.tsdb.retention.time=30d".
_PROMISES = (
    re.compile(r"(?i)\bretention(?:\.time| time| period)?\b[\s:=`'\"]*(?:is\s+|of\s+|set to\s+|=\s*)?(?:at least\s+)?"
               + _SPAN),
    re.compile(r"(?i)\b" + _SPAN + r"\s+(?:of\s+)?(?:metrics?\s+|data\s+)?retention\b"),
    re.compile(r"(?i)\b(?:retain(?:s|ed)?|keeps?|kept|stored?|stores)\b[^.;]{0,40}?\bfor\s+(?:at least\s+)?"
               + _LONG_SPAN),
    re.compile(r"(?i)\b(?:retain(?:s|ed)?|keeps?|kept|stores?)\s+(?:at least\s+)?" + _LONG_SPAN
               + r"\s+of\s+(?:metrics|data|samples|history)\b"),
)
_ABOUT_METRICS = re.compile(r"(?i)metric|prometheus|series|samples|tsdb")
#: Instructions, examples and general knowledge, not statements of how this stack is set up.
_INSTRUCTION = re.compile(r"(?i)\b(?:e\.g\.|for example|examples?|edit|change|reduce|increase|adjust|if you|default)\b")
#: Where a stack's own documents are: beside the compose file, or in its docs folder.
DOCUMENT_FOLDERS = frozenset({"docs", "doc", "documentation", "runbooks"})
#: Lines about somewhere else's retention: long-term stores, logs, traces, Alertmanager's silences, backups.
_ELSEWHERE = re.compile(r"(?i)thanos|mimir|cortex|victoria|long[- ]term|remote|loki|\blogs?\b|trac(?:e|es|ing)|tempo|"
                        r"alertmanager|silence|backup|snapshot|\bs3\b|bucket|grafana cloud|influx|elastic|dashboard")


def _retention(monitoring: Monitoring, env: dict[str, str]) -> list[Finding]:
    service = monitoring.service_for("prometheus")
    compose = monitoring.compose
    if service is None or compose is None:
        return []
    prometheus = monitoring.prometheus.data if monitoring.prometheus is not None else {}
    if prometheus.get("remote_write"):
        return []  # the long-term copy is elsewhere; documents likely describe that one
    actual, origin = _actual_retention(service, prometheus, env)
    if actual is None:
        return []
    index = next((i for i, part in enumerate(service.command) if part.startswith("--storage.tsdb.retention")), None)
    line = command_line(compose, service, index) if index is not None else service.line
    found: list[Finding] = []
    own = tuple(document for document in monitoring.documents if _beside(document, compose.path.parent))
    for promise in promises(own):
        if actual >= promise.low and (promise.high is None or actual <= promise.high):
            continue
        place = f"{_shown(promise.file, compose.path.parent)}:{promise.line}"
        short = actual < promise.low
        found.append(Finding(
            "hygiene.retention-mismatch", "warning", str(compose.path), line, f"service {service.name}",
            f"Prometheus keeps metrics for {format_duration(actual)} ({origin}), but {place} says {promise.text!r}"
            + (": older data is deleted before the promised time" if short else
               ": the disk holds more than the documents plan for"),
            f"set --storage.tsdb.retention.time to what {place} promises, or correct the document"))
    return found


def _beside(document: Path, folder: Path) -> bool:
    try:
        parts = document.resolve().relative_to(folder.resolve()).parts
    except ValueError:
        return False
    return len(parts) == 1 or parts[0].lower() in DOCUMENT_FOLDERS


def _shown(path: Path, folder: Path) -> str:
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return path.name


def _actual_retention(service: ComposeService, prometheus: dict[str, Any],
                      env: dict[str, str]) -> tuple[timedelta | None, str]:
    """How long this Prometheus keeps samples, and where that comes from; None when only a size bounds it."""
    configured = (((prometheus.get("storage") or {}).get("tsdb") or {}).get("retention") or {})
    if isinstance(configured, dict) and configured.get("time"):
        return _duration(str(configured["time"])), "storage.tsdb.retention.time in prometheus.yml"
    for flag in ("--storage.tsdb.retention.time", "--storage.tsdb.retention"):
        written = service.flag(flag)
        if written is not None:
            value = interpolate(written, env)
            return (_duration(value) if value else None), f"{flag}={value}"
    if service.flag("--storage.tsdb.retention.size") is not None or (isinstance(configured, dict) and configured):
        return None, ""  # bounded by size alone: no time limit to compare with
    return DEFAULT_RETENTION, "the default: no --storage.tsdb.retention.time"


def _duration(text: str) -> timedelta | None:
    try:
        return parse_duration(text.strip().strip("'\""), "retention")
    except ConfigError:
        return None


def promises(documents: tuple[Path, ...]) -> list[Promise]:
    """Each document line that states how long metrics are kept, read conservatively."""
    found: list[Promise] = []
    for document in documents:
        try:
            lines = document.read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        fenced = False
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            if fenced or not _ABOUT_METRICS.search(line) or _ELSEWHERE.search(line) or _INSTRUCTION.search(line):
                continue
            for pattern in _PROMISES:
                match = pattern.search(line)
                if match:
                    low, high = _span(match[1], match[2])
                    if "at least" in match[0].lower() or "minimum" in line.lower():
                        high = None
                    found.append(Promise(document, number, line.strip().strip("-*# "), low, high))
                    break
    return found


def _span(amount: str, unit: str) -> tuple[timedelta, timedelta]:
    """The range a written span stands for: "6 months" is 168 to 186 days; "30 days" is exactly that."""
    count = int(amount) if amount.isdigit() else _NUMBER_WORDS[amount.lower()]
    unit = unit.lower()
    if unit.startswith("month"):
        return timedelta(days=28 * count), timedelta(days=31 * count)
    if unit in ("y", "year", "years"):
        return timedelta(days=365 * count), timedelta(days=366 * count)
    days = {"w": 7, "d": 1}.get(unit[0], 0)
    exact = timedelta(days=days * count) if days else timedelta(hours=count)
    return exact, exact
