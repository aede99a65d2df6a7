"""What exactly ran: the harness, the host, the images, the programs' own build info, the input files.

    command_line()                 the command as typed (`harness gate ...`, `python -m harness.cli gate ...`)
    collect(command, files)        before anything starts: harness version and commit, the command line,
                                   host (kernel, cores, Docker version) and sha256 of every input file
    input_files(scenarios, stack)  the files a run reads: scenarios, the compose file, every file of the
                                   Prometheus and Alertmanager config folders (rules included)
    with_stack(provenance, live)   once a stack is up: every image's id, digests and source (pulled, or
                                   built from which recipe hash, and which requested image it stands in
                                   for and why), and Prometheus's and Alertmanager's build info from their APIs

A figure that could not be read is recorded as what went wrong, never left out silently: a report
that says "unknown (git: not a repository)" is evidence; one that says nothing is not.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker.errors

from harness import engine
from harness.errors import HarnessError
from harness.redaction import Secrets

if TYPE_CHECKING:
    from harness.scenario import Scenario
    from harness.stack import RenderedConfigs, RunningStack
    from harness.stackfile import Stack

__all__ = ["BuildInfo", "FileHash", "Host", "ImageOrigin", "Provenance", "collect", "command_line", "input_files",
           "with_stack"]

PACKAGE = "monitoring-harness"
SOURCE_ROOT = Path(__file__).resolve().parents[1]
SECRET_FILE = "withheld: the file holds a secret"


@dataclass(frozen=True)
class Host:
    kernel: str
    cores: int
    docker: str
    python: str
    machine: str


@dataclass(frozen=True)
class FileHash:
    role: str  # scenario, compose, prometheus, alertmanager
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ImageOrigin:
    """One image a service ran: its tag and id, digests where a registry gave it one, and where it came from."""

    service: str
    tag: str
    source: str  # local | pulled | cached | built
    image_id: str
    repo_digests: tuple[str, ...] = ()
    recipe: str = ""
    recipe_digest: str = ""
    #: The image the compose file names, when the run ran another in its place ("" when it ran that one).
    requested: str = ""
    #: Why it ran another (the requested image is not here and could not be pulled, ...).
    substituted_because: str = ""


@dataclass(frozen=True)
class BuildInfo:
    """A program's own account of its build, as its API gives it (or why it could not be read)."""

    program: str
    url: str
    version: str = ""
    revision: str = ""
    branch: str = ""
    build_date: str = ""
    go_version: str = ""
    error: str = ""


