"""Compose's reading rules, applied to a compose document before the harness validates it.

    normalise(path, document, lines)   the document as `docker compose config` would give it, for the keys
                                       the harness uses, and the warnings for what the run will not do

Rules applied: interpolation (shell environment over the `.env` beside the file, unless
COMPOSE_DISABLE_ENV_FILE); `profiles` (a service with profiles runs only when COMPOSE_PROFILES names
one); `env_file` (a path or a list; long form `{path, required}`; relative to the file; later files
win, `environment` wins over all); `environment` as a list or mapping, a bare NAME taken from the
environment or left out; `volumes` into typed mounts (see harness.mounts); `tmpfs` as a string or list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import envfile, mounts
from harness.errors import ConfigError
from harness.interpolation import Interpolation
from harness.yamlfile import Location, Place

#: Keys the harness reads (x-harness aside).
USED = frozenset({"image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "tmpfs",
                  "depends_on", "user", "profiles"})
#: Keys that make no difference to what a run shows: the harness names, networks, restarts and readies services itself.
NO_EFFECT = frozenset({"container_name", "restart", "healthcheck", "networks", "logging", "labels", "expose",
                       "stop_grace_period", "stop_signal", "tty", "stdin_open", "pull_policy", "platform", "hostname",
                       "domainname", "annotations"})
#: Keys that would make the service something else than the file shows here.
REFUSED = {"extends": "`extends` (copy the service's keys into it)"}
TOP_LEVEL_REFUSED = {"include": "`include` (merge the included files into this one)"}


def normalise(path: Path, document: Any, lines: Mapping[Location, int]) -> tuple[Any, list[str]]:
    """`document` with Compose's rules applied, and warnings (file:line: what the run leaves out)."""
    if not isinstance(document, dict):
        return document, []
    place = Place(str(path), (), lines)
    for key, what in TOP_LEVEL_REFUSED.items():
        if key in document:
            raise ConfigError(f"{place / key}: the harness does not read {what}")
    variables = _variables(path.parent)
    warnings: list[str] = []
    interpolation = Interpolation(variables, warnings)
    document = interpolation.document(document, place)
    declared = _declared_volumes(document.get("volumes"), place / "volumes")
    services = document.get("services")
    if isinstance(services, dict):
        kept: dict[str, Any] = {}
        enabled = {name.strip() for name in os.environ.get("COMPOSE_PROFILES", "").split(",") if name.strip()}
        for name, service in services.items():
            where = place / "services" / name
            if not isinstance(service, dict):
                kept[name] = service
                continue
            profiles = service.get("profiles") or []
            if profiles and not enabled & set(map(str, profiles)):
                warnings.append(f"{where / 'profiles'}: left out, as Compose leaves it out: its profiles "
                                f"({', '.join(map(str, profiles))}) are not in COMPOSE_PROFILES")
                continue
            kept[name] = _service(service, where, path.parent, variables, declared, warnings)
        document = {**document, "services": kept}
    return document, warnings


def _variables(directory: Path) -> dict[str, str]:
    """What `${VAR}` can name: the shell's environment, over the `.env` beside the compose file."""
    dotenv = directory / ".env"
    disabled = os.environ.get("COMPOSE_DISABLE_ENV_FILE", "").lower() in ("1", "true")
    from_file = envfile.read(dotenv, os.environ) if dotenv.is_file() and not disabled else {}
    return {**from_file, **os.environ}


def _declared_volumes(volumes: Any, where: Place) -> dict[str, Any]:
    if volumes is None:
        return {}
    if not isinstance(volumes, dict):
        raise ConfigError(f"{where}: expected a mapping of volume names, found {volumes!r}")
    for name, body in volumes.items():
        if isinstance(body, dict) and body.get("external"):
            raise ConfigError(
                f"{where / name / 'external'}: volume {name!r} is external: it holds data of yours that a run "
                "must neither read nor remove. Hint: drop `external` (each run creates its own volume).")
    return volumes


def _service(service: dict[str, Any], where: Place, directory: Path, variables: Mapping[str, str],
             declared: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    for key, what in REFUSED.items():
        if key in service:
            raise ConfigError(f"{where / key}: the harness does not read {what}")
    for key in service:
        if key not in USED and key not in NO_EFFECT and not str(key).startswith("x-"):
            warnings.append(f"{where / key}: not applied by the harness, so the container runs without it")
    result = dict(service)
    environment = _env_files(service.get("env_file"), where / "env_file", directory, variables, warnings)
    environment.update(_environment(service.get("environment"), where / "environment", variables))
    result.pop("env_file", None)
    if environment or "environment" in service:
        result["environment"] = environment
    if "volumes" in service:
        entries = service["volumes"]
        if not isinstance(entries, list):
            raise ConfigError(f"{where / 'volumes'}: expected a list of volume entries, found {entries!r}")
        parsed = [mounts.parse(entry, where / "volumes" / index, directory, declared)
                  for index, entry in enumerate(entries)]
        for index, mount in enumerate(parsed):
            if mount.selinux:
                warnings.append(f"{where / 'volumes' / index}: the SELinux relabel `{mount.selinux}` is not applied")
        result["volumes"] = parsed
    return result


def _env_files(value: Any, where: Place, directory: Path, variables: Mapping[str, str],
               warnings: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    entries = [value] if isinstance(value, (str, dict)) else value
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected a path or a list of paths, found {value!r}")
    found: dict[str, str] = {}
    for index, entry in enumerate(entries):
        here = where if isinstance(value, (str, dict)) else where / index
        required = True
        if isinstance(entry, dict):
            unknown = set(entry) - {"path", "required", "format"}
            if unknown or not isinstance(entry.get("path"), str):
                raise ConfigError(f"{here}: expected `{{path: FILE, required: true|false}}`, found {entry!r}")
            required = entry.get("required", True)
            if not isinstance(required, bool):
                raise ConfigError(f"{here / 'required'}: expected true or false, found {required!r}")
            entry = entry["path"]
        if not isinstance(entry, str):
            raise ConfigError(f"{here}: expected a path, found {entry!r}")
        file = (directory / Path(entry).expanduser()).resolve()
        if not file.is_file():
            if required:
                raise ConfigError(f"{here}: env file {file} not found. Hint: paths are relative to the compose "
                                  "file's folder; `{path: ..., required: false}` makes it optional.")
            continue
        found.update(envfile.read(file, variables, warnings))
    return found


def _environment(value: Any, where: Place, variables: Mapping[str, str]) -> dict[str, str]:
    """A list (`NAME=value`, or `NAME` alone) or a mapping; a NAME without a value comes from the environment."""
    if value is None:
        return {}
    if isinstance(value, list):
        pairs: list[tuple[str, Any]] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(f"{where / index}: a list of environment entries holds `NAME=value` strings, "
                                  f"found {item!r}")
            name, has_value, text = item.partition("=")
            pairs.append((name, text if has_value else None))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise ConfigError(f"{where}: expected a list of `NAME=value` or a mapping, found {value!r}")
    found: dict[str, str] = {}
    for name, item in pairs:
        if isinstance(item, (dict, list)):
            raise ConfigError(f"{where / name}: environment values are plain values, not lists or mappings")
        if item is None:
            if name in variables:
                found[str(name)] = variables[name]
            continue
        found[str(name)] = str(item).lower() if isinstance(item, bool) else str(item)
    return found
