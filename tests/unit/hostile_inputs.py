"""Broken inputs of every kind a run reads, for the property tests and benchmarks/bad_inputs.py.

A case is a folder: a copy of the default stack's configs, a scenario and a suite, one file of
which (of the case's kind) is broken: a value replaced by a hostile one, a key dropped or added, a
container wrapped in another, or its text mangled (truncated, binary, UTF-16, nested, an alias
bomb), or the file replaced by a folder or a symlink loop. `validate` runs what `harness run` /
`harness gate` run before any container starts. Choices come from a `Chooser`: Hypothesis's
draws in tests, `random.Random` in the benchmark.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from harness import gate
from harness.scenario import load_scenario, load_suite_file
from harness.timescale import TimeScale

REPO = Path(__file__).resolve().parents[2]
KINDS = ("scenario", "suite", "compose", "prometheus", "rules", "alertmanager")
T = TypeVar("T")

SCENARIO = {
    "name": "s",
    "tags": ["errors"],
    "load": {"users": 4, "rate_per_user": 5, "shape": {"kind": "spike", "users": 8, "at": "1m", "duration": "2m"}},
    "warmup": "10s",
    "baseline": "1m",
    "faults": [
        {"at": "0s", "duration": "10m", "fault": {"kind": "app_errors", "ratio": 0.5}},
        {"at": "1m", "duration": "1m", "fault": {"kind": "container_pause", "service": "redis"}},
    ],
    "recovery": "15m",
    "allow_unannounced": ["ElevatedErrorRate"],
    "expectations": [
        {"type": "metric_present", "query": 'http_requests_total{job="app"}', "within": "2m"},
        {"type": "metric_crosses", "query": "sum(rate(http_requests_total[1m]))", "above": 1, "within": "5m"},
        {"type": "alert_fires", "alert": "HighErrorRate", "within": "8m"},
        {"type": "alert_delivered", "alert": "HighErrorRate", "receivers": ["pagerduty-critical", "slack-critical"],
         "labels": {"severity": "critical"}, "within": "9m"},
        {"type": "alert_resolves", "alert": "HighErrorRate", "within": "12m", "notified": ["pagerduty-critical"]},
    ],
}
#: For the config kinds: a scenario that names nothing, so a refusal can only be about the broken file.
QUIET = {"name": "quiet", "baseline": "1m", "expectations": [{"type": "no_alerts"}]}

HOSTILE: tuple[Any, ...] = (
    None, True, 0, -1, -10**30, 10**30, 1.5, float("inf"), float("nan"), "", "x", "http", "0s", "-5m", "1e400",
    "99999999999999999999999y", "5 minutes", "rate(x[5m]", "a\x00b", "../../etc/passwd", "~", "{{ .Broken",
    [], [1, 2], [[[["deep"]]]], {}, {"k": "v"}, {"k": {"k": [None]}}, {1: 2}, "x" * 5000, "é\u202e\U0001f600",
    "sum(rate(x[5m])) by (job) > 0", 'a="b"', "{{", "1h30m", "2020-01-01", "yes", 65536, "127.0.0.1::99999",
)

ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(10))


class Chooser(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...

    def randint(self, low: int, high: int) -> int: ...


@dataclass(frozen=True)
class Case:
    kind: str
    root: Path
    mutated: Path
    stack: Path
    scenario: Path
    suite: Path
    change: str


def lay_out(kind: str, root: Path, chooser: Chooser | None) -> Case:
    """A folder of good inputs with the file of `kind` broken one way (none without a chooser)."""
    shutil.copytree(REPO / "compose", root / "compose", ignore=shutil.ignore_patterns("images"))
    stack = root / "compose" / "docker-compose.yml"
    scenario = _dump(root / "s.yml", SCENARIO if kind in ("scenario", "suite") else QUIET)
    suite = _dump(root / "suite.yml", {"name": "suite", "scale": 20, "lanes": 1, "scenarios": ["s.yml"]})
    target = {
        "scenario": scenario, "suite": suite, "compose": stack,
        "prometheus": root / "compose" / "prometheus" / "prometheus.yml",
        "rules": root / "compose" / "prometheus" / "rules" / "errors.yml",
        "alertmanager": root / "compose" / "alertmanager" / "alertmanager.yml",
    }[kind]
    change = break_file(target, chooser) if chooser is not None else "none"
    return Case(kind, root, target, stack, scenario, suite, change)


def validate(case: Case) -> None:
    """What `harness gate --suite SUITE --stack STACK` (or `harness run SCENARIO`) does before containers start."""
    if case.kind == "suite":
        _, scenarios = load_suite_file(case.suite)
    else:
        scenarios = [load_scenario(case.scenario)]
    gate.prepare(scenarios, case.stack, TimeScale(20), case.root / "reports" / "run")


def located(message: str, case: Case) -> bool:
    """The message names the broken file (with a line, unless the file as a whole is the problem)."""
    path = re.escape(str(case.mutated))
    if re.search(rf"{path}:\d+", message):
        return True
    whole = ("is a folder", "symlink loop", "file not found", "larger than", "not a regular file", "there is no")
    return str(case.mutated) in message and any(reason in message for reason in whole)


def break_file(path: Path, chooser: Chooser) -> str:
    """Break `path` one way; say how."""
    how = chooser.choice(("value", "value", "value", "value", "text", "text", "file"))
    if how == "value":
        document = yaml.safe_load(path.read_text())
        changes = [_break_document(document, chooser) for _ in range(chooser.randint(1, 3)) if _places(document, ())]
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        return "; ".join(changes)
    if how == "text":
        return _break_text(path, chooser)
    return _break_path(path, chooser)


def _break_document(document: Any, chooser: Chooser) -> str:
    places = list(_places(document, ()))
    location = chooser.choice(places)
    parent = _at(document, location[:-1])
    key = location[-1]
    operation = chooser.choice(("replace", "replace", "replace", "delete", "add", "wrap in list", "wrap in mapping"))
    if operation == "replace":
        parent[key] = chooser.choice(HOSTILE)
    elif operation == "delete":
        del parent[key]
    elif operation == "add":
        target = parent[key] if isinstance(parent[key], (dict, list)) else parent
        value = chooser.choice(HOSTILE)
        if isinstance(target, dict):
            target[chooser.choice(("bogus", "name", "0", "global", "<<"))] = value
        else:
            target.append(value)
    elif operation == "wrap in list":
        parent[key] = [parent[key]]
    else:
        parent[key] = {"x": parent[key]}
    return f"{operation} at {'.'.join(map(str, location))}"


def _places(node: Any, location: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((*location, key))
        found += _places(value, (*location, key))
    return found


def _at(document: Any, location: tuple[Any, ...]) -> Any:
    for key in location:
        document = document[key]
    return document


def _break_text(path: Path, chooser: Chooser) -> str:
    data = path.read_bytes()
    at = chooser.randint(0, len(data))
    operation = chooser.choice(("truncate", "bytes", "nul", "utf-16", "utf-16 without bom", "latin-1", "duplicate line",
                                "deep", "alias bomb", "tab", "unclosed", "control", "second document", "empty"))
    text = data.decode()
    broken = {
        "truncate": lambda: data[:at],
        "bytes": lambda: data[:at] + bytes([chooser.randint(0, 255) for _ in range(3)]) + data[at:],
        "nul": lambda: data[:at] + b"\x00" + data[at:],
        "utf-16": lambda: text.encode("utf-16"),
        "utf-16 without bom": lambda: text.encode("utf-16-le"),
        "latin-1": lambda: (text + "\n# caf\u00e9\n").encode("latin-1", errors="replace"),
        "duplicate line": lambda: _duplicate_line(text, chooser).encode(),
        "deep": lambda: (text + "\ndeep: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
        "alias bomb": lambda: (text + "\n" + ALIAS_BOMB).encode(),
        "tab": lambda: text.replace("  ", "\t", 1).encode(),
        "unclosed": lambda: (text + '\nx: "unclosed\n').encode(),
        "control": lambda: data[:at] + b"\x07" + data[at:],
        "second document": lambda: (text + "\n---\nname: again\n").encode(),
        "empty": lambda: b"",
    }[operation]()
    path.write_bytes(broken)
    return f"text: {operation}" + (f" at byte {at}" if operation in ("truncate", "bytes", "nul", "control") else "")


def _duplicate_line(text: str, chooser: Chooser) -> str:
    lines = text.splitlines()
    keyed = [index for index, line in enumerate(lines) if ":" in line and not line.lstrip().startswith(("#", "-"))]
    if not keyed:
        return text + "\n" + text
    index = chooser.choice(keyed)
    return "\n".join([*lines[: index + 1], lines[index], *lines[index + 1:]]) + "\n"


def _break_path(path: Path, chooser: Chooser) -> str:
    operation = chooser.choice(("folder", "symlink loop", "missing", "dangling symlink"))
    path.unlink()
    if operation == "folder":
        path.mkdir()
    elif operation == "symlink loop":
        os.symlink(path, path)
    elif operation == "dangling symlink":
        os.symlink(path.with_name("nowhere.yml"), path)
    return f"file: {operation}"


def _dump(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
