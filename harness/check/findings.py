"""A finding: one thing in a team's monitoring configs that will not do what it looks like it does."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """What is wrong, where (file and 1-based line), what it is about, and how to fix it.

    `code` names the check (`promql.counter-without-rate`); it is stable, so a team can search for
    it, and SARIF uses it as the rule id.
    """

    code: str
    severity: Severity
    file: str
    line: int
    subject: str
    message: str
    fix: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[str, int, int, str]:
        return self.file, self.line, SEVERITIES.index(self.severity), self.code


def errors(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == "error"]
