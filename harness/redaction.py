"""Which values of a monitoring config are secrets, and the markers that stand in for them in evidence.

A value is a secret by the key that holds it, wherever that key sits, so one walk serves
Alertmanager 0.25+ (notifier keys, `http_config` everywhere), Prometheus (scrape, service
discovery, remote write/read, `alerting`), web configs and Compose environments alike:

    secret fields   password, credentials, bearer_token, client_secret, routing_key, service_key,
                    api_key, bot_token, token, user_key, api_secret, secret_key, access_key, `key` of a
                    tls_config, and any key ending in password / _secret / _token / api_key (smtp_auth_password,
                    POSTGRES_PASSWORD, ...) -> `<redacted, 32 chars>`
    URLs            keys ending in `url`: the secret parts only (see redact_url); a URL with a password
                    in any other string (a DSN in an environment) too
    headers         values of `Authorization`-like headers in headers / http_headers / proxy_connect_header;
                    an http_headers entry's `secrets:` always
    `*_file` keys   never redacted (a path), but named in `Redacted.files`: the file holds a secret

Markers keep what identifies a receiver (scheme, host, port, path segments that are not keys,
Slack's team and hook ids) and never any character of the secret, only its length.
`Secrets` carries the values found, to scrub them from free text (container logs, reports).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["Redacted", "Secrets", "is_marker", "marker", "redact_document", "redact_url", "url_secrets"]

#: Free text is scrubbed only of values at least this long: a shorter one ("app", "admin") is not
#: a real secret, and replacing it everywhere would garble the evidence. Config fields are
#: redacted whatever their length.
MIN_SCRUBBED = 8

_SECRET_KEYS = frozenset({
    "password", "credentials", "bearer_token", "client_secret", "routing_key", "service_key", "api_key", "bot_token",
    "token", "token_id", "user_key", "api_secret", "secret", "secret_key", "access_key", "auth_token", "auth_secret",
    "private_key", "application_credential_secret", "secrets",
})
_SECRET_SUFFIXES = ("password", "passwd", "_secret", "_token", "api_key", "apikey", "secret_key", "access_key",
                    "private_key")
_HEADER_KEYS = frozenset({"headers", "http_headers", "proxy_connect_header"})
_SECRET_HEADER = re.compile(r"(?i)auth|token|secret|key|password|cookie|session|signature")
_SECRET_PARAMETER = re.compile(r"(?i)^(?:.*(?:token|key|secret|passw|pwd|auth|sig|credential)s?.*|code|hash|pass)$")
_SLACK_TEAM = re.compile(r"T[A-Z0-9]+")
_SLACK_HOOK = re.compile(r"B[A-Z0-9]+")
_AUTH_SCHEME = re.compile(r"(?i)^(?:bearer|basic|token|bot|apikey|genietoken|key)\s+(\S+)$")
_MARKER = re.compile(r"<redacted, \d+ chars>")


def marker(value: str) -> str:
    """What stands in for a secret: its length, nothing of its text."""
    return f"<redacted, {len(value)} chars>"


def is_marker(value: str) -> bool:
    return _MARKER.fullmatch(value) is not None


class Secrets:
    """Secret values known to a run, and how to take them out of any text.

    `scrub` also finds them as JSON, XML/HTML, URL-quoted, Python-repr and YAML-quoted text, the
    forms in which a report or a log may have written them.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = frozenset(value for value in values if len(value) >= MIN_SCRUBBED and not is_marker(value))
        forms: dict[str, str] = {}
        for value in sorted(self.values, key=len):
            for form in _written_forms(value):
                forms[form] = marker(value)
        self._forms = forms
        ordered = sorted(forms, key=len, reverse=True)  # the longest first, so a value inside another waits
        self._text = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._bytes = re.compile(b"|".join(re.escape(form.encode()) for form in ordered)) if ordered else None

    def __or__(self, other: Secrets) -> Secrets:
        return Secrets(self.values | other.values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Secrets({len(self.values)} values)"  # never the values: a repr ends up in logs and tracebacks

    def scrub(self, text: str) -> str:
        if self._text is None:
            return text
        return self._text.sub(lambda found: self._forms[found[0]], text)

    def scrub_bytes(self, data: bytes) -> bytes:
        if self._bytes is None:
            return data
        return self._bytes.sub(lambda found: self._forms[found[0].decode()].encode(), data)

    def scrub_data(self, data: Any) -> Any:
        """A copy of JSON-like data (dicts, lists, strings) with every string scrubbed."""
        if isinstance(data, str):
            return self.scrub(data)
        if isinstance(data, dict):
            return {self.scrub_data(key): self.scrub_data(value) for key, value in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.scrub_data(item) for item in data]
        return data


def _written_forms(value: str) -> set[str]:
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value, quote=True),
        html.escape(value, quote=False).replace('"', "&quot;"),
        quote(value, safe=""),
        quote(value, safe="/%"),
        repr(value)[1:-1],
        value.replace("'", "''"),
    }


@dataclass(frozen=True)
class Redacted:
    """A config document with its secrets replaced, the values replaced, and the `*_file` paths it names."""

    document: Any
    secrets: Secrets
    files: tuple[str, ...]
    #: Every value replaced, short ones too (Secrets keeps only those worth scrubbing from free text).
    hidden: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.hidden)


def redact_document(document: Any) -> Redacted:
    """A redacted copy of a parsed YAML document; the input is left alone."""
    walk = _Walk()
    redacted = walk.node(document, parent="")
    return Redacted(redacted, Secrets(walk.hidden), tuple(walk.files), tuple(walk.hidden))