@dataclass(frozen=True)
class Provenance:
    harness_version: str
    commit: str
    #: Local changes on top of `commit` when the run started (`git status --porcelain` lines).
    uncommitted: tuple[str, ...]
    command: tuple[str, ...]
    host: Host
    files: tuple[FileHash, ...]
    images: tuple[ImageOrigin, ...] = ()
    build_info: tuple[BuildInfo, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def collect(command: Iterable[str], files: Iterable[tuple[str, Path]], secrets: Secrets | None = None) -> Provenance:
    """Everything that can be known before a stack starts; `files` are (role, path) pairs.

    A file whose whole content is one of `secrets` (a password file a `*_file` key names) gets no
    hash: a short secret's sha256 is found again by trying candidates.
    """
    notes: list[str] = []
    commit, uncommitted = _git(notes)
    hidden = set((secrets or Secrets()).values)
    return Provenance(
        harness_version=_version(notes), commit=commit, uncommitted=uncommitted, command=tuple(command),
        host=_host(notes), files=tuple(_hash(role, path, hidden) for role, path in files), notes=tuple(notes),
    )


def command_line(argv: Iterable[str] | None = None) -> tuple[str, ...]:
    """The command as typed: `python -m harness.cli gate ...` shows as that, not as the path of cli.py."""
    words = list(sys.argv if argv is None else argv)
    if words and Path(words[0]).name in ("cli.py", "__main__.py"):
        words[0] = "python -m harness.cli"
    elif words:
        words[0] = Path(words[0]).name
    return tuple(words)


def input_files(scenarios: Iterable[Scenario], stack: Stack, rendered: RenderedConfigs) -> list[tuple[str, Path]]:
    """The files a run reads, each once: scenario files, the compose file, the config folders' files."""
    found: dict[Path, str] = {}
    for scenario in scenarios:
        if scenario.path is not None:
            found.setdefault(Path(scenario.path).resolve(), "scenario")
    found.setdefault(stack.path.resolve(), "compose")
    for role, folder in rendered.sources_by_role.items():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found.setdefault(path.resolve(), role)
    return [(role, path) for path, role in found.items()]


def with_stack(provenance: Provenance, live: RunningStack) -> Provenance:
    """`provenance` with the images the stack runs and the build info its Prometheus and Alertmanager report."""
    resolved = list(live.boot.images) if live.boot else []
    origins = [_origin(image.service, image.tag, image.source, image.recipe, image.recipe_digest,
                       image.requested if image.substituted else "", image.substituted_because) for image in resolved]
    if live.sidecar_image and all(origin.tag != live.sidecar_image for origin in origins):
        from harness.stack import SIDECAR_RECIPE

        digest = live.sidecar_image.rpartition(":")[2] if live.sidecar_image.startswith("harness/") else ""
        origins.append(_origin("(harness sidecar: faults, publisher)", live.sidecar_image, "cached",
                               str(SIDECAR_RECIPE) if digest else "", digest))
    infos = (
        _build_info("prometheus", live.prometheus.base_url + "/api/v1/status/buildinfo", live.prometheus.buildinfo),
        _build_info("alertmanager", live.alertmanager.base_url + "/api/v2/status", live.alertmanager.version_info),
    )
    return replace(provenance, images=tuple(origins), build_info=infos)


def _origin(service: str, tag: str, source: str, recipe: str = "", recipe_digest: str = "", requested: str = "",
            substituted_because: str = "") -> ImageOrigin:
    try:
        image = engine.client().images.get(tag)
        image_id, digests = str(image.id), tuple(image.attrs.get("RepoDigests") or ())
    except (docker.errors.DockerException, HarnessError) as error:
        image_id, digests = f"unknown ({error})", ()
    return ImageOrigin(service, tag, source, image_id, digests, _shown_path(recipe), recipe_digest, requested,
                       substituted_because)


def _build_info(program: str, url: str, read: Any) -> BuildInfo:
    try:
        info = read()
    except HarnessError as error:
        return BuildInfo(program, url, error=str(error))
    return BuildInfo(
        program, url, version=str(info.get("version", "")), revision=str(info.get("revision", "")),
        branch=str(info.get("branch", "")), build_date=str(info.get("buildDate", "")),
        go_version=str(info.get("goVersion", "")),
    )


def _version(notes: list[str]) -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        notes.append(f"harness version: the {PACKAGE} package is not installed (run from a source tree)")
        return "unknown"


def _git(notes: list[str]) -> tuple[str, tuple[str, ...]]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(SOURCE_ROOT), *args], capture_output=True, text=True, timeout=10)
        if done.returncode:
            raise OSError(done.stderr.strip() or f"git {args[0]} exited {done.returncode}")
        return done.stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        changed = tuple(line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line)
    except (OSError, subprocess.SubprocessError) as error:
        notes.append(f"commit: not read from {SOURCE_ROOT} ({error})")
        return "unknown", ()
    return commit, changed


def _host(notes: list[str]) -> Host:
    try:
        version = engine.client().version()
        docker_version = f"{version.get('Version', '?')} (API {version.get('ApiVersion', '?')})"
    except (docker.errors.DockerException, HarnessError) as error:
        docker_version = "unknown"
        notes.append(f"Docker version: not read ({error})")
    return Host(kernel=platform.release(), cores=os.cpu_count() or 0, docker=docker_version,
                python=sys.version.split()[0], machine=platform.machine())


def _hash(role: str, path: Path, hidden: set[str]) -> FileHash:
    data = path.read_bytes()
    if data.decode(errors="replace").strip() in hidden:
        return FileHash(role, _shown_path(str(path)), SECRET_FILE, len(data))
    return FileHash(role, _shown_path(str(path)), hashlib.sha256(data).hexdigest(), len(data))


def _shown_path(path: str) -> str:
    """A path relative to the working folder where it is under it (reports move between machines)."""
    if not path:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
