"""The stack's images on every engine a run uses.

A second engine starts empty, and may have no registry to pull from and no network to build with
(scripts/second-engine gives it none). So the first engine gets the images as `harness images`
always does (present, pulled or built), and each other engine that misses one gets it copied: one
`docker save` of all the missing images streamed straight into `docker load`, so the layers they
share (the Debian base under every recipe) travel once. An image counts as present only with the
same image ID: a stale image under the same tag is replaced.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker.errors
import requests.exceptions

from harness import engine, polling
from harness.engine import Engine
from harness.errors import ImageBuildError
from harness.images import Progress

#: Saving and loading a few hundred MB takes longer than an ordinary API call may.
COPY_TIMEOUT = 900
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Copy:
    """What one engine got from another: the images, how many bytes travelled, how long it took."""

    source: str
    target: str
    tags: tuple[str, ...]
    size_bytes: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.tags:
            return f"every image already on {self.target}"
        return (f"copied {len(self.tags)} image(s) ({self.size_bytes / 1e6:.0f} MB) from {self.source} to "
                f"{self.target} in {self.seconds:.1f} s")


def missing(tags: list[str], source: Engine, target: Engine) -> list[str]:
    """The tags whose image on `target` is absent or not the one `source` has."""
    wanted = {tag: source.client().images.get(tag).id for tag in tags}
    absent = []
    for tag, image_id in wanted.items():
        try:
            if target.client().images.get(tag).id == image_id:
                continue
        except docker.errors.ImageNotFound:
            pass
        absent.append(tag)
    return absent


def copy_images(tags: list[str], source: Engine, target: Engine, progress: Progress = lambda _: None) -> Copy:
    """Make every image of `tags` on `source` present on `target`, copying what is missing; ImageBuildError if it cannot."""
    tags = list(dict.fromkeys(tags))
    try:
        absent = missing(tags, source, target)
    except docker.errors.ImageNotFound as error:
        raise ImageBuildError(f"cannot copy to {target.url}: {source.url} does not have the image ({error})") from error
    if not absent:
        return Copy(source.url, target.url, ())
    size = sum(source.client().images.get(tag).attrs.get("Size", 0) for tag in absent)
    progress(f"copying {len(absent)} image(s) to {target.url} (up to {size / 1e6:.0f} MB; shared layers travel "
             f"once): {', '.join(absent)}")
    started = polling.monotonic()
    sent = _Counter()
    reader = engine.connect(source, COPY_TIMEOUT)
    writer = engine.connect(target, COPY_TIMEOUT)
    try:
        for line in writer.api.load_image(sent.count(_saved(reader, absent, source)), quiet=True):
            if isinstance(line, dict) and line.get("error"):
                raise ImageBuildError(f"{target.url} refused the images from {source.url}: {line['error']}")
    except (docker.errors.APIError, requests.exceptions.RequestException) as error:
        raise ImageBuildError(f"copying {', '.join(absent)} from {source.url} to {target.url} failed: {error}") from error
    finally:
        reader.close()
        writer.close()
    # Hundreds of MB just written sit in the page cache; written back later, they would show as host CPU
    # busy (iowait) under the first scenarios, which a host CPU rule reads. Write them back now.
    os.sync()
    still = missing(absent, source, target)
    if still:
        raise ImageBuildError(f"after copying, {target.url} still lacks {', '.join(still)} as {source.url} has them")
    copied = Copy(source.url, target.url, tuple(absent), sent.total, polling.monotonic() - started)
    progress(copied.describe())
    return copied


def copy_everywhere(tags: list[str], source: Engine, targets: tuple[Engine, ...],
                    progress: Progress = lambda _: None) -> list[Copy]:
    """`copy_images` to each of `targets` but `source` itself."""
    return [copy_images(tags, source, target, progress) for target in targets if target != source]


def _saved(client: docker.DockerClient, tags: list[str], source: Engine) -> Iterator[bytes]:
    """`docker save` of several images as one tar stream (docker-py's get_image takes only one name)."""
    api: Any = client.api
    response = api._get(api._url("/images/get"), params={"names": tags}, stream=True)
    if response.status_code != 200:
        raise ImageBuildError(f"{source.url} would not save {', '.join(tags)}: {response.text[:300]}")
    yield from response.iter_content(CHUNK)


class _Counter:
    """Counts the bytes of a stream as it passes."""

    def __init__(self) -> None:
        self.total = 0

    def count(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.total += len(chunk)
            yield chunk
