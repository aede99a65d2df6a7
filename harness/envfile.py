"""Env files as Compose reads them: a service's `env_file`, and the `.env` beside the compose file.

One variable a line, `KEY=VALUE` (an `export ` before it is allowed); blank lines and lines whose
first character is `#` are skipped. A value in single quotes is taken literally; in double quotes
`\\n`, `\\"` and `\\\\` are escapes; an unquoted value ends at ` #` (a comment) and loses the spaces
around it. Unquoted and double-quoted values are interpolated (with the file's earlier lines and
then `outer`); a line with a key alone takes the value `outer` gives it, or is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from harness import yamlfile
from harness.errors import ConfigError, InvalidInput
from harness.interpolation import Interpolation

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "\\$"}


def read(path: Path, outer: Mapping[str, str], warnings: list[str] | None = None) -> dict[str, str]:
    """The variables `path` sets, in order; ConfigError naming `path:line` for a line that is not `KEY=VALUE`."""
    try:
        text = yamlfile.read_text(path)
    except InvalidInput as error:
        raise ConfigError(str(error)) from None
    found: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, has_value, value = line.partition("=")
        key = key.strip()
        if not _KEY.match(key):
            raise ConfigError(f"{path}:{number}: {key!r} is not a variable name; expected `KEY=VALUE` (a name of "
                              "letters, digits and `_`, then `=`)")
        if not has_value:
            if key in outer:
                found[key] = outer[key]
            continue
        interpolation = Interpolation({**outer, **found})
        found[key] = _value(value.strip(), f"{path}:{number}: {key}", interpolation)
        if warnings is not None:
            warnings.extend(w for w in interpolation.warnings if w not in warnings)
    return found


def _value(value: str, where: str, interpolation: Interpolation) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = _closing(value, quote)
        if end is None:
            raise ConfigError(f"{where}: the value opens a {quote} quote and never closes it on this line")
        rest = value[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise ConfigError(f"{where}: unexpected {rest!r} after the quoted value")
        inner = value[1:end]
        if quote == "'":
            return inner
        unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)
        return interpolation.text(unescaped.replace("\\$", "$$"), where)
    comment = re.search(r"\s#", value)
    if comment is not None:
        value = value[:comment.start()].rstrip()
    return interpolation.text(value, where)


def _closing(value: str, quote: str) -> int | None:
    position = 1
    while position < len(value):
        if value[position] == "\\" and quote == '"':
            position += 2
            continue
        if value[position] == quote:
            return position
        position += 1
    return None
