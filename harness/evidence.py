"""The run folder as evidence: only its owner can read it, and no secret of the stack is in it.

    make_private(folder)      the run folder, made owner-only (0700) before anything is written into it
    private_folder()          a 0700 folder outside the evidence for what must hold the real secrets
                              (the configs the containers mount, a mutant's copy of the stack);
                              removed by discard(), or when the process exits; one a killed
                              process left is found by orphaned_folders() and removed by the sweep
    copy_redacted(src, dst)   the evidence copy of a config folder: every YAML file redacted
                              (harness.redaction), each file a `*_file` key names replaced by a marker,
                              every other file scrubbed of the secrets found
    secrets_in(folder)        the same secrets, found without copying
    seal(folder, secrets)     at the end of a run: every file scrubbed of the run's secrets, files 0600,
                              folders 0700, so a copy of the folder (tar, CI artefact) stays owner-only

Containers never mount the run folder, so redacting it cannot change what a stack runs with.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness import yamlfile
from harness.redaction import Secrets, marker, redact_document

__all__ = ["copy_redacted", "discard", "make_private", "open_to_containers", "private_folder", "seal", "secrets_in"]

YAML_SUFFIXES = (".yml", ".yaml")
_PRIVATE: set[Path] = set()
#: A private folder's name carries the pid of the process that made it: `harness-configs-4711-k2j9x`.
_PRIVATE_NAME = re.compile(r"^harness-[a-z]+-(?P<pid>[0-9]+)-")


def make_private(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def private_folder(prefix: str = "harness-private-") -> Path:
    """A new folder only this user can enter, removed by discard() or at the latest when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))  # mkdtemp makes it 0700
    _PRIVATE.add(folder)
    return folder


def orphaned_folders(root: Path | None = None) -> list[Path]:
    """This user's private folders whose process is gone (killed before its exit handler ran): they hold real secrets."""
    root = root or Path(tempfile.gettempdir())
    found = []
    for folder in sorted(root.glob("harness-*-*")):
        named = _PRIVATE_NAME.match(folder.name)
        with contextlib.suppress(OSError):
            if named and folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid() \
                    and not _process_exists(int(named["pid"])):
                found.append(folder)
    return found


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discard(folder: Path) -> None:
    _PRIVATE.discard(folder)
    shutil.rmtree(folder, ignore_errors=True)


@atexit.register
def _discard_all() -> None:
    for folder in list(_PRIVATE):
        discard(folder)


def open_to_containers(folder: Path) -> None:
    """Let any user read `folder` (inside a private folder): a container's process may run as
    another user (nobody) than the one who wrote it; the private folder above keeps others out."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))


@dataclass(frozen=True)
class _Folder:
    """A config folder read for redaction: its files, the YAML ones redacted, the ones that hold a secret."""

    root: Path
    files: tuple[Path, ...]
    redacted: dict[Path, str]
    secret_files: frozenset[Path]
    secrets: Secrets


def secrets_in(source: Path, mounts: Mapping[str, str] | None = None) -> Secrets:
    """The secret values of a config folder's YAML files and of the files their `*_file` keys name."""
    return _read(source, mounts or {}, Secrets()).secrets


def copy_redacted(source: Path, target: Path, mounts: Mapping[str, str] | None = None,
                  known: Secrets | None = None) -> Secrets:
    """Write the evidence copy of `source` to `target`; return the secrets found (with `known`).

    `mounts` maps a container folder to a folder under `source` (`{"/etc/alertmanager": "."}`), so
    that an absolute `*_file` path the container reads is found in the copy.
    """
    folder = _read(source, mounts or {}, known or Secrets())
    for path in folder.files:
        copy = target / path.relative_to(folder.root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if path in folder.secret_files:
            copy.write_text(marker(path.read_text(errors="replace").strip()) + "\n")
        elif path in folder.redacted:
            copy.write_text(folder.secrets.scrub(folder.redacted[path]))
        else:
            copy.write_bytes(folder.secrets.scrub_bytes(path.read_bytes()))
    return folder.secrets


def _read(source: Path, mounts: Mapping[str, str], known: Secrets) -> _Folder:
    root = Path(os.path.normpath(source))
    files = tuple(sorted(Path(os.path.normpath(path)) for path in source.rglob("*") if path.is_file()))
    hidden: set[str] = set(known.values)
    secret_files: set[Path] = set()
    redacted: dict[Path, str] = {}
    for path in files:
        if path.suffix not in YAML_SUFFIXES:
            continue
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # not a config: scrubbed as text
        results = [redact_document(document) for document in documents]
        for result in results:
            hidden.update(result.hidden)
            secret_files.update(filter(None, (_named_file(name, path.parent, root, mounts) for name in result.files)))
        if any(result.changed for result in results):
            shown = [result.document for result in results]
            redacted[path] = yamlfile.dump(shown[0]) if len(shown) == 1 else yamlfile.dump_all(shown)
    hidden.update(path.read_text(errors="replace").strip() for path in secret_files)
    return _Folder(root, files, redacted, frozenset(secret_files), Secrets(hidden))


def _named_file(name: str, base: Path, source: Path, mounts: Mapping[str, str]) -> Path | None:
    """The file under `source` that a `*_file` value names, or None when it is elsewhere."""
    if os.path.isabs(name):
        for container, relative in mounts.items():
            prefix = container.rstrip("/") + "/"
            if name.startswith(prefix):
                path = source / relative / name[len(prefix):]
                break
        else:
            return None
    else:
        path = base / name  # both programs read a relative path from the config file's folder
    path = Path(os.path.normpath(path))
    return path if path.is_file() and source in path.parents else None


def seal(folder: Path, secrets: Secrets | None = None) -> None:
    """Scrub every file under `folder` of `secrets`; make files 0600 and folders 0700."""
    if not folder.is_dir():
        return
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        # One file we cannot change (written by another user) must not hide the run's own outcome;
        # the 0700 run folder already keeps others away from it.
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.chmod(0o700)
                continue
            if secrets:
                data = path.read_bytes()
                scrubbed = secrets.scrub_bytes(data)
                if scrubbed != data:
                    path.write_bytes(scrubbed)
            path.chmod(0o600)
