"""Benchmark (not a test): compression over a corpus of third-party rule files.

    .venv/bin/python benchmarks/compression_corpus.py [FOLDER] [--scale 40] [--no-differential] [--workers 2]

FOLDER (default /work/corpus) holds rule files (`*.yml`, `*.yaml`; plain or PrometheusRule). Each
is compressed with `compress_rule_document`; refusals are counted per file with their reasons,
anything else raised is a crash (must be 0). Every output is written as a plain rule file and
checked with the stack's `promtool check rules` (rejections must be 0). Then the differential
(promtool at ×1 and at the scale, generated inputs) runs over every alert it can make inputs for.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import yaml

from harness import tools
from harness.compression.differential import differential
from harness.compression.rules import compress_rule_document, load_rule_file, rule_groups
from harness.errors import ConfigError
from harness.timescale import TimeScale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--scale", type=float, default=40)
    parser.add_argument("--no-differential", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    options = parser.parse_args()
    scale = TimeScale(options.scale)
    files = sorted(p for p in options.folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    fidelity: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    refused_files = 0
    crashes: list[str] = []
    rejections: list[str] = []
    compressed_files: list[Path] = []
    inputs_rejected: list[Path] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="corpus-compressed-") as out:
        for index, path in enumerate(files):
            try:
                document, lines = load_rule_file(path)
                groups, _ = rule_groups(document, path, lines)
                entries = compress_rule_document(document, path, lines, scale)
            except ConfigError as error:
                refused_files += 1
                for problem in str(error).split("\n"):
                    if problem.startswith(str(path)) or not problem.startswith(" "):
                        refusals[_reason(problem)] += 1
                continue
            except Exception:  # noqa: BLE001 - a crash is what this benchmark counts
                crashes.append(f"{path}:\n{traceback.format_exc()}")
                continue
            fidelity.update(entry.fidelity for entry in entries)
            target = Path(out) / f"{index:04d}-{path.name}"
            target.write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True, sort_keys=False))
            checked = subprocess.run([str(tools.promtool()), "check", "rules", str(target)], capture_output=True, text=True)
            if checked.returncode != 0:
                if _rejects_original(path, Path(out) / f"{index:04d}-original-{path.name}"):
                    inputs_rejected.append(path)
                else:
                    rejections.append(f"{path}: {(checked.stdout + checked.stderr).strip()[-600:]}")
            compressed_files.append(path)
        compress_seconds = time.monotonic() - started
    rules = sum(fidelity.values())
    print(f"corpus {options.folder}: {len(files)} files, compressed at ×{scale.factor:g} in {compress_seconds:.1f} s")
    print(f"  rules compressed: {rules}  " + "  ".join(f"{k}: {fidelity[k]}" for k in ("exact", "adjusted", "real-time only")))
    print(f"  files refused: {refused_files}  (problems: {sum(refusals.values())})")
    for reason, count in refusals.most_common():
        print(f"    {count:4d}  {reason}")
    print(f"  crashes: {len(crashes)}")
    for crash in crashes:
        print("    " + crash.replace("\n", "\n    "))
    print(f"  files promtool rejects as written (their output not counted): {len(inputs_rejected)}")
    for path in inputs_rejected:
        print(f"    {path}")
    print(f"  promtool rejections of the output: {len(rejections)}")
    for rejection in rejections:
        print("    " + rejection.replace("\n", "\n    "))
    if not options.no_differential:
        _differential(compressed_files, scale, options.workers)
    return 1 if crashes or rejections else 0


def _differential(files: list[Path], scale: TimeScale, workers: int | None) -> None:
    started = time.monotonic()
    results = []
    failures: list[str] = []
    for path in files:
        try:
            results += differential(path, scale, workers=workers)
        except Exception as error:  # noqa: BLE001 - reported, the rest of the corpus still runs
            failures.append(f"{path}: {type(error).__name__}: {str(error)[:300]}")
    compared = [r for r in results if not r.skipped]
    skipped = Counter(_reason(r.skipped) for r in results if r.skipped)
    disagreeing = [r for r in compared if r.disagreements]
    print(f"differential at ×{scale.factor:g} ({time.monotonic() - started:.0f} s): {len(results)} alerts, "
          f"{len(compared)} compared, {len(compared) - len(disagreeing)} agree, {len(disagreeing)} disagree, "
          f"{sum(skipped.values())} not compared, {len(failures)} runner failures")
    for reason, count in skipped.most_common():
        print(f"    {count:4d}  not compared: {reason}")
    for result in disagreeing:
        print("  " + result.describe().replace("\n", "\n  "))
    for failure in failures:
        print("  runner failure: " + failure)


def _rejects_original(path: Path, target: Path) -> bool:
    document, lines = load_rule_file(path)
    target.write_text(yaml.safe_dump({"groups": rule_groups(document, path, lines)[0]}, allow_unicode=True))
    return subprocess.run([str(tools.promtool()), "check", "rules", str(target)], capture_output=True).returncode != 0


def _reason(problem: str) -> str:
    """A refusal's reason without its place, so equal reasons group."""
    text = re.sub(r"^.*?\): ?|^[^:]*:\d+: ", "", problem.strip())
    text = re.sub(r"\(expr line \d+, column \d+\)", "", text)
    text = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"", "…", text)
    return text[:140]


if __name__ == "__main__":
    raise SystemExit(main())
