"""Findings a team has looked at and accepted, each with its reason, in `harness-check.yml`.

    accept:
      - code: secrets.placeholder-value
        file: alertmanager/alertmanager.yml     # a glob, relative to this file's folder (optional)
        subject: receiver email-oncall          # the finding's subject, exactly (optional)
        reason: a demo stack; the harness redirects every receiver to its sink

An accepted finding no longer counts (it cannot fail `harness check` or the gate) but is still
listed, with its reason. A waiver that matches nothing any more is itself a finding, so the list
cannot quietly outlive what it was written for.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness import yamlfile
from harness.check.findings import Finding

WAIVER_FILE = "harness-check.yml"


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    file: str | None = None
    subject: str | None = None
    reason: str = Field(min_length=1)


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    accept: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class Accepted:
    finding: Finding
    reason: str
    #: Where the waiver is: `harness-check.yml:4`.
    waiver: str


@dataclass(frozen=True)
class Waivers:
    path: Path
    entries: tuple[tuple[Waiver, int], ...]

    def apply(self, findings: list[Finding]) -> tuple[list[Finding], list[Accepted]]:
        """The findings that still count (plus one per unused waiver), and the accepted ones."""
        kept: list[Finding] = []
        accepted: list[Accepted] = []
        used: set[int] = set()
        for finding in findings:
            match = next((index for index, (waiver, _) in enumerate(self.entries) if self._matches(waiver, finding)), None)
            if match is None:
                kept.append(finding)
                continue
            used.add(match)
            waiver, line = self.entries[match]
            accepted.append(Accepted(finding, waiver.reason, f"{self.path}:{line}"))
        for index, (waiver, line) in enumerate(self.entries):
            if index not in used:
                where = f" in {waiver.file}" if waiver.file else ""
                kept.append(Finding(
                    "waivers.unused", "warning", str(self.path), line, f"waiver for {waiver.code}",
                    f"it accepts {waiver.code}{where}{f' about {waiver.subject}' if waiver.subject else ''}, but no "
                    "finding matches it any more", "remove the waiver"))
        return kept, accepted

    def _matches(self, waiver: Waiver, finding: Finding) -> bool:
        if waiver.code != finding.code or (waiver.subject is not None and waiver.subject != finding.subject):
            return False
        if waiver.file is None:
            return True
        pattern = str((self.path.parent / waiver.file).resolve())
        return fnmatch.fnmatch(str(Path(finding.file).resolve()), pattern)


def find(paths: list[Path]) -> Path | None:
    """`harness-check.yml` beside what is checked: in a folder given, or beside a file given."""
    for path in paths:
        candidate = (path if path.is_dir() else path.parent) / WAIVER_FILE
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> Waivers:
    """Read and validate a waiver file; InvalidInput naming the file, line and field otherwise."""
    document, lines = yamlfile.load(path)
    parsed: WaiverFile = yamlfile.validate(WaiverFile, path, document if document is not None else {}, lines)
    return Waivers(path, tuple((waiver, lines.get(("accept", index), 1)) for index, waiver in enumerate(parsed.accept)))
