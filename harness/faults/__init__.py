"""Faults: small objects with `start(stack)` / `stop(stack)` and a `describe()` for the report.

Each fault registers under a `kind`, which is also its key in scenario YAML. A fault that fails
to start raises FaultError; it is never a silent no-op. Every fault is undone on every exit path
of a scenario (the runner stops whatever it started, in reverse order).

Families: `app` (through the sample app's control API), `container` (engine calls and a stress
sidecar in the target's cgroup), `network` (disconnect, tc netem from a sidecar), `sink`, `silence` (an Alertmanager silence,
scheduled like a fault) and `signal` (series programmed in the signal source).

A fault may also have `prepare(stack)` (the `Preparing` protocol): the runner calls it before the
scenario's baseline, to set what the stack looks like outside the fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol, Union, runtime_checkable

from pydantic import Field

from harness.faults.app import (
    AppErrors, AppLatency, BusinessGauge, BusinessRate, CacheFill, CacheFlush, CacheMiss, JobFailures, MemoryLeak,
    PoolHold, QueueBacklog, SlowJobs, SlowQuery,
)
from harness.faults.container import ContainerKill, ContainerPause, ContainerRestart, ContainerStop, CpuStress, MemoryStress
from harness.faults.network import NetworkBandwidth, NetworkCut, NetworkDelay, NetworkLoss
from harness.faults.signal import SignalFault
from harness.faults.silence import Silence
from harness.faults.sink import SinkOutage

if TYPE_CHECKING:
    from harness.stack import RunningStack


@runtime_checkable
class Fault(Protocol):
    kind: str

    def start(self, stack: RunningStack) -> None: ...

    def stop(self, stack: RunningStack) -> None: ...

    def describe(self) -> str: ...


@runtime_checkable
class Preparing(Protocol):
    """A fault that sets the stack's state outside its window, before the scenario's baseline starts."""

    def prepare(self, stack: RunningStack) -> None: ...


FAULT_TYPES = (
    AppErrors, AppLatency, PoolHold, SlowQuery, CacheFill, CacheFlush, CacheMiss, QueueBacklog, JobFailures, SlowJobs,
    MemoryLeak, BusinessGauge, BusinessRate,
    ContainerStop, ContainerKill, ContainerPause, ContainerRestart, CpuStress, MemoryStress,
    NetworkCut, NetworkDelay, NetworkLoss, NetworkBandwidth,
    SinkOutage, Silence, SignalFault,
)

#: Any fault, chosen by its `kind` key in YAML.
FaultSpec = Annotated[Union[FAULT_TYPES], Field(discriminator="kind")]  # type: ignore[valid-type]

KINDS = sorted(fault.model_fields["kind"].default for fault in FAULT_TYPES)
