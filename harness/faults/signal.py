"""Signal faults: the signal source exposes one program of series while the fault holds, another outside it.

`outside` is what the metrics look like normally (programmed before the scenario's baseline and
again when the fault ends); `during` is what they look like in the incident: counters at another
rate, a gauge over its threshold, latencies beyond a bucket, a job whose scrape fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from harness.errors import FaultError, StackError
from harness.signals import SignalProgram

if TYPE_CHECKING:
    from harness.signals import SignalSourceClient
    from harness.stack import RunningStack


class SignalFault(BaseModel):
    """Program the signal source's series: `during` while the fault holds, `outside` before and after."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["signal"] = "signal"
    during: SignalProgram
    outside: SignalProgram = SignalProgram()

    def prepare(self, stack: RunningStack) -> None:
        _program(stack, self.outside, "outside")

    def start(self, stack: RunningStack) -> None:
        _program(stack, self.during, "during")

    def stop(self, stack: RunningStack) -> None:
        _program(stack, self.outside, "outside")

    def describe(self) -> str:
        return f"signal: {self.during.describe()}"


def _program(stack: RunningStack, program: SignalProgram, which: str) -> None:
    client = _client(stack)
    try:
        client.program(program)
    except StackError as error:
        raise FaultError(f"could not program the signal source with the fault's `{which}` program: {error}") from error


def _client(stack: RunningStack) -> SignalSourceClient:
    if stack.signals is None:
        raise FaultError(
            "a signal fault programs the stack's signal source, and no service of this stack has "
            "`x-harness: {role: signal_source}`. Hint: add one built from compose/images/signal-source, "
            "with `ports: [\"127.0.0.1::9300\"]`"
        )
    return stack.signals
