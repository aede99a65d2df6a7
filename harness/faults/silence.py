"""A silence, scheduled like a fault: created in the real Alertmanager, expired when it ends."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harness.errors import FaultError, StackError

if TYPE_CHECKING:
    from harness.stack import RunningStack


class Silence(BaseModel):
    """Silence alerts whose labels match, for the scheduled window (an on-call engineer's silence)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["silence"] = "silence"
    matchers: dict[str, str] = Field(min_length=1, description="label: value pairs an alert must all carry")
    _silence_id: str | None = PrivateAttr(default=None)

    def start(self, stack: RunningStack) -> None:
        try:
            self._silence_id = stack.alertmanager.create_silence(self.matchers, timedelta(hours=24), "harness scenario")
        except StackError as error:
            raise FaultError(f"could not create the silence {self.matchers}: {error}") from error

    def stop(self, stack: RunningStack) -> None:
        if self._silence_id is None:
            return
        try:
            stack.alertmanager.expire_silence(self._silence_id)
        except StackError as error:
            raise FaultError(f"could not expire silence {self._silence_id}: {error}") from error
        self._silence_id = None

    def describe(self) -> str:
        return "silence on " + ", ".join(f"{k}={v}" for k, v in self.matchers.items())
