"""A compose file's services as `harness check` needs them: images, commands, and bind mounts."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness.check.documents import YamlFile

#: Where the official images read their configs, when no `--config.file` says otherwise.
DEFAULT_CONFIG_PATHS = {"prometheus": "/etc/prometheus/prometheus.yml", "alertmanager": "/etc/alertmanager/alertmanager.yml"}


@dataclass(frozen=True)
class Mount:
    """A bind mount of a compose service: a host path seen inside the container at `target`."""

    source: Path
    target: PurePosixPath


@dataclass(frozen=True)
class ComposeService:
    name: str
    image: str
    line: int
    mounts: tuple[Mount, ...] = ()
    command: tuple[str, ...] = ()

    def host_path(self, container_path: str) -> Path | None:
        """Where a path inside this service's container is on this machine, when a mount covers it."""
        wanted = PurePosixPath(container_path)
        best: Mount | None = None
        for mount in self.mounts:
            if wanted == mount.target or mount.target in wanted.parents:
                if best is None or len(mount.target.parts) > len(best.target.parts):
                    best = mount
        if best is None:
            return None
        return best.source.joinpath(*wanted.relative_to(best.target).parts)

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` or `--name value` in the service's command."""
        for index, part in enumerate(self.command):
            if part.startswith(f"{name}="):
                return part.split("=", 1)[1]
            if part == name and index + 1 < len(self.command):
                return self.command[index + 1]
        return None


def runs(service: ComposeService, role: str) -> bool:
    image = service.image.lower().rsplit("/", 1)[-1].split(":")[0]
    if role == "prometheus":
        return image == "prometheus" or (not service.image and service.name == "prometheus")
    return image == "alertmanager" or (not service.image and service.name == "alertmanager")


def services(compose: YamlFile) -> tuple[ComposeService, ...]:
    """The compose file's services, each with its image, command and bind mounts."""
    raw = compose.data.get("services") if isinstance(compose.data, dict) else None
    if not isinstance(raw, dict):
        return ()
    found = []
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            continue
        command = spec.get("command") or ()
        command = _words(command) if isinstance(command, str) else tuple(str(part) for part in command)
        mounts = tuple(bind for volume in spec.get("volumes") or () if (bind := mount(volume, compose.path.parent)))
        found.append(ComposeService(str(name), str(spec.get("image") or ""), compose.line("services", name),
                                       mounts, command))
    return tuple(found)


def _words(command: str) -> tuple[str, ...]:
    """A command string split as Compose splits it (shlex); an unclosed quote, which the stack refuses, by spaces."""
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return tuple(command.split())


def mount(volume: Any, base: Path) -> Mount | None:
    """A bind mount of a `volumes:` entry (short or long syntax); None for a named volume."""
    if isinstance(volume, dict):
        source, target = volume.get("source"), volume.get("target")
        if volume.get("type", "bind") != "bind" or not source or not target:
            return None
    else:
        parts = str(volume).split(":")
        if len(parts) < 2:
            return None
        source, target = parts[0], parts[1]
    if not str(source).startswith((".", "/", "~")):
        return None  # a named volume
    return Mount((base / str(source)).resolve() if not str(source).startswith("/") else Path(str(source)),
                 PurePosixPath(str(target)))
