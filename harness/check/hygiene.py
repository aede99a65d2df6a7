"""The compose file around the monitoring: what makes it drift, leak or forget.

    hygiene.unpinned-image            warning  no tag, `:latest` or another moving tag: the next pull is a different program
    hygiene.port-on-all-interfaces    warning  `"9090:9090"` publishes on every interface of the host, not just localhost
    hygiene.default-credentials       error    Grafana's admin/admin, POSTGRES_PASSWORD=postgres and the like
    hygiene.admin-api-exposed         warning  Prometheus's admin, lifecycle or write endpoints on a published port

Values are read as Compose would interpolate them: `${VAR:-default}` from the `.env` beside the compose
file, else the default; a value that depends on the shell environment alone is not judged. A service
built here is judged by its Dockerfile's FROM, since its `image:` only names the build. Alertmanager
has no flags to switch its dangerous endpoints on: its API (silences, /-/reload) is always open, so
what its open port exposes is said in that port's finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.check.findings import Finding
from harness.check.compose import ComposeService
from harness.check.documents import YamlFile
from harness.check.sources import Monitoring

MOVING_TAGS = frozenset({"latest", "main", "master", "nightly", "edge", "dev"})
#: Images that are the fix for an open port: they are meant to face the network.
PROXIES = frozenset({"nginx", "caddy", "traefik", "haproxy", "envoy", "oauth2-proxy", "nginx-proxy", "openresty",
                     "nginx-unprivileged", "cloudflared", "tailscale"})
LOOPBACK = re.compile(r"^(?:127\.\d+\.\d+\.\d+|::1|localhost)$")
WEAK_PASSWORDS = frozenset({"admin", "password", "changeme", "change_me", "changeit", "secret", "postgres", "root",
                            "toor", "pass", "test", "default", "grafana", "prom-operator", "minioadmin", "admin123",
                            "password1", "password123", "123456", "12345678", "letmein", "qwerty", "guest"})
PASSWORD_KEY = re.compile(r"(?:PASSWORD|PASSWD|_PASS|_PWD)$")
GRAFANA_AUTH = re.compile(r"^GF_AUTH_(?:[A-Z_]+_ENABLED|DISABLE_LOGIN_FORM|PROXY_ENABLED)$")
#: Prometheus flags that open an endpoint anyone reaching the port can use, and what they can do with it.
DANGEROUS_FLAGS = {
    "--web.enable-admin-api": "delete every series (/api/v1/admin/tsdb/delete_series) and fill the disk with snapshots",
    "--web.enable-lifecycle": "shut Prometheus down (POST /-/quit) or make it reload a config",
    "--web.enable-remote-write-receiver": "write any series they like, fake ones that fire or resolve alerts too",
    "--web.enable-otlp-receiver": "write any series they like over OTLP",
}
ROLE_EXPOSURE = {
    "prometheus": "every metric and the query API",
    "alertmanager": "its API, where anyone can create a silence that mutes every alert",
    "grafana": "its login page",
}


def findings(monitoring: Monitoring) -> list[Finding]:
    """Findings on the compose file: images, ports, credentials, admin endpoints and retention."""
    compose = monitoring.compose
    if compose is None or not isinstance(compose.data, dict):
        return []
    env = dotenv(compose.path.parent / ".env")
    raw = compose.data.get("services") or {}
    found: list[Finding] = []
    for service in monitoring.services:
        spec = raw.get(service.name) or {}
        ports = published_ports(compose, service, spec, env)
        found += _unpinned(compose, service, spec, env)
        found += _open_ports(compose, service, ports)
        found += _default_credentials(compose, service, spec, env, ports)
        found += _admin_endpoints(compose, service, ports)
    return found


# --- Compose's own reading of values ------------------------------------------------------------------------------

def dotenv(path: Path) -> dict[str, str]:
    """`KEY=value` lines of a Compose `.env` file (quotes stripped, comments skipped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip().removeprefix("export ")
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(text: str, env: dict[str, str]) -> str | None:
    """`text` as Compose would see it with `env`; None when a variable has neither a value nor a default."""
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        if match[0] == "$$":
            return "$"
        name = match[1] or match[4]
        operator, default = match[2], match[3] or ""
        value = env.get(name)
        if operator in (":-", "-") and (value is None or (operator == ":-" and value == "")):
            return default
        if operator in (":+", "+"):
            return default if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    result = _INTERPOLATION.sub(substitute, text)
    return None if unknown else result


# --- Images ---------------------------------------------------------------------------------------------------------

def _unpinned(compose: YamlFile, service: ComposeService, spec: dict[str, Any], env: dict[str, str]) -> list[Finding]:
    if spec.get("build"):
        # `image:` then names the local build; what is pulled is the Dockerfile's FROM.
        return [_unpinned_finding(str(dockerfile), line, service, image, image)
                for dockerfile, line, image in _base_images(compose.path.parent, spec["build"])
                if _moving(image)]
    written = str(spec.get("image") or "")
    image = interpolate(written, env)
    if not image or not _moving(image):
        return []
    return [_unpinned_finding(str(compose.path), compose.line("services", service.name, "image"), service, image,
                              written)]


def _moving(image: str) -> bool:
    tag = split_image(image)[1]
    return "@sha256:" not in image and (not tag or tag in MOVING_TAGS)


def _unpinned_finding(file: str, line: int, service: ComposeService, image: str, written: str) -> Finding:
    name, tag = split_image(image)
    seen = "no tag (so `:latest`)" if not tag else f"the moving tag `:{tag}`"
    defaulted = f" ({written!r} with the `.env` and defaults)" if written != image else ""
    return Finding(
        "hygiene.unpinned-image", "warning", file, line, f"service {service.name}",
        f"image {image!r}{defaulted} has {seen}: the next pull or a new host runs a different release, so rule "
        "syntax, flags and alerting behaviour change without a commit",
        f"pin a release, e.g. `{name}:<version>` (or a digest, `{name}@sha256:...`), and upgrade on purpose")


def _base_images(folder: Path, build: Any) -> list[tuple[Path, int, str]]:
    """The images a build starts FROM, with their Dockerfile lines; build stages and `scratch` left out."""
    context = folder / str(build.get("context", ".") if isinstance(build, dict) else build)
    dockerfile = context / str(build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
    if not dockerfile.is_file():
        return []
    args: dict[str, str] = {}
    stages: set[str] = {"scratch"}
    found = []
    for number, line in enumerate(dockerfile.read_text(errors="replace").splitlines(), start=1):
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "ARG" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            args.setdefault(key, value.strip("'\""))
        elif len(words) >= 2 and words[0].upper() == "FROM":
            names = [word for word in words[1:] if not word.startswith("--")]
            image = interpolate(names[0], args) if names else None
            if image and image.lower() not in stages:
                found.append((dockerfile, number, image))
            if len(names) >= 3 and names[1].upper() == "AS":
                stages.add(names[2].lower())
    return found


def split_image(image: str) -> tuple[str, str]:
    """`registry:5000/prom/prometheus:v2.53.0` -> (`registry:5000/prom/prometheus`, `v2.53.0`)."""
    image = image.split("@")[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, ""


def image_name(image: str) -> str:
    """`grafana/grafana-oss:10.4.2` -> `grafana-oss`, also when the tag is still `${VAR:-default}`."""
    return re.split(r"[:@]", re.sub(r"\$\{[^}]*\}", "", image).rsplit("/", 1)[-1])[0].lower()


# --- Ports ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Port:
    """One `ports:` entry: as written, its line, and the host address it binds (empty: every interface)."""

    written: str
    line: int
    host_ip: str
    known: bool = True  # False when the address depends on a variable only the shell sets

    @property
    def all_interfaces(self) -> bool:
        return self.known and self.host_ip in ("", "0.0.0.0", "::", "[::]")

    @property
    def loopback(self) -> bool:
        return bool(LOOPBACK.match(self.host_ip.strip("[]")))


def published_ports(compose: YamlFile, service: ComposeService, spec: dict[str, Any],
                    env: dict[str, str]) -> list[Port]:
    ports: list[Port] = []
    for index, entry in enumerate(spec.get("ports") or []):
        line = compose.line("services", service.name, "ports", index)
        if isinstance(entry, dict):
            host_ip = interpolate(str(entry.get("host_ip") or ""), env)
            written = f"{entry.get('host_ip', '')}:{entry.get('published', '')}:{entry.get('target', '')}".lstrip(":")
            ports.append(Port(written, line, host_ip or "", host_ip is not None))
            continue
        text = interpolate(str(entry), env)
        if text is None:
            ports.append(Port(str(entry), line, "", known=False))
            continue
        ports.append(Port(str(entry), line, _host_ip(text)))
    return ports


def _host_ip(entry: str) -> str:
    """The host address of a short-syntax entry: `127.0.0.1:9090:9090`, `[::1]:9090:9090`, `9090:9090`, `9090`."""
    entry = entry.split("/")[0]
    if entry.startswith("["):
        return entry[1:entry.index("]")]
    parts = entry.rsplit(":", 2)
    return parts[0] if len(parts) == 3 else ""


def _open_ports(compose: YamlFile, service: ComposeService, ports: list[Port]) -> list[Finding]:
    if image_name(service.image) in PROXIES or _has_web_auth(service):
        return []
    exposure = ROLE_EXPOSURE.get(_role(service))
    return [Finding(
        "hygiene.port-on-all-interfaces", "warning", str(compose.path), port.line, f"service {service.name}",
        f"port {port.written!r} is published on every interface of the host, so anyone who can reach the machine "
        f"reaches {service.name}" + (f": {exposure}" if exposure else "") + "; Docker's published ports also bypass "
        "ufw/firewalld rules",
        f"bind it to the loopback interface (`127.0.0.1:{port.written.split(':')[-1]}`) and reach it through an "
        "SSH tunnel or a reverse proxy with authentication; or drop `ports:` if only other containers use it")
        for port in ports if port.all_interfaces]


def _has_web_auth(service: ComposeService) -> bool:
    """Prometheus and Alertmanager behind their own TLS / basic auth (`--web.config.file`)."""
    return service.flag("--web.config.file") is not None


ROLE_IMAGES = {"prometheus": "prometheus", "alertmanager": "alertmanager", "grafana": "grafana",
               "grafana-oss": "grafana", "grafana-enterprise": "grafana"}


def _role(service: ComposeService) -> str:
    return ROLE_IMAGES.get(image_name(service.image) or service.name.lower(), "")


# --- Credentials ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One environment variable of a service: its value as Compose resolves it, and where it is written."""

    key: str
    value: str | None
    written: str
    line: int


def environment(compose: YamlFile, service: ComposeService, spec: dict[str, Any],
                env: dict[str, str]) -> tuple[dict[str, Setting], bool]:
    """The service's environment (its `env_file`s, then `environment:` over them), and whether every file was read."""
    settings: dict[str, Setting] = {}
    complete = True
    env_files = spec.get("env_file") or []
    for entry in [env_files] if isinstance(env_files, (str, dict)) else env_files:
        written = entry.get("path") if isinstance(entry, dict) else entry
        path = interpolate(str(written), {"PWD": str(compose.path.parent), **env})
        if path is None or not (compose.path.parent / path).is_file():
            complete = False
            continue
        for key, value in dotenv(compose.path.parent / path).items():
            settings[key] = Setting(key, value, value, compose.line("services", service.name, "env_file"))
    raw = spec.get("environment") or {}
    items = raw.items() if isinstance(raw, dict) else (str(item).partition("=")[::2] for item in raw)
    for index, (key, value) in enumerate(items):
        key = str(key)
        location = ("services", service.name, "environment", key if isinstance(raw, dict) else index)
        written = "" if value is None else str(value)
        settings[key] = Setting(key, interpolate(written, env), written, compose.line(*location))
    return settings, complete


def _default_credentials(compose: YamlFile, service: ComposeService, spec: dict[str, Any], env: dict[str, str],
                         ports: list[Port]) -> list[Finding]:
    settings, complete = environment(compose, service, spec, env)
    found: list[Finding] = []
    for setting in settings.values():
        if setting.key == "POSTGRES_HOST_AUTH_METHOD" and (setting.value or "").lower() == "trust":
            found.append(_credential(
                compose, service, setting, "lets anyone who reaches Postgres log in as any user without a password",
                "remove it and set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE)"))
        elif PASSWORD_KEY.search(setting.key) and (setting.value or "").lower() in WEAK_PASSWORDS:
            how = "" if setting.written == setting.value else f" ({setting.written!r} with the `.env` and defaults)"
            found.append(_credential(
                compose, service, setting, f"is {setting.value!r}{how}, the first password anyone tries",
                f"use a generated password: `{setting.key}{'__FILE' if setting.key.startswith('GF_') else '_FILE'}` "
                "pointing at a compose secret (where the image reads it), or a value from an untracked `.env`"))
    # An env_file that cannot be read may well set the password: only judge what can be seen whole.
    if _role(service) == "grafana" and "GF_SECURITY_ADMIN_PASSWORD" not in settings and ports and complete:
        if not _grafana_has_other_auth(compose, service, settings):
            # Reachable from this host only, admin/admin is a local risk, not an open door.
            severity = "warning" if all(port.loopback for port in ports) else "error"
            found.append(Finding(
                "hygiene.default-credentials", severity, str(compose.path),
                compose.line("services", service.name, "environment"), f"service {service.name}",
                f"Grafana publishes {', '.join(repr(port.written) for port in ports)} and GF_SECURITY_ADMIN_PASSWORD is "
                "not set, so its admin account is admin/admin until someone changes it",
                "set GF_SECURITY_ADMIN_PASSWORD__FILE to a compose secret (or GF_SECURITY_ADMIN_PASSWORD from an "
                "untracked `.env`)"))
    return found


def _credential(compose: YamlFile, service: ComposeService, setting: Setting, what: str, fix: str) -> Finding:
    return Finding("hygiene.default-credentials", "error", str(compose.path), setting.line, f"service {service.name}",
                   f"{setting.key} {what}", fix)


def _grafana_has_other_auth(compose: YamlFile, service: ComposeService, settings: dict[str, Setting]) -> bool:
    """A password from a file, SSO or an auth proxy, or a mounted grafana.ini that sets admin_password."""
    if "GF_SECURITY_ADMIN_PASSWORD__FILE" in settings:
        return True
    if any(GRAFANA_AUTH.match(key) and (setting.value or "").lower() == "true" for key, setting in settings.items()):
        return True
    ini = service.host_path("/etc/grafana/grafana.ini")
    if ini is not None and ini.is_file():
        return bool(re.search(r"(?m)^\s*admin_password\s*=\s*\S", ini.read_text(errors="replace")))
    return False


# --- Admin endpoints ------------------------------------------------------------------------------------------------

def _admin_endpoints(compose: YamlFile, service: ComposeService, ports: list[Port]) -> list[Finding]:
    if _role(service) != "prometheus" or not ports or _has_web_auth(service):
        return []
    everywhere = [port for port in ports if port.all_interfaces]
    reach = (f"published on every interface ({', '.join(repr(port.written) for port in everywhere)})" if everywhere
             else f"published on {', '.join(repr(port.written) for port in ports)} only")
    who = "anyone who can reach the host" if everywhere else "any process or user on the host"
    found: list[Finding] = []
    for flag, power in DANGEROUS_FLAGS.items():
        index = next((i for i, part in enumerate(service.command) if part.split("=")[0] == flag), None)
        if index is None:
            continue
        found.append(Finding(
            "hygiene.admin-api-exposed", "warning" if everywhere else "info", str(compose.path),
            command_line(compose, service, index), f"service {service.name}",
            f"Prometheus runs with {flag} and its port is {reach}, so {who} can {power}, with no password",
            f"drop {flag} unless something needs it; otherwise keep the port on 127.0.0.1 and put authentication in "
            "front (`--web.config.file` with basic auth, or a reverse proxy)"))
    return found


def command_line(compose: YamlFile, service: ComposeService, index: int) -> int:
    spec = (compose.data.get("services") or {}).get(service.name) or {}
    if isinstance(spec.get("command"), list):
        return compose.line("services", service.name, "command", index)
    return compose.line("services", service.name, "command")


# --- Retention ------------------------------------------------------------------------------------------------------
