"""Faults: small objects with `start(stack)` / `stop(stack)` and a `describe()` for the report.

Each fault registers under a `kind`, which is also its key in scenario YAML. A fault that fails
to start raises FaultError; it is never a silent no-op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from harness.stack import RunningStack


@runtime_checkable
class Fault(Protocol):
    kind: str

    def start(self, stack: RunningStack) -> None: ...

    def stop(self, stack: RunningStack) -> None: ...

    def describe(self) -> str: ...
