"""Mutants of where Prometheus looks: the Alertmanager it sends to, and the ports it scrapes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.mutants import Applied, StackFiles, Symptom

if TYPE_CHECKING:
    from harness.scenario import Scenario


def wrong_port(target: str) -> str | None:
    """`host:port` with the port moved by one (still inside the stack, so nothing leaves its network)."""
    host, found, port = target.rpartition(":")
    if not found or not port.isdigit():
        return None
    return f"{host}:{int(port) + 1}"


def static_targets(section: list[Any] | None, where: str) -> Iterator[tuple[str, list[Any], int, str]]:
    """(YAML path, the targets list, index, target) for each static target of a list of configs."""
    for config_index, config in enumerate(section or []):
        for static_index, static in enumerate(config.get("static_configs") or []):
            targets = static.get("targets") or []
            for index, target in enumerate(targets):
                yield (f"{where}[{config_index}].static_configs[{static_index}].targets[{index}]", targets, index,
                       str(target))


def _targets_at(document: dict[str, Any], where: str) -> list[Any]:
    node: Any = document
    for part in where.split(".")[:-1] + [where.split(".")[-1].partition("[")[0]]:
        name, _, index = part.partition("[")
        node = node[name]
        if index:
            node = node[int(index[:-1])]
    return node  # type: ignore[no-any-return]


@dataclass(frozen=True)
class AlertingTargetMoved:
    kind: str = "alerting_target_moved"
    needs: str = "static Alertmanager target in prometheus.yml's alerting section"

    def describe(self) -> str:
        return "prometheus.yml's Alertmanager target pointed at a wrong port"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.prometheus_yml)
        mutants = []
        alerting = (original.get("alerting") or {}).get("alertmanagers")
        for where, _, index, target in static_targets(alerting, "alerting.alertmanagers"):
            moved = wrong_port(target)
            if moved is None:
                continue
            document = files.document(files.prometheus_yml)
            _targets_at(document, where)[index] = moved
            symptom = Symptom(
                "a delivery verdict says nothing arrived (alerts fire but no Alertmanager receives them)",
                frozenset({"alert_delivered", "alert_resolves"}), (), ("nothing arrived",),
                refusals=("Alertmanagers discovered: none",),
            )
            mutants.append(Applied(
                self.kind, files.relative(files.prometheus_yml), where, f"{target} -> {moved}", symptom,
                (target.rpartition(":")[0],), document,
            ))
        return mutants


@dataclass(frozen=True)
class ScrapePortWrong:
    kind: str = "scrape_port_wrong"
    needs: str = "static scrape target"

    def describe(self) -> str:
        return "a scrape target pointed at a wrong port"

    def apply(self, files: StackFiles, scenarios: Sequence[Scenario]) -> list[Applied]:
        original = files.document(files.prometheus_yml)
        jobs = [str(job.get("job_name")) for job in original.get("scrape_configs") or []]
        mutants = []
        for where, _, index, target in static_targets(original.get("scrape_configs"), "scrape_configs"):
            moved = wrong_port(target)
            if moved is None:
                continue
            job = jobs[int(where.split("[", 1)[1].split("]", 1)[0])]
            document = files.document(files.prometheus_yml)
            _targets_at(document, where)[index] = moved
            symptom = Symptom(
                f"the job {job!r} is seen down: TargetDown fires or its metrics never arrive, or the stack is "
                "refused as unhealthy naming the target",
                frozenset(), ("TargetDown", job), ("went pending", "went firing", "active:", "never returned a series",
                                                   "already firing", "never fired"),
                refusals=(f"{job}/{moved}",),
            )
            mutants.append(Applied(
                self.kind, files.relative(files.prometheus_yml), f"{where} (job {job})", f"{target} -> {moved}",
                symptom, (job, target.rpartition(":")[0]), document,
            ))
        return mutants
