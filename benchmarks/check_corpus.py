"""Benchmark (not a test): `harness check` over public configs nobody here wrote, to count false positives.

    .venv/bin/python benchmarks/check_corpus.py [PATH ...] [--show error|warning|info] [--each-folder]

Each PATH (default: every file under /work/corpus) is checked on its own, as a team would run
`harness check PATH`: rule files, PrometheusRule manifests, alertmanager.yml or whole folders. An
input the checker cannot read is counted (not a crash); anything else raised is a crash and must be
0. Findings are counted per code and severity; the ones of the `--show` severity are printed, to be
read one by one: on a public collection each error is a false positive unless it is a real bug.
With `--each-folder`, every folder directly under PATH is one input (a repository with its compose
file, prometheus.yml and alertmanager.yml), checked whole.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections import Counter
from pathlib import Path

from harness.check.run import check
from harness.errors import InvalidInput

SUFFIXES = (".yml", ".yaml", ".json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("/work/corpus")])
    parser.add_argument("--show", choices=("error", "warning", "info"), default="error")
    parser.add_argument("--each-folder", action="store_true", help="every folder under PATH is one input, checked whole")
    options = parser.parse_args()
    inputs = []
    for path in options.paths:
        if options.each_folder:
            inputs += sorted(folder for folder in path.iterdir() if folder.is_dir())
            continue
        inputs += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()) if path.is_dir() else [path]
    counts: Counter[tuple[str, str]] = Counter()
    shown, unreadable, crashes = [], [], []
    rules = checked = 0
    started = time.monotonic()
    for path in inputs:
        try:
            result = check([path])
        except InvalidInput as error:
            unreadable.append(f"{path}: {str(error).splitlines()[0][:160]}")
            continue
        except Exception:  # noqa: BLE001 - a crash is what this benchmark exists to count
            crashes.append(f"{path}:\n{traceback.format_exc()}")
            continue
        checked += 1
        rules += len(result.monitoring.rules)
        for finding in result.findings:
            counts[(finding.severity, finding.code)] += 1
            if finding.severity == options.show:
                shown.append(f"{finding.file}:{finding.line}: {finding.code}: {finding.subject}: {finding.message}")
    seconds = time.monotonic() - started
    for line in shown:
        print(line)
    print(f"\n{len(inputs)} input(s): {checked} checked ({rules} rules), {len(unreadable)} not readable as monitoring "
          f"configs, {len(crashes)} crash(es), in {seconds:.1f} s ({seconds / max(checked, 1) * 1000:.0f} ms per input)")
    for (severity, code), number in sorted(counts.items()):
        print(f"  {severity:<7} {code:<40} {number}")
    for line in unreadable[:20]:
        print(f"  not readable: {line}")
    for crash in crashes:
        print(f"CRASH {crash}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
