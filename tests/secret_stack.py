"""A copy of the default stack with realistic secrets wherever a team's configs keep them, and what to look for
in a run folder: any file holding one of them, any file or folder others could read.

Every value is random and assembled at run time, so no file of the repository holds a secret-shaped
string (GitHub's push protection refuses Slack webhooks and some tokens).
"""

from __future__ import annotations

import secrets
import stat
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LETTERS_AND_DIGITS = string.ascii_letters + string.digits


def token(length: int, alphabet: str = LETTERS_AND_DIGITS) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_slack_url() -> str:
    upper = string.ascii_uppercase + string.digits
    return f"https://hooks.slack.com/services/T{token(8, upper)}/B{token(10, upper)}/{token(24)}"


@dataclass(frozen=True)
class StackSecrets:
    """One realistic value per kind of secret a team's stack holds."""

    slack_url: str = field(default_factory=new_slack_url)
    slack_warnings_url: str = field(default_factory=new_slack_url)
    routing_key: str = field(default_factory=lambda: token(32, "0123456789abcdef"))  # read from a file
    service_key: str = field(default_factory=lambda: token(32, "0123456789abcdef"))
    smtp_password: str = field(default_factory=lambda: token(20))
    email_password: str = field(default_factory=lambda: token(16))
    webhook_password: str = field(default_factory=lambda: token(14))
    webhook_path_token: str = field(default_factory=lambda: token(40))
    webhook_query_token: str = field(default_factory=lambda: token(32))
    webhook_credentials: str = field(default_factory=lambda: token(40))
    scrape_password: str = field(default_factory=lambda: token(18))
    scrape_credentials: str = field(default_factory=lambda: token(36))
    remote_write_password: str = field(default_factory=lambda: token(22))
    remote_write_api_key: str = field(default_factory=lambda: token(30))

    @property
    def slack_token(self) -> str:
        return self.slack_url.rsplit("/", 1)[1]

    def values(self) -> dict[str, str]:
        found = {name: value for name, value in vars(self).items() if name not in ("slack_url", "slack_warnings_url")}
        return {**found, "slack_token": self.slack_token, "slack_warnings_token": self.slack_warnings_url.rsplit("/", 1)[1]}


def write_secrets(stack_dir: Path) -> StackSecrets:
    """Put new secrets into a copy of the default stack where a team's configs keep such values; return them."""
    found = StackSecrets()
    am_path = stack_dir / "alertmanager" / "alertmanager.yml"
    am = yaml.safe_load(am_path.read_text())
    am["global"].update(slack_api_url=found.slack_url, smtp_auth_password=found.smtp_password)
    receivers = {receiver["name"]: receiver for receiver in am["receivers"]}
    receivers["default-webhook"]["webhook_configs"][0].update(
        url=(f"https://alerts:{found.webhook_password}@incident-bot.acme-corp.net/hooks/{found.webhook_path_token}"
             f"?token={found.webhook_query_token}"),
        http_config={"authorization": {"credentials": found.webhook_credentials}})
    critical = receivers["pagerduty-critical"]["pagerduty_configs"][0]
    del critical["routing_key"]
    critical["routing_key_file"] = "/etc/alertmanager/secrets/pagerduty-critical.key"
    (stack_dir / "alertmanager" / "secrets").mkdir()
    (stack_dir / "alertmanager" / "secrets" / "pagerduty-critical.key").write_text(found.routing_key + "\n")
    receivers["pagerduty-database"]["pagerduty_configs"][0]["service_key"] = found.service_key
    receivers["slack-warnings"]["slack_configs"][0]["api_url"] = found.slack_warnings_url
    receivers["email-oncall"]["email_configs"][0].update(auth_username="oncall", auth_password=found.email_password)
    am_path.write_text(yaml.safe_dump(am, sort_keys=False))

    prometheus_path = stack_dir / "prometheus" / "prometheus.yml"
    prometheus = yaml.safe_load(prometheus_path.read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    jobs["node"]["basic_auth"] = {"username": "scraper", "password": found.scrape_password}
    jobs["app"]["authorization"] = {"credentials": found.scrape_credentials}
    prometheus["remote_write"] = [{
        "url": f"https://metrics-push.acme-corp.net/api/v1/push?api_key={found.remote_write_api_key}",
        "basic_auth": {"username": "tenant-7", "password": found.remote_write_password},
    }]
    prometheus_path.write_text(yaml.safe_dump(prometheus, sort_keys=False))
    return found


def leaks(folder: Path, found: StackSecrets) -> list[str]:
    """Every (file, secret name) where a secret's value is in a file under `folder`."""
    return [f"{path.relative_to(folder)}: {name}" for path in sorted(folder.rglob("*")) if path.is_file()
            for name, value in found.values().items() if value.encode() in path.read_bytes()]


def loose_modes(folder: Path) -> list[str]:
    """Every file not 0600 and folder not 0700 under `folder`, itself included."""
    wanted = {True: 0o700, False: 0o600}
    return [f"{path}: {oct(stat.S_IMODE(path.stat().st_mode))}" for path in [folder, *folder.rglob("*")]
            if stat.S_IMODE(path.stat().st_mode) != wanted[path.is_dir()]]
