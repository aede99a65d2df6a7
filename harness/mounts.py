"""A service's `volumes:` entries, short or long syntax, read as Compose reads them into typed mounts.

Short syntax `[SOURCE:]TARGET[:MODES]`: a SOURCE starting with `.`, `/` or `~` is a host path (a
folder or a single file, relative to the compose file's folder), any other SOURCE is a named volume
that the top-level `volumes:` must declare, no SOURCE is an anonymous volume. MODES is a comma list
of `ro`/`rw`, `nocopy`, a propagation (`rslave`, ...), an SELinux label (`z`/`Z`) or a consistency.
Long syntax: `{type: bind|volume|tmpfs, source, target, read_only, bind: {propagation,
create_host_path}, volume: {nocopy}, tmpfs: {size, mode}}`.

Where Compose would create a missing bind source (as an empty folder), the harness refuses it:
mounted over a file path such as /etc/prometheus/prometheus.yml, an empty folder fails the service
in a way that names neither the compose file nor the line.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigError
from harness.yamlfile import Place

MountType = Literal["bind", "volume", "tmpfs"]
PROPAGATIONS = frozenset({"shared", "rshared", "slave", "rslave", "private", "rprivate"})
#: Modes that make no difference on Linux (consistency is for Docker Desktop on macOS).
_NO_EFFECT = frozenset({"consistent", "cached", "delegated"})
_LONG_KEYS = frozenset({"type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"})


class Mount(BaseModel):
    """One mount of a service: a host path (absolute), a named or anonymous volume, or a tmpfs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: MountType
    target: str
    #: bind: the absolute host path; volume: the name declared under top-level `volumes:` ("" if anonymous).
    source: str = ""
    read_only: bool = False
    propagation: str | None = None
    nocopy: bool = False
    tmpfs_size: int | None = None
    tmpfs_mode: int | None = None
    #: An SELinux relabel asked for (`z`/`Z`): the engine API's mounts cannot apply it, so the stack warns.
    selinux: str | None = None

    @property
    def source_path(self) -> Path:
        return Path(self.source)


def parse(entry: object, where: Place, directory: Path, declared: Collection[str]) -> Mount:
    """One `volumes:` entry as a Mount, or ConfigError naming `where` (file:line: field) and what is wrong."""
    if isinstance(entry, str):
        mount = _short(entry, where, directory, declared)
    elif isinstance(entry, dict):
        mount = _long(entry, where, directory, declared)
    else:
        raise ConfigError(f"{where}: expected `SOURCE:TARGET[:MODE]` or a mapping with `type` and `target`, "
                          f"found {entry!r}")
    if not mount.target.startswith("/"):
        raise ConfigError(f"{where}: the target {mount.target!r} is not an absolute path in the container")
    if mount.type == "bind" and not (Path(mount.source).exists()):
        raise ConfigError(
            f"{where}: the bind mount's source {mount.source} does not exist. Compose would create an empty folder "
            f"there and mount it over {mount.target}. Hint: host paths are relative to the compose file's folder "
            f"({directory})."
        )
    return mount


def _short(entry: str, where: Place, directory: Path, declared: Collection[str]) -> Mount:
    parts = entry.split(":")
    if len(parts) == 1:
        return Mount(type="volume", target=parts[0])
    if len(parts) > 3:
        raise ConfigError(f"{where}: {entry!r} has {len(parts)} `:`-separated parts; expected SOURCE:TARGET[:MODE]")
    if len(parts) == 2 and parts[0].startswith("/") and _is_modes(parts[1]):
        source, target, modes = "", parts[0], parts[1]
    else:
        source, target, modes = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
    options: dict[str, Any] = {}
    for mode in filter(None, modes.split(",")):
        if mode in ("ro", "rw"):
            options["read_only"] = mode == "ro"
        elif mode == "nocopy":
            options["nocopy"] = True
        elif mode in PROPAGATIONS:
            options["propagation"] = mode
        elif mode in ("z", "Z"):
            options["selinux"] = mode
        elif mode not in _NO_EFFECT:
            raise ConfigError(f"{where}: {mode!r} in {entry!r} is not a volume mode; expected ro, rw, nocopy, z, Z "
                              f"or a propagation ({', '.join(sorted(PROPAGATIONS))})")
    if not source:
        return Mount(type="volume", target=target, **options)
    if source.startswith((".", "/", "~")):
        return Mount(type="bind", target=target, source=_host_path(source, directory), **options)
    return Mount(type="volume", target=target, source=_declared(source, where, declared), **options)


