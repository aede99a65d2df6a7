"""The one way the harness reads a user's YAML: with line numbers, and refusing what would hurt it.

Every user file (scenario, suite, compose, prometheus.yml, rule file, alertmanager.yml) is read
here. A file is refused, as InvalidInput naming it (and its line where there is one), when it is
not a regular file (a folder, a symlink loop, missing), larger than MAX_BYTES, binary (a NUL byte),
not UTF-8 (UTF-16 included), nested deeper than MAX_DEPTH, holding more than MAX_NODES values, or
when its anchors and aliases expand beyond ALIAS_BUDGET nodes (a "billion laughs" document is small
on disk and endless in memory).
A mapping that names a key twice is refused too: YAML would keep only the last value, silently.

Parsed data has no shared parts: an alias is a copy of what its anchor names, so code that edits
one place of a document (time scaling) never edits another.
"""

from __future__ import annotations

import contextlib
import errno
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import InvalidInput

Location = tuple[str | int, ...]

#: Larger than any monitoring config we have met (the largest Grafana-era rule files are ~1 MiB).
MAX_BYTES = 5 * 1024 * 1024
#: Deeper than any config needs; PyYAML and pydantic recurse once per level.
MAX_DEPTH = 100
#: Nodes that aliases may add to a document, in all; anchors reused a few times stay far below.
ALIAS_BUDGET = 20_000
#: Values (keys, items, scalars) in one document: a large rule bundle has tens of thousands; PyYAML
#: takes about 40 µs and pydantic more per value, so this bounds a hostile file to seconds.
MAX_NODES = 200_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Place:
    """Where in a user's file something is, printed `file:line: field` (the line of the nearest key)."""

    file: str
    location: Location = ()
    lines: Mapping[Location, int] | None = field(default=None, compare=False, repr=False)

    def __truediv__(self, part: str | int) -> Place:
        return Place(self.file, (*self.location, part), self.lines)

    @property
    def line(self) -> int | None:
        if self.lines is None:
            return None
        for end in range(len(self.location), -1, -1):
            found = self.lines.get(self.location[:end])
            if found is not None:
                return found
        return 1

    @property
    def field(self) -> str:
        """`route.routes[1].group_wait`, as Prometheus and Alertmanager users write a place."""
        text = ""
        for part in self.location:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{at}: {self.field}" if self.location else at

    @staticmethod
    def of(where: str | Place) -> Place:
        """A place from an older `file: field` string (no lines known), or the place itself."""
        if isinstance(where, Place):
            return where
        file, _, field_text = where.rpartition(": ")
        if not file:
            return Place(where)
        return Place(file, _parse_field(field_text))


def _parse_field(text: str) -> Location:
    location: list[str | int] = []
    for dotted in text.split("."):
        name, _, rest = dotted.partition("[")
        if name:
            location.append(name)
        for index in rest.replace("]", "").split("[") if rest else []:
            location.append(int(index) if index.isdigit() else index)
    return tuple(location)


def load(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file; return the data and the 1-based line of every mapping key / list item."""
    documents = _documents(path, single=True)
    return documents[0] if documents else (None, {})


def load_all(path: Path) -> list[tuple[Any, dict[Location, int]]]:
    """Every document of a multi-document YAML file (Kubernetes manifests), each with its lines."""
    return _documents(path, single=False)


def read_text(path: Path) -> str:
    """A user's text file, refused (InvalidInput naming it) unless it is a readable, small, UTF-8 text file."""
    data = _read_bytes(path)
    _refuse_binary(path, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInput(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}: {error.reason}). "
            "Hint: save the file as UTF-8."
        ) from None


def _read_bytes(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"{path}: is a folder, not a file. Hint: name the file in it.")
        if not stat.S_ISREG(mode):
            raise InvalidInput(f"{path}: not a regular file (a device, pipe or socket); give a YAML file")
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        dangling = " (a symlink to nowhere)" if path.is_symlink() else ""
        raise InvalidInput(f"{path}: file not found{dangling}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a file. Hint: name the file in it.") from None
    except PermissionError:
        raise InvalidInput(f"{path}: cannot be read: permission denied") from None
    except ValueError as error:  # a NUL in the path itself
        raise InvalidInput(f"{path!r}: not a usable path ({error})") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InvalidInput(f"{path}: a symlink loop (the link leads back to itself); give a real file") from None
        raise InvalidInput(f"{path}: cannot be read: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB, far beyond any monitoring config; "
            "is it the right file?"
        )
    return data


def _refuse_binary(path: Path, data: bytes) -> None:
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise InvalidInput(f"{path}:1: {name} text (it starts with a {name} byte-order mark). "
                               "Hint: save the file as UTF-8.")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        utf16 = nul <= 1 and data[1::2].count(0) > len(data) // 4
        hint = "it looks like UTF-16 text; save it as UTF-8." if utf16 else "a config file is text; is it the right file?"
        raise InvalidInput(f"{path}:{line}: binary data (a NUL byte at offset {nul}). Hint: {hint}")


def _documents(path: Path, single: bool) -> list[tuple[Any, dict[Location, int]]]:
    text = read_text(path)
    found: list[tuple[Any, dict[Location, int]]] = []
    with _located(path, text):
        loader = _GuardedLoader(text, str(path))
        try:
            while loader.check_node():
                node = loader.get_node()
                if single and found:
                    raise yaml.composer.ComposerError(
                        None, None, "a second document (after `---`), where the harness reads one",
                        node.start_mark if node is not None else None,
                    )
                data = loader.construct_document(node)
                found.append((_unshared(data) if loader.aliases else data, _lines(node)))
                loader.next_document()
        finally:
            loader.dispose()
    return found


