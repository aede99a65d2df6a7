"""Compression checked by evaluation: promtool runs each fixture rule at ×1 and compressed, on the same inputs.

Needs the stack's promtool (scripts/setup puts it in .venv/bin); without it these tests fail, they
do not skip.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.compression.differential import RuleResult, differential
from harness.compression.rules import CompressedRule, compress_rule_document
from harness.timescale import TimeScale

FIXTURES = Path(__file__).parents[1] / "fixtures" / "compression"
SCALES = (TimeScale(10), TimeScale(40))
#: Disagreements the clock model accepts (none: what it cannot keep, it classes real-time only).
CLOCK_MODEL_LIMITS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def results() -> dict[str, list[RuleResult]]:
    return {path.name: differential(path, *SCALES) for path in sorted(FIXTURES.glob("*.yml"))}


def _files() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("*.yml"))


@pytest.mark.parametrize("name", _files())
def test_every_exact_or_adjusted_alert_fires_at_the_same_real_time_compressed(
    results: dict[str, list[RuleResult]], name: str
) -> None:
    compared = [r for r in results[name] if not r.skipped]
    unexpected = [r.describe() for r in compared if r.disagreements and (name, r.alert) not in CLOCK_MODEL_LIMITS]
    assert compared, f"{name}: no alert could be compared"
    assert not unexpected, "\n".join(unexpected)


@pytest.mark.parametrize("name", _files())
def test_every_compared_alert_has_a_firing_and_a_silent_case(results: dict[str, list[RuleResult]], name: str) -> None:
    one_sided = [r.describe() for r in results[name] if not r.skipped and not 0 < r.fired < r.scenarios]
    assert not one_sided, "\n".join(one_sided)


def test_only_real_time_alerts_go_uncompared(results: dict[str, list[RuleResult]]) -> None:
    uncompared = {(name, r.alert): r.skipped for name, found in results.items() for r in found if r.skipped}
    assert uncompared and all(reason.startswith("real-time only") for reason in uncompared.values()), uncompared


def test_counts_of_discrete_events_are_left_to_real_time(results: dict[str, list[RuleResult]]) -> None:
    skipped = {r.alert: r.skipped for r in results["counters.yml"] if r.skipped}

    assert {"OvenRestartsOften", "ThermostatFlapping"} <= skipped.keys()
    assert skipped["OvenRestartsOften"].startswith("real-time only")


def _only(rules: list[str], tmp_path: Path) -> Path:
    document = yaml.safe_load((FIXTURES / "counters.yml").read_text())
    for group in document["groups"]:
        group["rules"] = [rule for rule in group["rules"] if rule.get("alert") in rules]
    path = tmp_path / "counters.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def _forgets_to_scale_counts_back(document: Any, path: Path, lines: dict[Any, int], scale: TimeScale) -> list[CompressedRule]:
    entries = compress_rule_document(document, path, lines, scale)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule["expr"] = re.sub(r"\(\((.*)\) \* \d+\)", r"\1", rule["expr"], flags=re.S)
    return entries


def _scales_the_horizon_of_predict_linear(
    document: Any, path: Path, lines: dict[Any, int], scale: TimeScale
) -> list[CompressedRule]:
    entries = compress_rule_document(document, path, lines, scale)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule["expr"] = re.sub(r"(predict_linear\([^,]*,)([^)]*)\)", rf"\1 (\2) / {scale.factor:g})", rule["expr"])
    return entries


@pytest.mark.parametrize(
    "compressor, alert",
    [(_forgets_to_scale_counts_back, "TooManyRejectedLoaves"), (_scales_the_horizon_of_predict_linear, "SiloRunsEmptyWithinFourHours")],
    ids=["increase-not-scaled-back", "predict-linear-horizon-scaled"],
)
def test_a_wrong_compression_is_caught_and_named(tmp_path: Path, compressor: Any, alert: str) -> None:
    path = _only([alert, "OvenFailureRatioHigh"], tmp_path)
    found = differential(path, TimeScale(40), compressor=compressor)
    wrong = [r for r in found if r.disagreements]
    assert [r.alert for r in wrong] == [alert]
    assert f"{alert} (" in wrong[0].describe() and "DISAGREE" in wrong[0].describe()
