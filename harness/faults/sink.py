"""Sink faults: the notification service answers errors or slowly, as a real one does in an outage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.faults import control

if TYPE_CHECKING:
    from harness.stack import RunningStack

SinkKind = Literal["*", "slack", "pagerduty", "pagerduty_v1", "webhook", "email"]


class SinkOutage(BaseModel):
    """Deliveries of one kind (or all) are refused with a status and/or answered slowly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["sink_outage"] = "sink_outage"
    receiver_kind: SinkKind = "*"
    status_code: int = Field(default=503, ge=200, le=599)
    delay_seconds: float = Field(default=0.0, ge=0, le=3600)

    def start(self, stack: RunningStack) -> None:
        body = {"kind": self.receiver_kind, "status_code": self.status_code, "delay_seconds": self.delay_seconds}
        _control(stack, "PUT", body)

    def stop(self, stack: RunningStack) -> None:
        _control(stack, "DELETE", None)

    def describe(self) -> str:
        what = "every notification service" if self.receiver_kind == "*" else f"the {self.receiver_kind} service"
        slow = f", after {self.delay_seconds:g} s" if self.delay_seconds else ""
        return f"{what} answers HTTP {self.status_code}{slow}"


def _control(stack: RunningStack, method: str, body: dict[str, object] | None) -> None:
    control.call(method, f"{stack.url_of_role('sink')}/control/behaviour", body, "sink")
