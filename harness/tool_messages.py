"""promtool's and amtool's complaints about a run's rendered configs, pointed back at the user's files.

The tools check the copy a run renders (time-scaled, receivers redirected) as the container mounts
it (`/etc/prometheus/rules/errors.yml`, line 40 of our dump). The user wrote
`compose/prometheus/rules/errors.yml`, where the same rule is on line 37. The rendered copy keeps
the user's file names and the structure of each document, so a place in it (a key path) is a
place in the user's file: paths are mapped by name, lines through the key path at that line.
Where no key path can be found, the line is dropped and the message says which rule it is about.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness import yamlfile
from harness.errors import InvalidInput
from harness.yamlfile import Location, Place

#: `<file>: 7:11: group "g", rule 1, "A": ...` (promtool check rules / check config).
_POSITION = re.compile(r"(?P<sep>:\s*)(?P<line>\d+):(?P<column>\d+):")
#: `line 12: field foo not found in type ...` (Go's YAML errors, both tools).
_YAML_LINE = re.compile(r"\bline (?P<line>\d+)\b")
_RULE = re.compile(r'group "(?P<group>[^"]*)", rule (?P<index>\d+), "(?P<rule>[^"]*)"')


def relocate(messages: list[str], mount: str, rendered_dir: Path, source_dir: Path) -> list[str]:
    """`messages` with every `mount/...` path as the user's file and every line as the user's line."""
    files = re.compile(re.escape(mount.rstrip("/")) + r"/(?P<relative>[^\s'\":,]+)")
    maps: dict[str, _LineMap | None] = {}
    current: str | None = None
    relocated = []
    for message in messages:
        out, position = "", 0
        for found in files.finditer(message):
            relative = found["relative"]
            current = relative
            out += message[position:found.start()] + str(source_dir / relative)
            position = found.end()
            after = _POSITION.match(message, position)
            if after is not None:
                line_map = _line_map(maps, relative, rendered_dir, source_dir)
                out += _place(line_map, int(after["line"]), message, source_dir / relative)
                position = after.end()
        rest = message[position:]
        if current is not None and _YAML_LINE.search(rest):
            line_map = _line_map(maps, current, rendered_dir, source_dir)
            rest = _YAML_LINE.sub(lambda m: _yaml_line(line_map, int(m["line"]), source_dir / current), rest)  # type: ignore[operator]
        relocated.append(out + rest)
    return relocated


class _LineMap:
    """Rendered line -> the user's line, through the key path that starts on it."""

    def __init__(self, rendered: dict[Location, int], source: dict[Location, int], source_path: Path) -> None:
        self._source = Place(str(source_path), (), source)
        self._by_line: dict[int, Location] = {}
        for location, line in sorted(rendered.items(), key=lambda item: len(item[0])):
            self._by_line[line] = location  # the deepest path starting on a line wins
        self._lines = sorted(self._by_line)

    def user_line(self, rendered_line: int) -> int | None:
        earlier = [line for line in self._lines if line <= rendered_line]
        if not earlier:
            return None
        location = self._by_line[earlier[-1]]
        source = self._source.lines or {}
        while location and location not in source:
            location = location[:-1]
        return source.get(location) if location else None


def _line_map(maps: dict[str, _LineMap | None], relative: str, rendered_dir: Path, source_dir: Path) -> _LineMap | None:
    if relative not in maps:
        try:
            _, rendered = yamlfile.load(rendered_dir / relative)
            _, source = yamlfile.load(source_dir / relative)
            maps[relative] = _LineMap(rendered, source, source_dir / relative)
        except InvalidInput:
            maps[relative] = None
    return maps[relative]


def _place(line_map: _LineMap | None, rendered_line: int, message: str, source: Path) -> str:
    """`:37:` for the user's line; where it cannot be known, which rule of which file it is."""
    user = line_map.user_line(rendered_line) if line_map is not None else None
    if user is not None:
        return f":{user}:"
    rule = _RULE.search(message)
    return f": in {source}, rule {rule['rule']} (group {rule['group']}):" if rule else ":"


def _yaml_line(line_map: _LineMap | None, rendered_line: int, source: Path) -> str:
    user = line_map.user_line(rendered_line) if line_map is not None else None
    return f"line {user}" if user is not None else f"(a line of {source.name} as rendered for the run)"
