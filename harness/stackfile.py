"""The stack, as a Compose file: parsed once, at the edge, into typed service specs.

The harness reads the subset of Compose that a monitoring stack uses (image, build, command,
environment, ports, volumes, depends_on) plus an `x-harness` block per service; keys it does not
use (restart, healthcheck, ...) are ignored, as they make no difference to a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness import yamlfile
from harness.errors import ConfigError, InvalidInput
from harness.images import ImageRecipe

Role = Literal["prometheus", "alertmanager", "app", "sink"]


class HttpReady(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    http: str
    port: int


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
    environment: dict[str, str] = Field(default_factory=dict)
    ports: list[str] = Field(default_factory=list)
    volumes: list[str] = Field(default_factory=list)
    tmpfs: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    harness: HarnessOptions = Field(default_factory=HarnessOptions, alias="x-harness")

    @field_validator("build", mode="before")
    @classmethod
    def _build_shorthand(cls, value: object) -> object:
        return {"context": value} if isinstance(value, str) else value

    @field_validator("command", mode="before")
    @classmethod
    def _command_string(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value

    @field_validator("environment", mode="before")
    @classmethod
    def _environment_list(cls, value: object) -> object:
        if isinstance(value, list):
            return dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
        if isinstance(value, dict):
            return {key: "" if item is None else str(item) for key, item in value.items()}
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
        ports = []
        for entry in self.ports:
            container_side = entry.rsplit(":", 1)[-1].split("/")[0]
            ports.append(int(container_side))
        return ports


class StackFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str = "stack"
    services: dict[str, Service]


class Stack(BaseModel):
    """A validated stack definition and where it came from."""

    model_config = ConfigDict(frozen=True)
    path: Path
    name: str
    services: dict[str, Service]

    @property
    def directory(self) -> Path:
        return self.path.parent

    def by_role(self, role: Role) -> Service:
        for service in self.services.values():
            if service.harness.role == role:
                return service
        raise ConfigError(f"{self.path}: no service has `x-harness: {{role: {role}}}`; the harness needs one")

    def recipe(self, service: Service) -> ImageRecipe:
        if service.build is None:
            return ImageRecipe(service.name, service.image)
        context = (self.directory / service.build.context).resolve()
        if not context.is_dir():
            raise ConfigError(
                f"{self.path}: services.{service.name}.build.context is {service.build.context!r}, and there is no "
                f"folder {context}. Hint: build contexts are relative to the compose file's folder."
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
                raise ConfigError(f"{self.path}: depends_on forms a cycle: {' -> '.join((*chain, name))}")
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
    if not path.is_file():
        raise ConfigError(f"{path}: stack file not found")
    document, lines = yamlfile.load(path)
    try:
        parsed: StackFile = yamlfile.validate(StackFile, path, document, lines)
    except InvalidInput as error:
        raise ConfigError(str(error)) from error
    services = {name: service.model_copy(update={"name": name}) for name, service in parsed.services.items()}
    for service in services.values():
        for dependency in service.depends_on:
            if dependency not in services:
                raise ConfigError(
                    f"{path}: services.{service.name}.depends_on names {dependency!r}, which is not a service "
                    f"(services: {', '.join(services)})"
                )
    return Stack(path=path.resolve(), name=parsed.name, services=services)
