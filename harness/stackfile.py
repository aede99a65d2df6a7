"""The stack, as a Compose file: read as `docker compose` reads it, then parsed into typed service specs.

Before validation the file goes through Compose's own rules (this machine has no `docker compose`
to ask): `${VAR}` interpolation from the environment and a `.env` beside the file; services whose
`profiles` are not enabled (COMPOSE_PROFILES) left out; `env_file` merged under `environment`;
`environment: [NAME]` taken from the environment; `volumes:` in short or long syntax as typed
mounts (host folders and single files, named volumes the top level declares, tmpfs); `command` and
`entrypoint` strings split as a shell would (shlex). The harness also reads `user`, `ports`,
`depends_on`, `build` and an `x-harness` block per service.

Keys that make no difference to a run (restart, healthcheck, container_name, networks, ...) are
passed over; keys the harness does not apply but that change what a container does (cap_add,
working_dir, ...) become warnings naming file:line; `extends` and an `external` volume are refused.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from harness import compose_rules, yamlfile
from harness.errors import ConfigError, InvalidInput
from harness.images import ImageRecipe
from harness.mounts import Mount
from harness.yamlfile import Location, Place

Role = Literal["prometheus", "alertmanager", "app", "sink", "signal_source"]
#: Every role a run needs: the harness talks to each of them.
RUN_ROLES: tuple[Role, ...] = ("prometheus", "alertmanager", "app", "sink")
#: Roles a stack may give a service, and the harness uses when one does (signal faults need `signal_source`).
OPTIONAL_ROLES: tuple[Role, ...] = ("signal_source",)
#: Compose's short port syntax: `[ip:][host:]container[/protocol]`; the host side may be empty or a range.
_PORT = re.compile(r"^(?:(?:\[[0-9a-fA-F:.]*\]|[0-9.]*):)?(?:[0-9]*(?:-[0-9]+)?:)?(?P<port>[0-9]{1,5})(?:/(?:tcp|udp|sctp))?\Z")


class HttpReady(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    http: str
    port: int = Field(ge=1, le=65535)


class LogReady(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    log: str


class HarnessOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Role | None = None
    ready: HttpReady | LogReady | None = None
    optional: bool = False
    leaves_unverified: str | None = None


class Build(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    context: str
    dockerfile: str | None = None


class Service(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    name: str = ""
    image: str
    build: Build | None = None
    command: list[str] | None = None
    #: None: the image's own; [] : none (Compose's `entrypoint: ""`).
    entrypoint: list[str] | None = None
    user: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    ports: list[str] = Field(default_factory=list)
    volumes: list[Mount] = Field(default_factory=list)
    tmpfs: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    harness: HarnessOptions = Field(default_factory=HarnessOptions, alias="x-harness")

    @field_validator("build", mode="before")
    @classmethod
    def _build_shorthand(cls, value: object) -> object:
        return {"context": value} if isinstance(value, str) else value

    @field_validator("command", "entrypoint", mode="before")
    @classmethod
    def _split_as_a_shell_would(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return shlex.split(value)
        except ValueError as error:  # an unclosed quote
            raise ValueError(f"cannot split {value!r} into words as a shell would: {error}") from None

    @field_validator("user", mode="before")
    @classmethod
    def _user_number(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("ports", mode="before")
    @classmethod
    def _ports_as_text(cls, value: object) -> object:
        """`- 9090` and the long syntax `- {target: 9090}` as the short one."""
        if not isinstance(value, list):
            return value
        return [str(item["target"]) if isinstance(item, dict) and "target" in item
                else str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]

    @field_validator("ports")
    @classmethod
    def _ports_are_numbers(cls, value: list[str]) -> list[str]:
        for entry in value:
            found = _PORT.match(entry)
            if found is None or not 1 <= int(found["port"]) <= 65535:
                raise ValueError(
                    f"{entry!r} is not a port entry; write the container's port as a number, e.g. \"9090\" or "
                    "\"127.0.0.1::9090\" (names such as `http` and port ranges are not supported)"
                )
        return value

    @field_validator("tmpfs", mode="before")
    @classmethod
    def _tmpfs_string(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("depends_on", mode="before")
    @classmethod
    def _depends_on_mapping(cls, value: object) -> object:
        return list(value) if isinstance(value, dict) else value

    def container_ports(self) -> list[int]:
        """Ports to publish; whatever the file says about the host side, we bind 127.0.0.1 only."""
        return [int(found["port"]) for found in map(_PORT.match, self.ports) if found is not None]


class NamedVolume(BaseModel):
    """A volume the top level declares; each run creates its own (labelled, removed with the run)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    driver: str = "local"
    driver_opts: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_list(cls, value: object) -> object:
        if isinstance(value, list):
            return dict(str(item).split("=", 1) if "=" in str(item) else (str(item), "") for item in value)
        return value


class StackFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str = "stack"
    services: dict[str, Service]
    volumes: dict[str, NamedVolume] = Field(default_factory=dict)

    @field_validator("volumes", mode="before")
    @classmethod
    def _empty_declarations(cls, value: object) -> object:
        return {name: body or {} for name, body in value.items()} if isinstance(value, dict) else value


class Stack(BaseModel):
    """A validated stack definition and where it came from."""

    model_config = ConfigDict(frozen=True)
    path: Path
    name: str
    services: dict[str, Service]
    volumes: dict[str, NamedVolume] = Field(default_factory=dict)
    #: What Compose would do that the run does not (an unset variable, a key not applied), each `file:line: ...`.
    warnings: tuple[str, ...] = ()
    _lines: dict[Location, int] = PrivateAttr(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.path.parent

    def where(self, *location: str | int) -> str:
        """`file:line: field` of a place in the compose file."""
        line = Place(str(self.path), tuple(location), self._lines).line
        return f"{self.path}:{line}: {'.'.join(str(part) for part in location)}" if location else f"{self.path}:{line}"

    def by_role(self, role: Role) -> Service:
        service = self.with_role(role)
        if service is not None:
            return service
        raise ConfigError(f"{self.where('services')}: no service has `x-harness: {{role: {role}}}`; the harness "
                          "needs one")

    def with_role(self, role: Role) -> Service | None:
        """The service that plays `role`, or None (for an optional role such as signal_source)."""
        return next((service for service in self.services.values() if service.harness.role == role), None)

    def check_roles(self, roles: tuple[Role, ...] = RUN_ROLES) -> None:
        """Refuse a stack that lacks a service the run talks to, or names a role (optional ones too) twice."""
        for role in (*roles, *(role for role in OPTIONAL_ROLES if role not in roles)):
            playing = [service.name for service in self.services.values() if service.harness.role == role]
            if len(playing) > 1:
                raise ConfigError(f"{self.where('services', playing[1], 'x-harness', 'role')}: {playing[0]} and "
                                  f"{playing[1]} both have role {role}; one service plays each role")
            if role == "app" and not playing and self.with_role("signal_source") is not None:
                continue  # the load goes to the signal source, which stands in for an app (harness adopt)
            if role in roles:
                self.by_role(role)

    @property
    def load_target(self) -> Service:
        """The service a scenario's load is sent to: the app, else the signal source standing in for one."""
        return self.with_role("app") or self.with_role("signal_source") or self.by_role("app")

    def recipe(self, service: Service) -> ImageRecipe:
        if service.build is None:
            return ImageRecipe(service.name, service.image)
        context = (self.directory / service.build.context).resolve()
        if not context.is_dir():
            raise ConfigError(
                f"{self.where('services', service.name, 'build')}: build.context is {service.build.context!r}, and "
                f"there is no folder {context}. Hint: build contexts are relative to the compose file's folder."
            )
        dockerfile = (context / service.build.dockerfile).resolve() if service.build.dockerfile else None
        return ImageRecipe(service.name, service.image, context, dockerfile)

    def start_order(self) -> list[Service]:
        """Services in dependency order (each after what it depends on)."""
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if name in ordered:
                return
            if name in visiting:
                raise ConfigError(f"{self.where('services', name, 'depends_on')}: depends_on forms a cycle: "
                                  f"{' -> '.join((*chain, name))}")
            visiting.add(name)
            for dependency in self.services[name].depends_on:
                visit(dependency, (*chain, name))
            visiting.discard(name)
            ordered.append(name)

        for name in self.services:
            visit(name, ())
        return [self.services[name] for name in ordered]


def load_stack(path: Path) -> Stack:
    """Read and validate a Compose file, or raise ConfigError naming the file and the place."""
    if not path.exists() and not path.is_symlink():
        raise ConfigError(f"{path}: stack file not found")
    try:
        document, lines = yamlfile.load(path)
        document, warnings = compose_rules.normalise(path, document, lines)
        parsed: StackFile = yamlfile.validate(StackFile, path, document, lines)
    except ConfigError:
        raise
    except InvalidInput as error:
        raise ConfigError(str(error)) from None
    services = {name: service.model_copy(update={"name": name}) for name, service in parsed.services.items()}
    for service in services.values():
        for index, dependency in enumerate(service.depends_on):
            if dependency not in services:
                line = Place(str(path), ("services", service.name, "depends_on", index), lines).line
                raise ConfigError(
                    f"{path}:{line}: services.{service.name}.depends_on: names {dependency!r}, which is not a service "
                    f"(services: {', '.join(services)})"
                )
    stack = Stack(path=path.resolve(), name=parsed.name, services=services, volumes=parsed.volumes,
                  warnings=tuple(warnings))
    stack._lines = lines
    return stack
