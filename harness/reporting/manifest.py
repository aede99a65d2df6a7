"""manifest.sha256: the sha256 of every file in a report folder, in `sha256sum` format, and its check.

Written last, after the folder is sealed (harness.evidence.seal), so it covers the files as they
are handed over; `sha256sum -c manifest.sha256` in the folder checks it too. `verify()` also
finds files added since, which `sha256sum -c` does not.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BundleError

__all__ = ["MANIFEST", "Check", "verify", "write"]

MANIFEST = "manifest.sha256"


@dataclass(frozen=True)
class Check:
    """What a folder holds against its manifest: files whose content changed, files gone, files added."""

    checked: int
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.extra)

    def lines(self) -> list[str]:
        return ([f"changed: {name}" for name in self.changed] + [f"missing: {name}" for name in self.missing]
                + [f"extra: {name}" for name in self.extra])


def write(folder: Path) -> Path:
    """Write `folder`/manifest.sha256 over every other file under it (owner-only, like the rest)."""
    lines = [f"{_digest(path)}  {name}\n" for name, path in _files(folder).items()]
    target = folder / MANIFEST
    target.write_text("".join(lines))
    target.chmod(0o600)
    return target


def verify(folder: Path) -> Check:
    """Compare `folder` with its manifest; BundleError when there is no readable manifest."""
    listed = _read(folder)
    present = _files(folder)
    changed = tuple(name for name, digest in listed.items() if name in present and _digest(present[name]) != digest)
    missing = tuple(name for name in listed if name not in present)
    extra = tuple(name for name in present if name not in listed)
    return Check(len(listed), changed, missing, extra)


def _read(folder: Path) -> dict[str, str]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BundleError(f"{folder}: not a folder. Hint: give a run's report folder, e.g. reports/<run-id>")
    try:
        text = path.read_text()
    except OSError as error:
        raise BundleError(f"{path}: cannot be read ({error.strerror or error}). Hint: `harness report {folder}` "
                          "writes one for a folder made before manifests existed") from None
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64 or not name:
            raise BundleError(f"{path}:{number}: not a `sha256sum` line (`<64 hex digits>  <file>`): {line[:80]!r}")
        listed[name] = digest
    return listed


def _files(folder: Path) -> dict[str, Path]:
    found = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative != MANIFEST and not path.is_symlink():
                found[relative] = path
    return found


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
