"""Listing our resources while another lane removes its own: what is gone meanwhile is not an error."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest

from harness import engine


class RacingContainers:
    """Like docker-py: a full listing inspects each container, and one was removed after the list."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    def list(self, all: bool = False, sparse: bool = False, filters: dict[str, str] | None = None) -> list[Any]:
        if not sparse:
            raise docker.errors.NotFound("No such container: 4cf8d6e4816b")
        return [SimpleNamespace(id=entry["Id"], attrs=entry, remove=lambda **_: None) for entry in self.entries]


def fake_engine(entries: list[dict[str, Any]]) -> Any:
    return SimpleNamespace(containers=RacingContainers(entries),
                           networks=SimpleNamespace(list=lambda filters=None: []),
                           volumes=SimpleNamespace(list=lambda filters=None: []))


def test_orphaned_runs_are_found_while_another_lane_removes_a_container(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = {"Id": "1", "Names": ["/prometheus-abc"],
            "Labels": {engine.MANAGED_LABEL: "true", engine.RUN_LABEL: "run-1", engine.PID_LABEL: "999999999"}}
    monkeypatch.setattr(engine, "client", lambda on=None: fake_engine([dead]))

    assert engine.orphaned_runs() == {"run-1": ["container prometheus-abc"]}


def test_our_resources_are_listed_while_another_lane_removes_a_container(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = {"Id": "2", "Names": ["/sink-abc"], "Labels": {engine.RUN_LABEL: "run-2"}}
    monkeypatch.setattr(engine, "client", lambda on=None: fake_engine([ours]))

    assert [name for name, _ in engine._labelled_resources(f"{engine.RUN_LABEL}=run-2", engine.default())] == ["container sink-abc"]
