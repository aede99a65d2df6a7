"""`harness compress`: find a team's rule files the way Prometheus would, compress them, write them out.

Input is rule files, a `prometheus.yml` (its `rule_files` globs are followed, relative to it), a
Kubernetes `PrometheusRule` manifest (`spec.groups`, any number of documents per file), or a folder
holding any of these. The output folder gets the rewritten files under the same names and
`compression.json`: one entry per rule with its fidelity and the reason.
"""

from __future__ import annotations

import glob
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import tools, yamlfile
from harness.compression.rules import CompressedRule, CompressionRefused, compress_rule_document
from harness.configs import scale_keys
from harness.errors import ConfigError, InvalidInput
from harness.timescale import PROMETHEUS_GLOBAL_DURATIONS, SCRAPE_CONFIG_DURATIONS, TimeScale

YAML_SUFFIXES = (".yml", ".yaml")
#: Keys only a Prometheus server config has at its top level.
_CONFIG_KEYS = frozenset({"rule_files", "scrape_configs", "global", "alerting", "remote_write", "remote_read"})


@dataclass(frozen=True)
class SourceFile:
    path: Path
    #: Where it goes under the output folder.
    name: Path
    kind: str  # "config" or "rules"


@dataclass(frozen=True)
class CompressionOutcome:
    entries: tuple[CompressedRule, ...]
    written: tuple[Path, ...]
    #: (as written, as rewritten) for every rule file, for `promtool check rules`.
    rule_files: tuple[tuple[Path, Path], ...] = ()

    def counts(self) -> dict[str, int]:
        counts = {"exact": 0, "adjusted": 0, "real-time only": 0}
        for entry in self.entries:
            counts[entry.fidelity] += 1
        return counts


def discover(paths: list[Path]) -> list[SourceFile]:
    """The files to compress, each once, with the name it keeps under the output folder."""
    found: dict[Path, SourceFile] = {}
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or folder")
        if path.is_dir():
            for candidate in sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()):
                _add(found, candidate, candidate.relative_to(path), quiet=True)
        else:
            _add(found, path, Path(path.name), quiet=False)
    if not found:
        raise InvalidInput(f"{', '.join(map(str, paths))}: no rule files, prometheus.yml or PrometheusRule manifests found")
    return list(found.values())


def _add(found: dict[Path, SourceFile], path: Path, name: Path, quiet: bool) -> None:
    kind = _kind(path)
    if kind is None:
        if quiet:
            return
        raise InvalidInput(f"{path}: not a Prometheus rule file, prometheus.yml or PrometheusRule manifest")
    found.setdefault(path.resolve(), SourceFile(path, name, kind))
    if kind == "config":
        document, _ = _load_one(path)
        for pattern in document.get("rule_files") or []:
            matches = sorted(glob.glob(str(path.parent / str(pattern))))
            for match in matches:
                rule_path = Path(match)
                found.setdefault(rule_path.resolve(), SourceFile(rule_path, name.parent / rule_path.relative_to(path.parent), "rules"))


def _kind(path: Path) -> str | None:
    try:
        documents = yamlfile.load_all(path)
    except InvalidInput:
        return "rules" if path.suffix in YAML_SUFFIXES else None  # let the compression say what is wrong
    for document, _ in documents:
        if isinstance(document, dict) and ("groups" in document or document.get("kind") == "PrometheusRule"):
            return "rules"
        if isinstance(document, dict) and _CONFIG_KEYS & document.keys():
            return "config"
    return None


