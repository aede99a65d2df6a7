"""Our list of the stack's PromQL functions is the stack's own promtool's, name for name."""

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import tools
from harness.compression.functions import PROMETHEUS_FUNCTIONS

#: Functions of later Prometheus releases, which the stack's 2.42 must not know.
LATER = ("sort_by_label", "double_exponential_smoothing", "info", "histogram_stddev", "mad_over_time")


def unknown_to_promtool(name: str, folder: Path) -> bool:
    rules = folder / f"{name}.yml"
    rules.write_text(f"groups:\n- name: g\n  rules:\n  - record: r\n    expr: {name}()\n")
    checked = subprocess.run([str(tools.promtool()), "check", "rules", str(rules)], capture_output=True, text=True)
    return "unknown function with name" in checked.stdout + checked.stderr


def test_every_function_we_know_is_known_to_the_stacks_promtool(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        unknown = [name for name, missing in zip(sorted(PROMETHEUS_FUNCTIONS), pool.map(
            lambda name: unknown_to_promtool(name, tmp_path), sorted(PROMETHEUS_FUNCTIONS))) if missing]

    assert unknown == []


def test_functions_of_later_releases_are_unknown_to_both(tmp_path: Path) -> None:
    assert all(unknown_to_promtool(name, tmp_path) for name in LATER)
    assert not set(LATER) & PROMETHEUS_FUNCTIONS
