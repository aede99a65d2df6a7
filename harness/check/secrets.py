"""Secrets in alertmanager.yml and prometheus.yml that are not what will be sent.

    secrets.unexpanded-variable  error    `${SLACK_WEBHOOK_URL}`: neither program expands variables in its config
    secrets.placeholder-value    error    `YOUR_KEY`, `<secret>`, `changeme`, example.com, `T000/B000/XXXX`, ...
    secrets.empty-value          error    a URL, key or password written but left empty
    secrets.plain-text-secret    warning  a real-looking secret where the `*_file` form exists

Alertmanager's `*_file` forms arrived over several releases (pagerduty `routing_key_file` in 0.25,
webhook `url_file` in 0.26, discord `webhook_url_file` in 0.27, ...). The version is read from the
compose file's image tag; without one, 0.25 is assumed, so a fix never names a field the team's
Alertmanager would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.check.findings import Finding
from harness.check.documents import YamlFile
from harness.check.sources import Monitoring
from harness.yamlfile import Location

Version = tuple[int, int]
ASSUMED_ALERTMANAGER: Version = (0, 25)
ALWAYS: Version = (0, 0)


@dataclass(frozen=True)
class Spec:
    """What a config field holds: `kind` decides which checks apply; `file_key` is its `*_file` form."""

    kind: str  # password, key, secret-url, url, optional-url, address, name, target
    file_key: str | None = None
    since: Version = ALWAYS


#: Alertmanager fields by (section, key); a section is `global` or the notifier (`slack` for slack_configs).
ALERTMANAGER_FIELDS: dict[tuple[str, str], Spec] = {
    ("global", "smtp_smarthost"): Spec("address"),
    ("global", "smtp_from"): Spec("name"),  # a sender on a made-up domain still sends
    ("global", "smtp_auth_username"): Spec("name"),
    ("global", "smtp_auth_password"): Spec("password", "smtp_auth_password_file", (0, 25)),
    ("global", "smtp_auth_secret"): Spec("key", "smtp_auth_secret_file", (0, 31)),
    ("global", "slack_api_url"): Spec("secret-url", "slack_api_url_file", (0, 22)),
    ("global", "opsgenie_api_key"): Spec("key", "opsgenie_api_key_file", (0, 24)),
    ("global", "victorops_api_key"): Spec("key", "victorops_api_key_file", (0, 25)),
    ("global", "wechat_api_secret"): Spec("key", "wechat_api_secret_file", (0, 31)),
    ("email", "to"): Spec("address"),
    ("email", "from"): Spec("name"),
    ("email", "smarthost"): Spec("address"),
    ("email", "auth_username"): Spec("name"),
    ("email", "auth_password"): Spec("password", "auth_password_file", (0, 25)),
    ("email", "auth_secret"): Spec("key", "auth_secret_file", (0, 31)),
    ("slack", "api_url"): Spec("secret-url", "api_url_file", (0, 22)),
    ("pagerduty", "routing_key"): Spec("key", "routing_key_file", (0, 25)),
    ("pagerduty", "service_key"): Spec("key", "service_key_file", (0, 25)),
    ("pagerduty", "url"): Spec("optional-url"),
    ("opsgenie", "api_key"): Spec("key", "api_key_file", (0, 24)),
    ("victorops", "api_key"): Spec("key", "api_key_file", (0, 25)),
    ("webhook", "url"): Spec("url", "url_file", (0, 26)),
    ("telegram", "bot_token"): Spec("key", "bot_token_file", (0, 26)),
    ("pushover", "user_key"): Spec("key", "user_key_file", (0, 26)),
    ("pushover", "token"): Spec("key", "token_file", (0, 26)),
    ("discord", "webhook_url"): Spec("secret-url", "webhook_url_file", (0, 27)),
    ("msteams", "webhook_url"): Spec("secret-url", "webhook_url_file", (0, 27)),
    ("wechat", "api_secret"): Spec("key", "api_secret_file", (0, 31)),
}
#: The `http_config` both programs share (prometheus/common), with its `*_file` forms from the start.
HTTP_FIELDS: dict[tuple[str, str], Spec] = {
    ("basic_auth", "username"): Spec("name"),
    ("basic_auth", "password"): Spec("password", "password_file"),
    ("authorization", "credentials"): Spec("key", "credentials_file"),
    ("http", "bearer_token"): Spec("key", "bearer_token_file"),
    ("oauth2", "client_id"): Spec("name"),
    ("oauth2", "client_secret"): Spec("key", "client_secret_file"),
    ("oauth2", "token_url"): Spec("url"),
    ("http", "proxy_url"): Spec("optional-url"),
}
#: A receiver's field left out or empty takes the global one.
INHERITED = {
    ("slack", "api_url"): ("slack_api_url", "slack_api_url_file"),
    ("opsgenie", "api_key"): ("opsgenie_api_key", "opsgenie_api_key_file"),
    ("victorops", "api_key"): ("victorops_api_key", "victorops_api_key_file"),
    ("wechat", "api_secret"): ("wechat_api_secret", "wechat_api_secret_file"),
    ("email", "auth_password"): ("smtp_auth_password", "smtp_auth_password_file"),
    ("email", "auth_secret"): ("smtp_auth_secret", "smtp_auth_secret_file"),
    ("email", "auth_username"): ("smtp_auth_username",),
    ("email", "smarthost"): ("smtp_smarthost",),
    ("email", "from"): ("smtp_from",),
}
#: The username that makes an empty password matter.
USERNAME_OF = {"smtp_auth_password": "smtp_auth_username", "auth_password": "auth_username", "password": "username"}

#: `${VAR}`, `${VAR:-default}`; never `${1}` (a regex group in relabelling).
BRACED_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+=-][^}]*)?\}")
#: `$VAR` in capitals at the start or after a separator, so `pa$$w0rd` or `abc$XYZ` in a real password is left alone.
BARE_VARIABLE = re.compile(r"(?<![A-Za-z0-9_$])\$[A-Z_][A-Z0-9_]+\b")
TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
PLACEHOLDER_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^<secret>$"),
     "what Alertmanager shows in place of a secret (copied from its status page, not the config)"),
    (re.compile(r"<[^<>]*>"), "an `<...>` placeholder"),
    (re.compile(r"(?i)(?:^|[^a-z])your(?:[-_ .]|[A-Z]|(?=[a-z]{3}))"), "a `your...` placeholder"),
    (re.compile(r"(?i)change[-_ ]?(?:me|it|this)"), "a `changeme` placeholder"),
    (re.compile(r"(?i)replace[-_ ]?(?:me|with|this)"), "a `replace me` placeholder"),
    (re.compile(r"(?i)insert[-_ ]?(?:here|your)"), "an `insert here` placeholder"),
    (re.compile(r"(?:^|[^A-Za-z])(?:TODO|FIXME|TBD)(?:[^A-Za-z]|$)"), "a TODO left in"),
    (re.compile(r"\.\.\.|…"), "cut short with `...`"),
    (re.compile(r"^__[A-Za-z0-9_]+__$"), "a `__NAME__` token that a substitution script was meant to replace"),
    (re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"), "the name of a variable, not its value"),
    (re.compile(r"\*{3,}"), "masked with `***`"),
)
#: Words that are fine in a host name (`dummy-receiver:8080` is a compose service) but not in a secret.
SECRET_PATTERNS = ((re.compile(r"(?i)placeholder|dummy|redacted"), "marked as a placeholder"),)
SECRET_WORDS = frozenset({"secret", "password", "passwd", "pass", "token", "key", "apikey", "api_key", "api-key",
                          "test", "foo", "bar", "none", "null", "string", "example", "sample"})
RESERVED_HOSTS = re.compile(r"(?i)(?:^|\.)(?:example\.(?:com|org|net)|[a-z0-9-]+\.(?:example|invalid))$")
PAGERDUTY_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
SLACK_SEGMENTS = (re.compile(r"^[TE][A-Z0-9]{6,}$"), re.compile(r"^B[A-Z0-9]{6,}$"), re.compile(r"^[A-Za-z0-9]{16,}$"))
#: Hosts whose webhook URLs carry the credential in their path.
CREDENTIAL_HOSTS = re.compile(r"(?i)(?:^|\.)(?:hooks\.slack\.com|discord(?:app)?\.com|webhook\.office\.com|"
                              r"[a-z0-9-]+\.logic\.azure\.com|outlook\.office\.com)$")
#: Test SMTP servers that accept mail for any address, so `to: ops@example.com` is fine there.
MAIL_CATCHERS = re.compile(r"(?i)mail(?:dev|hog|pit|catcher|crab|trap)|smtp4dev|greenmail|fake-?smtp|smtp-?sink")
RENDERERS = re.compile(r"\b(?:envsubst|gomplate|dockerize|confd|j2|sed)\b")


@dataclass(frozen=True)
class Field:
    """One string in a config that is a secret, a URL or an address, and where it is."""

    file: YamlFile
    location: Location
    section: str
    key: str
    spec: Spec
    value: Any
    holder: dict[str, Any]
    subject: str
    where: str
    program: str  # Alertmanager | Prometheus
    inherited: bool = False  # a global value stands in when this one is empty
    username: Any = None  # for a password: the username it goes with


def findings(monitoring: Monitoring) -> list[Finding]:
    """Unexpanded variables, placeholders, empty and plain-text secrets in both configs."""
    found: list[Finding] = []
    if monitoring.alertmanager is not None:
        version = alertmanager_version(monitoring)
        rendered = _rendered_at_start(monitoring, "alertmanager")
        for field in alertmanager_fields(monitoring.alertmanager):
            found += _check(field, version, rendered)
    if monitoring.prometheus is not None:
        rendered = _rendered_at_start(monitoring, "prometheus")
        for field in prometheus_fields(monitoring.prometheus):
            found += _check(field, None, rendered)
    return found


def alertmanager_version(monitoring: Monitoring) -> Version | None:
    """The Alertmanager release the compose file runs, from its image tag; None when not pinned to one."""
    service = monitoring.service_for("alertmanager")
    tag = service.image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2] if service else ""
    match = re.match(r"v?(\d+)\.(\d+)", tag)
    return (int(match[1]), int(match[2])) if match else None


def alertmanager_fields(config: YamlFile) -> Iterator[Field]:
    data = config.data
    global_section = data.get("global") if isinstance(data.get("global"), dict) else {}
    for key, value in global_section.items():
        spec = ALERTMANAGER_FIELDS.get(("global", str(key)))
        if spec is not None:
            yield Field(config, ("global", key), "global", str(key), spec, value, global_section, "global",
                        f"global.{key}", "Alertmanager", username=global_section.get(USERNAME_OF.get(str(key), "")))
    if isinstance(global_section.get("http_config"), dict):
        yield from _http_fields(config, ("global", "http_config"), global_section["http_config"], "global",
                                "global.http_config", "Alertmanager")
    for index, receiver in enumerate(data.get("receivers") or []):
        if not isinstance(receiver, dict):
            continue
        subject = f"receiver {receiver.get('name', index)}"
        for configs_key, notifiers in receiver.items():
            if not str(configs_key).endswith("_configs") or not isinstance(notifiers, list):
                continue
            section = str(configs_key).removesuffix("_configs")
            for position, notifier in enumerate(notifiers):
                if not isinstance(notifier, dict):
                    continue
                location = ("receivers", index, configs_key, position)
                where = f"{configs_key}[{position}]"
                catcher = section == "email" and MAIL_CATCHERS.search(
                    str(notifier.get("smarthost") or global_section.get("smtp_smarthost") or ""))
                for key, value in notifier.items():
                    spec = ALERTMANAGER_FIELDS.get((section, str(key))) or Spec("text")
                    if catcher and key == "to":
                        spec = Spec("name")
                    inherited = any(global_section.get(name) for name in INHERITED.get((section, str(key)), ()))
                    username = notifier.get(USERNAME_OF.get(str(key), "")) or (
                        global_section.get("smtp_auth_username") if section == "email" else None)
                    yield Field(config, (*location, key), section, str(key), spec, value, notifier, subject,
                                f"{where}.{key}", "Alertmanager", inherited, username)
                if isinstance(notifier.get("http_config"), dict):
                    yield from _http_fields(config, (*location, "http_config"), notifier["http_config"], subject,
                                            f"{where}.http_config", "Alertmanager")


def prometheus_fields(config: YamlFile) -> Iterator[Field]:
    data = config.data
    for section in ("remote_write", "remote_read"):
        for index, entry in enumerate(data.get(section) or []):
            if isinstance(entry, dict):
                subject = f"{section} {entry.get('name') or index}"
                if "url" in entry:
                    yield Field(config, (section, index, "url"), section, "url", Spec("url"), entry["url"], entry,
                                subject, f"{section}[{index}].url", "Prometheus")
                yield from _http_fields(config, (section, index), entry, subject, f"{section}[{index}]", "Prometheus")
    for index, job in enumerate(data.get("scrape_configs") or []):
        if isinstance(job, dict):
            subject = f"scrape job {job.get('job_name', index)}"
            yield from _http_fields(config, ("scrape_configs", index), job, subject, f"scrape_configs[{index}]",
                                    "Prometheus")
            yield from _targets(config, ("scrape_configs", index), job, subject)
    alerting = data.get("alerting") if isinstance(data.get("alerting"), dict) else {}
    for index, entry in enumerate(alerting.get("alertmanagers") or []):
        if isinstance(entry, dict):
            location = ("alerting", "alertmanagers", index)
            subject = f"alerting.alertmanagers[{index}]"
            yield from _http_fields(config, location, entry, subject, subject, "Prometheus")
            yield from _targets(config, location, entry, subject)


def _http_fields(config: YamlFile, location: Location, holder: dict[str, Any], subject: str, where: str,
                 program: str) -> Iterator[Field]:
    """The credentials of an http client config: top-level `bearer_token`, `proxy_url`, and the auth blocks."""
    for key in ("bearer_token", "proxy_url"):
        if key in holder:
            yield Field(config, (*location, key), "http", key, HTTP_FIELDS[("http", key)], holder[key], holder,
                        subject, f"{where}.{key}", program)
    for block in ("basic_auth", "authorization", "oauth2"):
        inner = holder.get(block)
        if not isinstance(inner, dict):
            continue
        for key, value in inner.items():
            spec = HTTP_FIELDS.get((block, str(key)))
            if spec is not None:
                yield Field(config, (*location, block, key), block, str(key), spec, value, inner, subject,
                            f"{where}.{block}.{key}", program, username=inner.get("username"))


def _targets(config: YamlFile, location: Location, holder: dict[str, Any], subject: str) -> Iterator[Field]:
    for group_index, group in enumerate(holder.get("static_configs") or []):
        targets = group.get("targets") if isinstance(group, dict) else None
        for index, target in enumerate(targets if isinstance(targets, list) else []):
            yield Field(config, (*location, "static_configs", group_index, "targets", index), "static_configs",
                        "targets", Spec("target"), target, group, subject,
                        f"static_configs[{group_index}].targets[{index}]", "Prometheus")


def _rendered_at_start(monitoring: Monitoring, role: str) -> bool:
    """Whether the compose service renders its config when it starts: envsubst & co. inline or in a mounted script."""
    service = monitoring.service_for(role)
    if service is None or monitoring.compose is None:
        return False
    spec = (monitoring.compose.data.get("services") or {}).get(service.name) or {}
    started_with = " ".join(str(spec.get(key) or "") for key in ("entrypoint", "command"))
    if RENDERERS.search(started_with):
        return True
    scripts = [service.host_path(word) for word in re.findall(r"[\w./-]+", started_with) if word.startswith("/")]
    scripts += _built_from(monitoring.compose.path.parent, spec.get("build"))
    return any(_renders(script) for script in scripts if script is not None)


def _built_from(folder: Path, build: Any) -> list[Path]:
    """A service's Dockerfile and the files it copies in from the build context."""
    if not build:
        return []
    context = folder / str(build.get("context", ".") if isinstance(build, dict) else build)
    dockerfile = context / str(build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
    if not dockerfile.is_file():
        return []
    copied = re.findall(r"(?im)^\s*(?:COPY|ADD)\s+(?:--\S+\s+)*(\S+)", dockerfile.read_text(errors="replace"))
    return [dockerfile, *(context / source for source in copied)]


def _renders(script: Path) -> bool:
    if not script.is_file() or script.stat().st_size > 100_000:
        return False
    return bool(RENDERERS.search(script.read_text(errors="replace")))


def _check(field: Field, version: Version | None, rendered: bool) -> list[Finding]:
    """At most one finding per field, the most fundamental first."""
    if isinstance(field.value, (dict, list)):
        return []
    value = "" if field.value is None else str(field.value)
    file_key = _file_form(field, version)

    def finding(code: str, message: str, fix: str) -> list[Finding]:
        severity = "warning" if code == "secrets.plain-text-secret" else "error"
        return [Finding(code, severity, str(field.file.path), field.file.line(*field.location), field.subject,
                        message, fix)]

    if not value.strip():
        empty = _empty(field, file_key)
        return finding("secrets.empty-value", *empty) if empty else []
    variable = _variable(value, field.spec.kind)
    if variable and rendered:
        return []  # filled in when the container starts; the rendered file is not here to judge
    if variable:
        return finding("secrets.unexpanded-variable",
                       f"{field.where} is {value!r}: {field.program} does not expand environment variables in its "
                       f"config file, so {_literal_effect(field, value, variable)}", _variable_fix(field, version))
    if field.spec.kind in ("text", "name", "target") or TEMPLATE.search(value):
        return []
    reason = placeholder(field.section, field.spec.kind, value, field.holder)
    if reason:
        return finding("secrets.placeholder-value",
                       f"{field.where} is {value!r}: {reason}, so {_placeholder_effect(field)}",
                       f"replace it with the real value, kept in a file named by `{file_key}`" if file_key
                       else "replace it with the real value")
    if file_key and _plain_text(field, value):
        return finding("secrets.plain-text-secret",
                       f"{field.where} holds the secret itself, so it is in every copy of the config (the repository, "
                       "backups, CI logs) and rotating it means editing the config",
                       f"move it to a file only {field.program} can read (a compose secret or a read-only mount) and "
                       f"use `{file_key}` instead")
    return []


def _empty(field: Field, file_key: str | None) -> tuple[str, str] | None:
    """Why a field written empty is a problem (message, fix), or None when empty is harmless there."""
    kind, holder = field.spec.kind, field.holder
    if kind in ("text", "name", "target", "address") or field.inherited:
        return None
    if field.spec.file_key and holder.get(field.spec.file_key):
        return None
    if kind == "optional-url":
        # Left blank (null) it takes the default; an empty string is a URL Alertmanager refuses.
        if field.value is None:
            return None
        return (f"{field.where} is an empty string: {field.program} refuses the config (no http(s) URL)",
                "delete the line to use the default URL, or give the URL")
    if kind == "password":
        if not field.username:
            return None  # no login is attempted without a username
        return (f"{field.where} is empty while the username is {field.username!r}: every login is refused",
                f"give the password, better in a file named by `{file_key}`" if file_key else "give the password")
    if field.section == "pagerduty":
        other = "service_key" if field.key == "routing_key" else "routing_key"
        if holder.get(other) or holder.get(f"{other}_file"):
            return None
    return (f"{field.where} is empty: {_empty_effect(field)}",
            f"give the value, better in a file named by `{file_key}`" if file_key else "give the value")


def _empty_effect(field: Field) -> str:
    if field.program == "Prometheus":
        return "Prometheus refuses the config" if field.key == "url" else "every request is refused"
    if field.spec.kind in ("url", "secret-url") or field.section == "pagerduty":
        return "Alertmanager refuses the config (amtool check-config fails)"
    return "the notification service refuses every notification"


def _variable(value: str, kind: str) -> str | None:
    outside = TEMPLATE.sub("", value)
    match = BRACED_VARIABLE.search(outside) or (BARE_VARIABLE.search(outside) if kind != "text" else None)
    return match[0] if match else None


def _literal_effect(field: Field, value: str, variable: str) -> str:
    if field.spec.kind in ("url", "secret-url", "optional-url") and value.strip().startswith("$"):
        return f"it refuses to load: {variable!r} is not an http(s) URL"
    if field.spec.kind == "target":
        return f"it tries to scrape the address {value!r} and the target is down"
    return f"it sends the text {variable!r} as written"


def _placeholder_effect(field: Field) -> str:
    if field.program == "Prometheus":
        return "Prometheus's requests with it are refused or go nowhere"
    if field.section == "global":
        return "every receiver that takes it from `global` fails to notify"
    return "no notification through it gets through"


def placeholder(section: str, kind: str, value: str, holder: dict[str, Any] | None = None) -> str | None:
    """Why `value` is a placeholder rather than a real secret, URL or address; None when it looks real."""
    text = value.strip()
    secret = kind in ("password", "key")
    for pattern, reason in PLACEHOLDER_PATTERNS + (SECRET_PATTERNS if secret else ()):
        if pattern.search(text):
            return reason
    if kind in ("url", "secret-url", "optional-url"):
        return _placeholder_url(text)
    if kind == "address":
        host = text.rsplit("@", 1)[-1].rsplit(":", 1)[0] if "@" in text or ":" in text else text
        return "a reserved example domain, where nothing is ever delivered" if RESERVED_HOSTS.search(host) else None
    if text.lower() in SECRET_WORDS or re.search(r"(?i)(?:^|[^a-z])example", text):
        return "a word standing in for the secret"
    if _degenerate(text):
        return "one character repeated"
    pagerduty_url = str((holder or {}).get("url") or "https://events.pagerduty.com")
    # Other services take PagerDuty-shaped events at their own `url`, with keys of their own shape.
    if section == "pagerduty" and "pagerduty.com" in pagerduty_url and not PAGERDUTY_KEY.match(text):
        return f"not a PagerDuty integration key (32 letters and digits; this is {len(text)} characters)"
    return None


def _placeholder_url(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if RESERVED_HOSTS.search(host):
        return "a reserved example domain, where nothing is ever delivered"
    if re.search(r"(?i)(?:^|[^a-z])example", parts.path) and CREDENTIAL_HOSTS.search(host):
        return "an example path"
    if host.lower() == "hooks.slack.com" and parts.path.startswith("/services"):
        segments = [segment for segment in parts.path.split("/")[2:] if segment]
        if len(segments) != 3 or not all(shape.match(segment) for shape, segment in zip(SLACK_SEGMENTS, segments)) \
                or any(_degenerate(segment[1:] if index < 2 else segment) for index, segment in enumerate(segments)):
            return "not a Slack webhook URL (/services/T…/B…/ and a 24-character token)"
    if any(_degenerate(token) for token in re.split(r"[^A-Za-z0-9]+", parts.path) if len(token) >= 3):
        return "one character repeated where the token goes"
    return None


def _degenerate(text: str) -> bool:
    """`xxx`, `0000`, `XXXXXXXX`: too few distinct characters to be anything but filler."""
    return len(text) >= 3 and len(set(text.lower())) <= 1 or (len(text) >= 12 and len(set(text.lower())) <= 2)


def _plain_text(field: Field, value: str) -> bool:
    if field.spec.kind in ("password", "key"):
        return True
    if field.spec.kind == "secret-url":
        try:
            parts = urlsplit(value)
        except ValueError:
            return False
        return bool(parts.password) or (bool(CREDENTIAL_HOSTS.search(parts.hostname or "")) and len(parts.path) > 1)
    return False


def _file_form(field: Field, version: Version | None) -> str | None:
    """The `*_file` field the team's Alertmanager (or any Prometheus) reads for this one."""
    spec = field.spec
    if spec.file_key is None:
        return None
    if field.program == "Alertmanager" and spec.since > (version or ASSUMED_ALERTMANAGER):
        return None
    return spec.file_key


def _variable_fix(field: Field, version: Version | None) -> str:
    render = ("render the file at deploy time (`envsubst < alertmanager.yml.tmpl > alertmanager.yml`)"
              if field.program == "Alertmanager" else "render the file at deploy time (envsubst)")
    file_key = _file_form(field, version)
    if file_key is not None:
        return f"write the value to a file (a compose secret or read-only mount) and use `{file_key}`; or {render}"
    if field.spec.file_key is not None:
        running = ".".join(map(str, version or ASSUMED_ALERTMANAGER))
        newer = ".".join(map(str, field.spec.since))
        return (f"{render}; or upgrade Alertmanager to {newer} or later (running {running}"
                f"{'' if version else ', assumed'}) and use `{field.spec.file_key}`")
    return render[0].upper() + render[1:]
