"""Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}` and their kin, as `docker compose` reads them.

    ${VAR} / $VAR          the value, or "" with a warning when VAR is not set
    ${VAR:-default}        default when VAR is unset or empty      ${VAR-default}  only when unset
    ${VAR:?message}        an error when VAR is unset or empty     ${VAR?message}  only when unset
    ${VAR:+replacement}    replacement when VAR is set and not empty  ${VAR+replacement}  when set
    $$                     a literal `$`

Defaults and replacements may themselves hold `${...}`. Only values are interpolated, never keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigError
from harness.yamlfile import Place

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", "-", ":?", "?", ":+", "+")


@dataclass
class Interpolation:
    """Variables to substitute, and the warnings substitution gave (unset variables, each once)."""

    variables: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)

    def text(self, value: str, where: Place | str) -> str:
        """`value` with every variable substituted, or ConfigError naming `where`."""
        return self._scan(value, 0, where, stop=None)[0]

    def document(self, data: Any, where: Place) -> Any:
        """Every string value of `data` (mappings, lists) interpolated; keys are left as they are."""
        if isinstance(data, str):
            return self.text(data, where)
        if isinstance(data, dict):
            return {key: self.document(value, where / key) for key, value in data.items()}
        if isinstance(data, list):
            return [self.document(item, where / index) for index, item in enumerate(data)]
        return data

    def _scan(self, text: str, position: int, where: Place | str, stop: str | None) -> tuple[str, int]:
        """Substitute from `position` until the end (or an unnested `stop` character); return text and where it ended."""
        out: list[str] = []
        while position < len(text):
            char = text[position]
            if stop is not None and char == stop:
                return "".join(out), position
            if char != "$":
                out.append(char)
                position += 1
                continue
            following = text[position + 1:position + 2]
            if following == "$":
                out.append("$")
                position += 2
            elif following == "{":
                value, position = self._braced(text, position + 2, where)
                out.append(value)
            elif (found := _NAME.match(text, position + 1)) is not None:
                out.append(self._lookup(found.group(), where))
                position = found.end()
            else:
                out.append("$")
                position += 1
        if stop is not None:
            raise ConfigError(f"{where}: invalid interpolation format in {text!r}: a `${{` is never closed. "
                              "Hint: write `$$` for a literal `$`.")
        return "".join(out), position

    def _braced(self, text: str, position: int, where: Place | str) -> tuple[str, int]:
        """`${...}` from just after the brace: its value and the position after the closing brace."""
        found = _NAME.match(text, position)
        if found is None:
            raise ConfigError(f"{where}: invalid interpolation format in {text!r}: `${{` must be followed by a "
                              "variable name. Hint: write `$$` for a literal `$`.")
        name, position = found.group(), found.end()
        if text[position:position + 1] == "}":
            return self._lookup(name, where), position + 1
        operator = next((op for op in _OPERATORS if text.startswith(op, position)), None)
        if operator is None:
            raise ConfigError(f"{where}: invalid interpolation format in {text!r}: after ${{{name} expected `}}` or "
                              f"one of {', '.join(_OPERATORS)}")
        argument, position = self._scan(text, position + len(operator), where, stop="}")
        value = self.variables.get(name)
        present = value is not None and (value != "" or not operator.startswith(":"))
        if operator.endswith("-"):
            return (value if present else argument), position + 1  # type: ignore[return-value]
        if operator.endswith("+"):
            return (argument if present else ""), position + 1
        if not present:
            raise ConfigError(f"{where}: required variable {name} is missing a value: {argument or '(no message)'}")
        return value, position + 1  # type: ignore[return-value]

    def _lookup(self, name: str, where: Place | str) -> str:
        value = self.variables.get(name)
        if value is None:
            warning = f"{where}: the variable {name} is not set; Compose substitutes an empty string, and so does the run"
            if warning not in self.warnings:
                self.warnings.append(warning)
            return ""
        return value