class _Refused(yaml.MarkedYAMLError):
    """A document the guard will not build; carries the place like PyYAML's own errors."""


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that counts depth and alias expansion while composing, and refuses duplicate keys."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name
        self.aliases = 0
        self._depth = 0
        self._open: set[str] = set()
        self._expanded = 0
        self._nodes = 0
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) with aliases expanded

    def next_document(self) -> None:
        self.aliases, self._expanded, self._nodes, self._sizes = 0, 0, 0, {}

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _Refused(None, None, f"alias *{event.anchor} is inside the node it names (a recursive alias)",
                               event.start_mark)
            node = super().compose_node(parent, index)
            self.aliases += 1
            self._expanded += self._sizes.get(id(node), (1, 1))[0]
            if self._expanded > ALIAS_BUDGET:
                raise _Refused(None, None, f"aliases expand the document beyond {ALIAS_BUDGET} nodes (at *{event.anchor}); "
                               "an alias bomb, or anchors reused far more than a config needs", event.start_mark)
            return node
        self._depth += 1
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(None, None, f"more than {MAX_NODES} values in one document, far more than any config "
                           "needs; is it the right file?", event.start_mark)
        if self._depth > MAX_DEPTH:
            raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)  # type: ignore[arg-type]
        self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> None:
        """Size and depth with aliases expanded, from the children's (already composed, so already measured)."""
        children: list[yaml.Node] = []
        if isinstance(node, yaml.ScalarNode) and "\x00" in node.value:
            raise _Refused(None, None, "a NUL character (\\0) in a value; no config the harness reads can hold one",
                           node.start_mark)
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        measured = [self._sizes.get(id(child), (1, 1)) for child in children]
        size = 1 + sum(nodes for nodes, _ in measured)
        depth = 1 + max((levels for _, levels in measured), default=0)
        if depth > MAX_DEPTH:
            raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels once its aliases are expanded",
                           node.start_mark)
        self._sizes[id(node)] = (size, depth)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                with contextlib.suppress(TypeError):
                    if key in seen:
                        raise _Refused(
                            None, None, f"{key_node.value}: duplicate key (first at line {seen[key]}); YAML would keep "
                            "only the last value. Hint: remove or rename one of them", key_node.start_mark,
                        )
                    seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _unshared(data: Any) -> Any:
    """A copy in which no list or mapping appears twice (an alias becomes a copy of its anchor)."""
    if isinstance(data, dict):
        return {key: _unshared(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_unshared(item) for item in data]
    return data


@contextlib.contextmanager
def _located(path: Path, text: str) -> Iterator[None]:
    """Any YAML error as `file:line:column: invalid YAML: what`; never a traceback."""
    try:
        yield
    except _Refused as error:
        mark = error.problem_mark
        raise InvalidInput(f"{path}:{mark.line + 1}: {error.problem}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ":1"
        raise InvalidInput(f"{path}{place}: invalid YAML: {error.problem or error.context}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise InvalidInput(f"{path}:{line}: character U+{int(error.character):04X} is not allowed in YAML "
                           f"({error.reason}). Hint: remove it.") from None
    except yaml.YAMLError as error:
        raise InvalidInput(f"{path}:1: invalid YAML: {error}") from None
    except RecursionError:
        raise InvalidInput(f"{path}:1: nested too deeply to read") from None


def _lines(node: yaml.Node | None) -> dict[Location, int]:
    lines: dict[Location, int] = {}
    if node is not None:
        _index(node, (), lines)
    return lines


def _index(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*location, key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark))
            lines.setdefault(here, key.start_mark.line + 1)
            _index(value, here, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*location, index)
            lines[here] = item.start_mark.line + 1
            _index(item, here, lines)


def validate(model: type[BaseModel], path: Path, data: Any, lines: dict[Location, int]) -> Any:
    """Validate `data` as `model`, or raise InvalidInput listing each problem as file:line: field: what."""
    if data is None:
        raise InvalidInput(f"{path}:1: the file is empty (or only comments); expected a mapping of {model.__name__} fields")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_problem(path, problem, lines) for problem in error.errors()]
        raise InvalidInput("\n".join(problems)) from None


def _problem(path: Path, problem: Any, lines: dict[Location, int]) -> str:
    location = _in_document(problem["loc"], lines)
    line = None
    for end in range(len(location), -1, -1):
        line = lines.get(location[:end])
        if line is not None:
            break
    field_name = ".".join(str(part) for part in location) or "(top level)"
    seen = problem.get("input")
    shown = f" (found {_shown(seen)})" if problem["type"] not in {"missing"} and not isinstance(seen, (dict, list)) else ""
    message = problem["msg"].removeprefix("Value error, ")
    return f"{path}:{line or 1}: {field_name}: {message}{shown}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _in_document(loc: tuple[Any, ...], lines: dict[Location, int]) -> Location:
    """Drop the parts pydantic adds to a location that are not in the file (a union's tag)."""
    kept: Location = ()
    for index, part in enumerate(loc):
        if (*kept, part) in lines or index == len(loc) - 1:
            kept = (*kept, part)
    return kept


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
