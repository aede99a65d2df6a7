"""Images for the stack: use the configured image if it is here or can be pulled, else build a stand-in.

An image the stack names and this engine has is run as it is, whatever its tag (`:latest`
included). Only when it is neither here nor pullable does a build stand in for it, and the
resolved image then says which image it replaces and why (the report prints "requested X, ran Y").

No registry is reachable on our build machines, so every service also has a local recipe
(`compose/images/<name>/Dockerfile`) that installs Debian's package on a base image. When no
Debian base can be pulled either, the base is made from a `debootstrap` root file system.
Built images are tagged by a hash of their recipe and context, so an unchanged recipe is
never built twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import docker.errors

from harness import engine, polling
from harness.engine import Engine
from harness.errors import ImageBuildError

BASE_TAG = "harness/base:bookworm"
BASE_CANDIDATES = ("debian:bookworm-slim",)
DEBIAN_MIRROR = os.environ.get("HARNESS_DEBIAN_MIRROR", "http://deb.debian.org/debian")

Source = Literal["local", "pulled", "cached", "built"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImageRecipe:
    """How to get one service's image: the configured name, and a local recipe to fall back on."""

    service: str
    image: str
    context: Path | None = None
    dockerfile: Path | None = None


@dataclass(frozen=True)
class ResolvedImage:
    """The image a service runs, and, when it is not the one the stack asked for, which that was and why."""

    service: str
    tag: str
    source: Source
    seconds: float = 0.0
    #: Built or cached from a local recipe: its folder and the hash of everything that went into it.
    recipe: str = ""
    recipe_digest: str = ""
    #: The image the compose file names.
    requested: str = ""
    #: Why `tag` stands in for `requested` ("" when they are the same image).
    substituted_because: str = ""

    @property
    def substituted(self) -> bool:
        return bool(self.requested) and self.requested != self.tag

    def describe(self) -> str:
        """`requested X, ran Y (source): why` when the run used a stand-in; else the tag and its source."""
        if not self.substituted:
            return f"{self.tag} ({self.source})"
        return f"requested {self.requested}, ran {self.tag} ({self.source}): {self.substituted_because}"


def ensure_base_image(progress: Progress = lambda _: None, on: Engine | None = None) -> str:
    """Return a Debian bookworm image tag to build on (on engine `on`), making it from debootstrap if need be."""
    on = on or engine.default()
    for candidate in (BASE_TAG, *BASE_CANDIDATES):
        if _present(candidate, on) or (candidate != BASE_TAG and _pull(candidate, on) is None):
            return candidate
    progress("no Debian base image can be pulled: making one with debootstrap (about a minute)")
    _import_debootstrap_rootfs(on)
    return BASE_TAG


def resolve(recipe: ImageRecipe, base: str, progress: Progress = lambda _: None, on: Engine | None = None) -> ResolvedImage:
    """The image to run for one service (on engine `on`): the configured one if it is here or can be pulled, else
    one built from its recipe, saying which image it stands in for and why."""
    on = on or engine.default()
    if _present(recipe.image, on):
        return ResolvedImage(recipe.service, recipe.image, "local", requested=recipe.image)
    pulling = os.environ.get("HARNESS_TRY_PULL", "1") == "1" or recipe.context is None
    failed = _pull(recipe.image, on) if pulling else "pulling is off (HARNESS_TRY_PULL=0)"
    if failed is None:
        return ResolvedImage(recipe.service, recipe.image, "pulled", requested=recipe.image)
    if recipe.context is None:
        raise ImageBuildError(
            f"service {recipe.service!r}: image {recipe.image!r} is not here, cannot be pulled ({failed}), "
            "and the stack gives no `build:` recipe for it. Hint: add a build context under compose/images/."
        )
    why = f"{recipe.image} is not on {on.url} and was not pulled ({failed}); built from the stack's `build:` recipe"
    digest = recipe_digest(recipe, base, on)
    tag = f"harness/{recipe.service}:{digest}"
    if _present(tag, on):
        return ResolvedImage(recipe.service, tag, "cached", recipe=str(recipe.context), recipe_digest=digest,
                             requested=recipe.image, substituted_because=why)
    progress(f"building {tag}" + ("" if on.is_default else f" on {on.url}") + f" (stands in for {recipe.image})")
    started = polling.monotonic()
    _build(recipe, base, tag, on)
    return ResolvedImage(recipe.service, tag, "built", polling.monotonic() - started, str(recipe.context), digest,
                         requested=recipe.image, substituted_because=why)