def redact_url(url: str) -> str:
    """`url` with its secret parts replaced by markers (see url_secrets for which parts)."""
    return _url(url)[0]


def url_secrets(url: str) -> list[str]:
    """The parts of `url` that are secret: a userinfo password (or a user name that is a key), the
    path after Slack's `/services/T…/B…/`, path segments that look like keys, values of query
    parameters named like credentials or that look like keys, and a fragment that looks like a key."""
    return _url(url)[1]


def _url(url: str) -> tuple[str, list[str]]:
    hidden: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        if _looks_like_key(url.strip()):
            return marker(url), [url]
        return url, []
    netloc = parts.netloc
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if password and not is_marker(password):
            hidden.append(password)
            password = marker(password)
        if _looks_like_key(user):
            hidden.append(user)
            user = marker(user)
        netloc = f"{user}{colon}{password}@{host}"
    path = "/".join(_path_segments(parts.path.split("/"), hidden))
    query = "&".join(_query_pairs(parts.query, hidden)) if parts.query else ""
    fragment = parts.fragment
    if fragment and _looks_like_key(fragment):
        hidden.append(fragment)
        fragment = marker(fragment)
    if not hidden:
        return url, []
    return urlunsplit((parts.scheme, netloc, path, query, fragment)), hidden


def _path_segments(segments: list[str], hidden: list[str]) -> list[str]:
    kept: list[str] = []
    slack_secret_from: int | None = None
    for index, segment in enumerate(segments):
        if (segment == "services" and index + 2 < len(segments) and _SLACK_TEAM.fullmatch(segments[index + 1])
                and _SLACK_HOOK.fullmatch(segments[index + 2])):
            slack_secret_from = index + 3  # the team and hook ids name the hook; what follows is its secret
        if (slack_secret_from is not None and index >= slack_secret_from and segment) or _looks_like_key(segment):
            hidden.append(segment)
            kept.append(marker(segment))
        else:
            kept.append(segment)
    return kept


def _query_pairs(query: str, hidden: list[str]) -> list[str]:
    pairs = []
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        if value and (_SECRET_PARAMETER.match(name) or _looks_like_key(value)):
            hidden.append(value)
            value = marker(value)
        pairs.append(f"{name}{equals}{value}")
    return pairs


def _looks_like_key(text: str) -> bool:
    """Random letters and digits: 16+ of them in one run, or 32+ with separators (a GUID, a base64 token)."""
    classes = sum(bool(re.search(pattern, text)) for pattern in ("[a-z]", "[A-Z]", "[0-9]"))
    if classes < 2 or any(character.isspace() for character in text):
        return False
    return len(text) >= 32 or (len(text) >= 16 and text.isascii() and text.isalnum())


def _secret_key(key: str, parent: str) -> bool:
    lowered = key.lower()
    if lowered.endswith("_file"):
        return False
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES) or (lowered == "key" and parent == "tls_config")


class _Walk:
    def __init__(self) -> None:
        self.hidden: list[str] = []
        self.files: list[str] = []

    def node(self, value: Any, parent: str) -> Any:
        if isinstance(value, dict):
            return {key: self.entry(str(key), item, parent) for key, item in value.items()}
        if isinstance(value, list):
            return [self.listed(item, parent) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def entry(self, key: str, value: Any, parent: str) -> Any:
        lowered = key.lower()
        if lowered.endswith("_file") and isinstance(value, str) and value:
            self.files.append(value)
            return value
        if _secret_key(key, parent):
            return self.secret(value)
        if lowered in _HEADER_KEYS and isinstance(value, dict):
            return {name: self.header(str(name), item) for name, item in value.items()}
        if lowered == "basic_auth_users" and isinstance(value, dict):
            return {user: self.secret(hashed) for user, hashed in value.items()}
        if lowered == "params" and isinstance(value, dict):
            return {name: self.secret(item) if _SECRET_PARAMETER.match(str(name)) else self.node(item, lowered)
                    for name, item in value.items()}
        if lowered.endswith("url") and isinstance(value, str):
            return self.url(value)
        return self.node(value, lowered)

    def listed(self, item: Any, parent: str) -> Any:
        # `environment: [POSTGRES_PASSWORD=...]` in a compose file
        if isinstance(item, str) and "=" in item and not item.startswith(("http:", "https:")):
            name, _, value = item.partition("=")
            if name and " " not in name and _secret_key(name, parent) and value:
                return f"{name}={self.secret(value)}"
        return self.node(item, parent)

    def header(self, name: str, value: Any) -> Any:
        if isinstance(value, dict):  # Prometheus 2.5x http_headers: {values, secrets, files}
            return {key: self.secret(item) if key == "secrets" or (key == "values" and _SECRET_HEADER.search(name))
                    else (self.file_list(item) if key == "files" else item) for key, item in value.items()}
        return self.secret(value) if _SECRET_HEADER.search(name) else value

    def file_list(self, items: Any) -> Any:
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, str) and item:
                self.files.append(item)
        return items

    def secret(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.secret(item) for item in value]
        if isinstance(value, dict):
            return {key: self.secret(item) for key, item in value.items()}
        if value is None or value == "":
            return value
        text = str(value)
        if is_marker(text):
            return text
        self.hidden.append(text)
        scheme = _AUTH_SCHEME.match(text.strip())
        if scheme:
            self.hidden.append(scheme[1])  # a log may show the token without its scheme word
        return marker(text)

    def url(self, value: str) -> str:
        redacted, hidden = _url(value)
        self.hidden.extend(hidden)
        return redacted

    def text(self, value: str) -> str:
        """Any other string: only a URL with a password in it (a DSN) is touched."""
        if "://" in value and "@" in value:
            return self.url(value)
        return value
