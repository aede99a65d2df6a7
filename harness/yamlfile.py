"""Reading user YAML with line numbers, so validation errors can say file:line and the field."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import InvalidInput

Location = tuple[str | int, ...]


def load(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file; return the data and the 1-based line of every mapping key / list item."""
    text = _read(path)
    with _located(path):
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    return data, _lines(node)


def load_all(path: Path) -> list[tuple[Any, dict[Location, int]]]:
    """Every document of a multi-document YAML file (Kubernetes manifests), each with its lines."""
    text = _read(path)
    with _located(path):
        nodes = list(yaml.compose_all(text))
        documents = list(yaml.safe_load_all(text))
    return [(document, _lines(node)) for node, document in zip(nodes, documents)]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError as error:
        raise InvalidInput(f"{path}: file not found") from error
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error


@contextlib.contextmanager
def _located(path: Path) -> Iterator[None]:
    """A YAML syntax error as `file:line:column: invalid YAML: what`."""
    try:
        yield
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise InvalidInput(f"{path}{place}: invalid YAML: {error.problem}") from error


def _lines(node: yaml.Node | None) -> dict[Location, int]:
    lines: dict[Location, int] = {}
    if node is not None:
        _index(node, (), lines)
    return lines


def validate(model: type[BaseModel], path: Path, data: Any, lines: dict[Location, int]) -> Any:
    """Validate `data` as `model`, or raise InvalidInput listing each problem as file:line: field: what."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_problem(path, problem, lines) for problem in error.errors()]
        raise InvalidInput("\n".join(problems)) from error


def _problem(path: Path, problem: Any, lines: dict[Location, int]) -> str:
    location = _in_document(problem["loc"], lines)
    line = None
    for end in range(len(location), -1, -1):
        line = lines.get(location[:end])
        if line is not None:
            break
    field = ".".join(str(part) for part in location) or "(top level)"
    seen = problem.get("input")
    shown = f" (found {seen!r})" if problem["type"] not in {"missing"} and not isinstance(seen, (dict, list)) else ""
    message = problem["msg"].removeprefix("Value error, ")
    return f"{path}:{line or 1}: {field}: {message}{shown}"


def _in_document(loc: tuple[Any, ...], lines: dict[Location, int]) -> Location:
    """Drop the parts pydantic adds to a location that are not in the file (a union's tag)."""
    kept: Location = ()
    for index, part in enumerate(loc):
        if (*kept, part) in lines or index == len(loc) - 1:
            kept = (*kept, part)
    return kept


def _index(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*location, key.value)
            lines[here] = key.start_mark.line + 1
            _index(value, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*location, index)
            lines[here] = item.start_mark.line + 1
            _index(item, here, lines)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (most PromQL) as literal blocks, so the expression reads as it was written."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text and not any(line != line.rstrip() for line in text.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**16)


def dump_all(documents: list[Any]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**16)