def recipe_digest(recipe: ImageRecipe, base: str, on: Engine | None = None) -> str:
    """A short hash of everything that goes into a build: files, Dockerfile and base image id (the same on every engine)."""
    assert recipe.context is not None
    digest = hashlib.sha256()
    digest.update(engine.client(on).images.get(base).id.encode())
    for path in sorted(_context_files(recipe.context)):
        digest.update(str(path.relative_to(recipe.context)).encode())
        digest.update(path.read_bytes())
    if recipe.dockerfile is not None:
        digest.update(recipe.dockerfile.read_bytes())
    return digest.hexdigest()[:16]


def _context_files(context: Path) -> list[Path]:
    return [
        path
        for path in context.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc")
    ]


def _build(recipe: ImageRecipe, base: str, tag: str, on: Engine) -> None:
    assert recipe.context is not None
    dockerfile = str(recipe.dockerfile) if recipe.dockerfile else "Dockerfile"
    log: list[str] = []
    try:
        for chunk in engine.client(on).api.build(
            path=str(recipe.context),
            dockerfile=dockerfile,
            tag=tag,
            buildargs={"BASE_IMAGE": base},
            labels={engine.MANAGED_LABEL: "true"},
            rm=True,
            forcerm=True,
            decode=True,
        ):
            if "stream" in chunk:
                log.extend(chunk["stream"].splitlines())
            if "error" in chunk:
                raise ImageBuildError(
                    f"service {recipe.service!r}: building {tag} from {recipe.context} failed: "
                    f"{chunk['error'].strip()}\n  last build output:\n    " + "\n    ".join(log[-15:])
                )
    except docker.errors.APIError as error:
        raise ImageBuildError(f"service {recipe.service!r}: the engine refused the build: {error}") from error


def _import_debootstrap_rootfs(on: Engine) -> None:
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "no Debian base image can be pulled and debootstrap is not installed. "
            "Hint: apt-get install debootstrap (scripts/setup does this on Debian as root)."
        )
    with tempfile.TemporaryDirectory(prefix="harness-rootfs-") as workdir:
        rootfs = Path(workdir) / "rootfs"
        _run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR], "debootstrap")
        # Package installs in recipes must not try to start services inside the build.
        policy = rootfs / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
        (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
        shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
        (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        _run(
            ["docker", "import", "--change", f"LABEL {engine.MANAGED_LABEL}=true", "-", BASE_TAG],
            "docker import",
            stdin=tar.stdout,
            env={**os.environ, "DOCKER_HOST": on.url},
        )
        tar.wait()


def _run(command: list[str], what: str, stdin: object = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, stdin=stdin, capture_output=True, text=True, env=env)  # type: ignore[call-overload]
    if result.returncode != 0:
        tail = "\n    ".join((result.stderr or result.stdout).splitlines()[-15:])
        raise ImageBuildError(f"{what} failed (exit {result.returncode}):\n    {tail}")


def _present(tag: str, on: Engine) -> bool:
    try:
        engine.client(on).images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError:
        return False
    return True


def _pull(tag: str, on: Engine) -> str | None:
    """None once `tag` is pulled, else what the engine said."""
    try:
        engine.client(on).images.pull(tag)
    except docker.errors.APIError as error:
        return " ".join(str(error.explanation or error).split())[:200]
    return None
