"""Benchmark (not a test): broken inputs of every kind through what a run checks before any container starts.

    .venv/bin/python benchmarks/bad_inputs.py [-n 50] [--seed 1] [--kinds scenario,rules] [--show refused|crash]

For each kind (scenario, suite, compose, prometheus, rules, alertmanager), N cases are laid out in
a temporary folder: the default stack's configs, a scenario and a suite, with the file of that kind
broken one random way (tests/unit/hostile_inputs.py: a hostile value, a dropped or added key, a
wrapped container, mangled text, a folder or symlink loop in its place). Each runs `gate.prepare`,
what `harness run` / `harness gate` run before any container starts (stack, roles, configs
rendered, everything the scenario names, `harness check`), in-process and without Docker.

Counted per kind: refused and located (InvalidInput, exit 2, whose message names the broken file
and a line, or the file alone when the file as a whole is the problem), refused but not located,
tracebacks (any other exception: must be 0) and accepted (the break did not matter to a run, e.g.
an unknown key Prometheus also ignores, or a value as good as the one it replaced).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from hostile_inputs import KINDS, lay_out, located, validate  # noqa: E402

from harness.errors import InvalidInput  # noqa: E402

OUTCOMES = ("located", "not located", "traceback", "accepted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="broken inputs per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--show", choices=("refused", "crash", "accepted"), help="print these cases with their message")
    options = parser.parse_args()
    kinds = [kind for kind in options.kinds.split(",") if kind]
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    shown: list[str] = []
    started = time.monotonic()
    for kind in kinds:
        chooser = random.Random(f"{options.seed}-{kind}")
        for number in range(options.n):
            with tempfile.TemporaryDirectory() as folder:
                case = lay_out(kind, Path(folder), chooser)
                outcome, message = _outcome(case)
                counts[kind][outcome] += 1
                wanted = {"refused": ("located", "not located"), "crash": ("traceback",), "accepted": ("accepted",)}
                if options.show and outcome in wanted[options.show] or outcome in ("traceback", "not located"):
                    shown.append(f"[{kind} #{number}] {outcome}: {case.change}\n    {message}".replace(folder, "<case>"))
    seconds = time.monotonic() - started
    for line in shown:
        print(line)
    _table(kinds, counts, seconds)
    return 1 if any(counts[kind]["traceback"] for kind in kinds) else 0


def _outcome(case) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    try:
        validate(case)
    except InvalidInput as error:
        return ("located" if located(str(error), case) else "not located"), str(error)[:400]
    except Exception:  # noqa: BLE001 - a traceback is what this benchmark exists to count
        return "traceback", traceback.format_exc()[-1500:]
    return "accepted", ""


def _table(kinds: list[str], counts: dict[str, Counter[str]], seconds: float) -> None:
    total: Counter[str] = sum(counts.values(), Counter())
    print(f"\n{'kind':<13}{'cases':>6}{'refused':>9}{'located':>9}{'% located':>11}{'tracebacks':>12}{'accepted':>10}")
    for name, row in [*((kind, counts[kind]) for kind in kinds), ("all", total)]:
        cases = sum(row.values())
        refused = row["located"] + row["not located"]
        share = f"{100 * row['located'] / refused:.1f}" if refused else "-"
        print(f"{name:<13}{cases:>6}{refused:>9}{row['located']:>9}{share:>11}{row['traceback']:>12}{row['accepted']:>10}")
    print(f"\n{sum(total.values())} broken inputs in {seconds:.1f} s; % located = share of refusals (exit 2) whose "
          "message names the broken file and a line (or the file, when the file as a whole is the problem)")


if __name__ == "__main__":
    sys.exit(main())