def compress_files(paths: list[Path], scale: TimeScale, out: Path) -> CompressionOutcome:
    """Compress everything `paths` names into `out`; CompressionRefused lists every rule that could not be."""
    sources = discover(paths)
    entries: list[CompressedRule] = []
    problems: list[str] = []
    rendered: list[tuple[Path, str]] = []
    for source in sources:
        try:
            text, found = _compress_file(source, scale)
        except InvalidInput as error:
            problems.append(str(error))
            continue
        entries.extend(found)
        rendered.append((out / source.name, text))
    if problems:
        raise CompressionRefused("\n".join(problems))
    for target, text in rendered:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    report = out / "compression.json"
    report.write_text(json.dumps(
        {"scale": scale.factor, "rules": [entry.as_json() for entry in entries]}, indent=2, ensure_ascii=False
    ) + "\n")
    rule_files = tuple((source.path, out / source.name) for source in sources if source.kind == "rules")
    return CompressionOutcome(tuple(entries), tuple(target for target, _ in rendered) + (report,), rule_files)


def check_with_promtool(outcome: CompressionOutcome) -> None:
    """`promtool check rules` on every rewritten rule file; CompressionRefused names each file it refuses.

    A file promtool refuses as written is the file's problem and is said so; one it accepts as
    written but refuses rewritten is the rewrite's. A PrometheusRule manifest's groups are checked
    as the plain rule file the operator would make of them.
    """
    problems = []
    with tempfile.TemporaryDirectory(prefix="harness-compress-") as scratch:
        for index, (original, rewritten) in enumerate(outcome.rule_files):
            refused = _promtool_refuses(_plain_rules(rewritten, Path(scratch) / f"{index}-out-{rewritten.name}"))
            if not refused:
                continue
            if _promtool_refuses(_plain_rules(original, Path(scratch) / f"{index}-in-{original.name}")):
                problems.append(f"{original}: the stack's promtool refuses the file as written:\n{refused}")
            else:
                problems.append(f"{original}: the stack's promtool refuses the rewritten file (a bug in the rewrite: "
                                f"please report it with these lines):\n{refused}")
    if problems:
        raise CompressionRefused("\n".join(problems))


def _promtool_refuses(path: Path) -> str:
    """promtool's complaint about a rule file, or "" when it accepts it (duplicate-rule lint is not ours)."""
    checked = subprocess.run([str(tools.promtool()), "check", "rules", "--lint=none", str(path)],
                             capture_output=True, text=True)
    return "" if checked.returncode == 0 else (checked.stdout + checked.stderr).strip()


def _plain_rules(path: Path, scratch: Path) -> Path:
    groups = []
    for document, _ in yamlfile.load_all(path):
        if isinstance(document, dict) and document.get("kind") == "PrometheusRule":
            groups.extend((document.get("spec") or {}).get("groups") or [])
        elif isinstance(document, dict) and "groups" in document:
            return path
    scratch.write_text(yamlfile.dump({"groups": groups}))
    return scratch


def _compress_file(source: SourceFile, scale: TimeScale) -> tuple[str, list[CompressedRule]]:
    if source.kind == "config":
        document, _ = _load_one(source.path)
        compress_prometheus_timers(document, scale, str(source.path))
        return yamlfile.dump(document), []
    documents = yamlfile.load_all(source.path)
    entries: list[CompressedRule] = []
    for document, lines in documents:
        if isinstance(document, dict) and document.get("kind") not in (None, "PrometheusRule"):
            continue  # another Kubernetes object in the same manifest
        entries.extend(compress_rule_document(document, source.path, lines, scale))
    return yamlfile.dump_all([document for document, _ in documents]), entries


def compress_prometheus_timers(config: dict[str, Any], scale: TimeScale, where: str) -> None:
    """Scale the global and per-job scrape and evaluation timers of a prometheus.yml, in place."""
    scale_keys(config.get("global") or {}, PROMETHEUS_GLOBAL_DURATIONS, scale, f"{where}: global")
    for index, job in enumerate(config.get("scrape_configs") or []):
        if isinstance(job, dict):
            scale_keys(job, SCRAPE_CONFIG_DURATIONS, scale, f"{where}: scrape_configs[{index}]")


def _load_one(path: Path) -> tuple[dict[str, Any], dict[Any, int]]:
    document, lines = yamlfile.load(path)
    if not isinstance(document, dict):
        raise ConfigError(f"{path}:1: expected a mapping at the top level")
    return document, lines