def _is_modes(text: str) -> bool:
    return all(mode in ("ro", "rw", "nocopy", "z", "Z") or mode in PROPAGATIONS or mode in _NO_EFFECT
               for mode in text.split(","))


def _long(entry: dict[str, Any], where: Place, directory: Path, declared: Collection[str]) -> Mount:
    unknown = sorted(set(entry) - _LONG_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {', '.join(unknown)} is not a key of a volume entry (keys: "
                          f"{', '.join(sorted(_LONG_KEYS))})")
    kind, target = entry.get("type"), entry.get("target")
    if kind not in ("bind", "volume", "tmpfs"):
        raise ConfigError(f"{where / 'type'}: a volume entry's type is bind, volume or tmpfs here, found {kind!r}"
                          + (" (npipe and cluster volumes are not supported)" if kind in ("npipe", "cluster") else ""))
    if not isinstance(target, str) or not target:
        raise ConfigError(f"{where / 'target'}: a volume entry needs a `target` (the path in the container)")
    read_only = entry.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError(f"{where / 'read_only'}: expected true or false, found {read_only!r}")
    source = entry.get("source")
    if source is not None and not isinstance(source, str):
        raise ConfigError(f"{where / 'source'}: expected a path or a volume name, found {source!r}")
    bind, volume, tmpfs = (_section(entry, key, where) for key in ("bind", "volume", "tmpfs"))
    if kind == "tmpfs":
        if source:
            raise ConfigError(f"{where / 'source'}: a tmpfs mount has no source")
        return Mount(type="tmpfs", target=target, read_only=read_only, tmpfs_size=_number(tmpfs, "size", where),
                     tmpfs_mode=_number(tmpfs, "mode", where))
    if kind == "bind":
        if not source:
            raise ConfigError(f"{where / 'source'}: a bind mount needs a `source` (a path on the host)")
        propagation = bind.get("propagation")
        if propagation is not None and propagation not in PROPAGATIONS:
            raise ConfigError(f"{where / 'bind' / 'propagation'}: expected one of {', '.join(sorted(PROPAGATIONS))}, "
                              f"found {propagation!r}")
        selinux = bind.get("selinux")
        return Mount(type="bind", target=target, source=_host_path(source, directory), read_only=read_only,
                     propagation=propagation, selinux=selinux)
    return Mount(type="volume", target=target, source=_declared(source, where / "source", declared) if source else "",
                 read_only=read_only, nocopy=bool(volume.get("nocopy", False)))


def _section(entry: dict[str, Any], key: str, where: Place) -> dict[str, Any]:
    section = entry.get(key) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{where / key}: expected a mapping, found {section!r}")
    return section


def _number(section: dict[str, Any], key: str, where: Place) -> int | None:
    value = section.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ConfigError(f"{where / 'tmpfs' / key}: expected a number of bytes (size) or an octal mode, found {value!r}")


def _host_path(source: str, directory: Path) -> str:
    return str((directory / Path(source).expanduser()).resolve())


def _declared(name: str, where: Place, declared: Collection[str]) -> str:
    if name not in declared:
        known = f" (declared: {', '.join(sorted(declared))})" if declared else " (the file declares none)"
        raise ConfigError(f"{where}: refers to the undefined volume {name!r}{known}. Hint: declare it under the "
                          "top-level `volumes:`, or write a host path as `./name`.")
    return name
