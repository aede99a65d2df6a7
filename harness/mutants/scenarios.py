"""Mutants of what the on-call engineer does during a scenario, rather than of the stack's files.

A silence is not part of any config file: Alertmanager keeps silences in its state, and the harness
creates them as scheduled faults (harness/faults/silence.py). So "a silence broadened" rewrites the
scenarios in memory (the copy of the stack stays as it is): the silence's most specific matcher
(`alertname`) is replaced by the silenced alert's severity, the way a hurried engineer silences
"all criticals" instead of one alert. The suite kills it only if some scenario expects a delivery
while such a silence holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.faults.silence import Silence
from harness.mutants import Applied, StackFiles, Symptom

if TYPE_CHECKING:
    from harness.scenario import Scenario


def broadened(matchers: dict[str, str], files: StackFiles) -> dict[str, str] | None:
    """The matchers with `alertname` replaced by that alert's severity (None when nothing can broaden)."""
    if "alertname" not in matchers:
        return None
    rest = {key: value for key, value in matchers.items() if key != "alertname"}
    if rest:
        return rest
    severity = files.severity_of(matchers["alertname"])
    return {"severity": severity} if severity else None


@dataclass(frozen=True)
class SilenceBroadened:
    kind: str = "silence_broadened"
    needs: str = "scenario with a silence on an alertname (silences are scenario faults, not stack config)"

    def describe(self) -> str:
        return "a scenario's silence broadened from one alert to its whole severity (scenarios rewritten, not the stack)"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        mutants = []
        for scenario in scenarios:
            for index, scheduled in enumerate(scenario.faults):
                if not isinstance(scheduled.fault, Silence):
                    continue
                wider = broadened(scheduled.fault.matchers, files)
                if wider is None:
                    continue
                mutants.append(Applied(
                    self.kind, _shown(scenario), f"faults[{index}].fault.matchers ({scenario.name})",
                    f"silence {scheduled.fault.matchers} -> {wider}",
                    Symptom(
                        f"a delivery verdict says an alert matching {wider} got nothing while the silence held",
                        frozenset({"alert_delivered"}), phrases=("nothing arrived",),
                    ),
                    (scheduled.fault.matchers["alertname"], *wider.values()),
                    rewrite_scenario=_rewrite(scenario.name, index, wider),
                ))
        return mutants


def _shown(scenario: Scenario) -> str:
    if scenario.path is None:
        return scenario.name
    try:
        return scenario.path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(scenario.path)


def _rewrite(name: str, index: int, matchers: dict[str, str]) -> Callable[[Scenario], Scenario]:
    def rewrite(scenario: Scenario) -> Scenario:
        if scenario.name != name:
            return scenario
        faults = list(scenario.faults)
        faults[index] = faults[index].model_copy(update={"fault": Silence(matchers=matchers)})
        return scenario.model_copy(update={"faults": faults})

    return rewrite
