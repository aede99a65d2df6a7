"""`harness check` on the compose file: images that drift, ports open to the world, default passwords,
admin endpoints, and retention that is not what the README promises.

Each folder under tests/fixtures/check/hygiene/ is the same shop stack with one problem planted.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from check_cases import only_finding, variant_of

from harness.check import hygiene, retention
from harness.check.findings import Finding
from harness.check.sources import discover

FIXTURES = Path(__file__).parents[1] / "fixtures" / "check" / "hygiene"


def check(folder: Path) -> list[Finding]:
    monitoring = discover([folder])
    return hygiene.findings(monitoring) + retention.findings(monitoring)


def only(case: str) -> Finding:
    return only_finding(check, FIXTURES / case)


def variant(tmp_path: Path, case: str, old: str, new: str, file: str = "docker-compose.yml") -> Path:
    return variant_of(FIXTURES / case, tmp_path / case, old, new, file)


def test_a_pinned_stack_on_localhost_with_a_kept_promise_reports_nothing() -> None:
    assert check(FIXTURES / "clean") == []


# --- images ---------------------------------------------------------------------------------------------------------

def test_an_image_tagged_latest_is_unpinned() -> None:
    finding = only("image-latest")

    assert (finding.code, finding.severity, Path(finding.file).name, finding.line) == (
        "hygiene.unpinned-image", "warning", "docker-compose.yml", 18)
    assert finding.subject == "service alertmanager"
    assert "`:latest`" in finding.message


def test_an_image_without_a_tag_is_unpinned() -> None:
    finding = only("image-without-tag")

    assert (finding.code, finding.line) == ("hygiene.unpinned-image", 42)
    assert "no tag" in finding.message


def test_a_tag_that_defaults_to_latest_is_unpinned() -> None:
    finding = only("image-tag-defaults-to-latest")

    assert (finding.code, finding.line) == ("hygiene.unpinned-image", 28)
    assert "${GRAFANA_VERSION:-latest}" in finding.message


def test_a_tag_set_in_the_dotenv_file_is_pinned(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "image-tag-defaults-to-latest", folder)
    (folder / ".env").write_text("GRAFANA_VERSION=10.4.2\n")

    assert check(folder) == []


def test_a_digest_pins_an_image_without_a_tag(tmp_path: Path) -> None:
    digest = "sha256:" + "3f" * 32
    folder = variant(tmp_path, "image-without-tag", "image: prom/node-exporter\n",
                     f"image: prom/node-exporter@{digest}\n")

    assert check(folder) == []


def test_an_image_built_here_is_judged_by_its_dockerfile(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "    image: prom/alertmanager:v0.27.0\n",
                     "    image: shop-alertmanager\n    build: ./alertmanager-image\n")
    (folder / "alertmanager-image").mkdir()
    (folder / "alertmanager-image" / "Dockerfile").write_text(
        "ARG BASE=prom/alertmanager:latest\nFROM golang:1.22 AS tools\nFROM ${BASE}\nCOPY --from=tools /go/bin /bin\n")

    [finding] = check(folder)

    assert (finding.code, Path(finding.file).name, finding.line) == ("hygiene.unpinned-image", "Dockerfile", 3)
    assert "prom/alertmanager:latest" in finding.message


# --- ports ----------------------------------------------------------------------------------------------------------

def test_a_short_syntax_port_without_an_address_is_on_every_interface() -> None:
    finding = only("port-short-syntax")

    assert (finding.code, finding.severity, finding.line) == ("hygiene.port-on-all-interfaces", "warning", 25)
    assert "silence" in finding.message  # what an open Alertmanager lets anyone do
    assert "127.0.0.1:9093" in finding.fix


def test_a_port_on_0_0_0_0_is_on_every_interface() -> None:
    finding = only("port-on-0.0.0.0")

    assert (finding.code, finding.line) == ("hygiene.port-on-all-interfaces", 15)


def test_a_long_syntax_port_without_host_ip_is_on_every_interface() -> None:
    finding = only("port-long-syntax-without-host-ip")

    assert (finding.code, finding.line) == ("hygiene.port-on-all-interfaces", 39)
    assert finding.subject == "service grafana"


def test_each_open_port_entry_is_its_own_finding(tmp_path: Path) -> None:
    folder = variant(tmp_path, "port-short-syntax", '      - "9093:9093"\n', '      - "9093:9093"\n      - "9094"\n')

    assert [(finding.code, finding.line) for finding in check(folder)] == [
        ("hygiene.port-on-all-interfaces", 25), ("hygiene.port-on-all-interfaces", 26)]


def test_a_reverse_proxy_is_meant_to_listen_on_every_interface(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", "  node-exporter:\n",
                     '  caddy:\n    image: caddy:2.8.4\n    ports:\n      - "443:443"\n\n  node-exporter:\n')

    assert check(folder) == []


def test_an_address_from_the_dotenv_file_is_read_as_compose_reads_it(tmp_path: Path) -> None:
    folder = variant(tmp_path, "clean", '"127.0.0.1:9093:9093"', '"${BIND_ADDRESS:-0.0.0.0}:9093:9093"')
    (folder / ".env").write_text("BIND_ADDRESS=127.0.0.1\n")

    assert check(folder) == []


# --- default credentials --------------------------------------------------------------------------------------------

def test_grafana_admin_password_admin_is_a_default_credential() -> None:
    finding = only("grafana-admin-password-admin")

    assert (finding.code, finding.severity, finding.line) == ("hygiene.default-credentials", "error", 32)
    assert "GF_SECURITY_ADMIN_PASSWORD__FILE" in finding.fix


def test_grafana_with_published_ports_and_no_admin_password_is_admin_admin() -> None:
    finding = only("grafana-without-admin-password")

    assert (finding.code, finding.line) == ("hygiene.default-credentials", 30)
    assert "admin/admin" in finding.message


def test_a_password_defaulting_to_admin_is_a_default_credential() -> None:
    finding = only("grafana-password-defaults-to-admin")

    assert (finding.code, finding.line) == ("hygiene.default-credentials", 32)
    assert "${GRAFANA_ADMIN_PASSWORD:-admin}' with the `.env` and defaults" in finding.message


def test_a_password_set_in_the_dotenv_file_replaces_the_default(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "grafana-password-defaults-to-admin", folder)
    (folder / ".env").write_text("GRAFANA_ADMIN_PASSWORD=t4Kq-9vRw-Lm2x\n")

    assert check(folder) == []


def test_grafana_behind_single_sign_on_needs_no_admin_password(tmp_path: Path) -> None:
    folder = variant(tmp_path, "grafana-without-admin-password", "      - GF_USERS_ALLOW_SIGN_UP=false\n",
                     "      - GF_USERS_ALLOW_SIGN_UP=false\n      - GF_AUTH_GENERIC_OAUTH_ENABLED=true\n")

    assert check(folder) == []


def test_a_grafana_password_in_an_env_file_is_read(tmp_path: Path) -> None:
    folder = variant(tmp_path, "grafana-without-admin-password", "      - GF_USERS_ALLOW_SIGN_UP=false\n",
                     "      - GF_USERS_ALLOW_SIGN_UP=false\n    env_file: ./grafana.env\n")
    (folder / "grafana.env").write_text("GF_SECURITY_ADMIN_PASSWORD=admin\n")

    [finding] = check(folder)

    assert (finding.code, finding.line) == ("hygiene.default-credentials", 33)  # the env_file line
    assert "GF_SECURITY_ADMIN_PASSWORD is 'admin'" in finding.message


def test_an_env_file_that_cannot_be_read_may_set_the_password(tmp_path: Path) -> None:
    folder = variant(tmp_path, "grafana-without-admin-password", "      - GF_USERS_ALLOW_SIGN_UP=false\n",
                     "      - GF_USERS_ALLOW_SIGN_UP=false\n    env_file: $HOME/grafana.env\n")

    assert check(folder) == []


def test_postgres_password_postgres_in_a_mapping_is_a_default_credential() -> None:
    finding = only("postgres-password-postgres")

    assert (finding.code, finding.line) == ("hygiene.default-credentials", 45)
    assert finding.subject == "service postgres"
    assert "POSTGRES_PASSWORD_FILE" in finding.fix


# --- admin endpoints ------------------------------------------------------------------------------------------------

def test_the_admin_api_on_a_port_open_to_every_interface_is_exposed() -> None:
    found = {finding.code: finding for finding in check(FIXTURES / "admin-api-on-all-interfaces")}

    # The open port is the planted problem's other half: binding it to 127.0.0.1 fixes both.
    assert set(found) == {"hygiene.admin-api-exposed", "hygiene.port-on-all-interfaces"}
    admin = found["hygiene.admin-api-exposed"]
    assert (admin.severity, admin.line) == ("warning", 10)
    assert "published on every interface ('9090:9090')" in admin.message


def test_the_lifecycle_api_on_a_loopback_port_is_only_information() -> None:
    finding = only("lifecycle-on-loopback")

    assert (finding.code, finding.severity, finding.line) == ("hygiene.admin-api-exposed", "info", 10)
    assert "'127.0.0.1:9090:9090' only" in finding.message


def test_an_admin_api_behind_prometheus_web_auth_is_not_exposed(tmp_path: Path) -> None:
    folder = variant(tmp_path, "admin-api-on-all-interfaces", "      - --web.enable-admin-api\n",
                     "      - --web.enable-admin-api\n      - --web.config.file=/etc/prometheus/web.yml\n")

    assert check(folder) == []


# --- retention ------------------------------------------------------------------------------------------------------

def test_the_default_fifteen_days_against_a_readme_promising_thirty_is_a_mismatch() -> None:
    finding = only("retention-default-shorter-than-readme")

    assert (finding.code, finding.severity, Path(finding.file).name, finding.line) == (
        "hygiene.retention-mismatch", "warning", "docker-compose.yml", 3)
    assert "15d (the default" in finding.message
    assert "README.md:8 says 'Metrics are retained for 30 days" in finding.message


def test_a_retention_flag_against_a_runbook_in_a_subfolder_is_a_mismatch() -> None:
    finding = only("retention-flag-differs-from-runbook")

    assert (finding.code, finding.line) == ("hygiene.retention-mismatch", 9)
    assert "docs/runbook.md:5 says 'Prometheus retention: 90d" in finding.message


def test_retention_bounded_by_size_alone_has_no_time_to_compare() -> None:
    assert check(FIXTURES / "retention-bounded-by-size-only") == []


def test_a_promise_about_a_long_term_store_is_not_about_prometheus() -> None:
    assert check(FIXTURES / "retention-long-term-store-elsewhere") == []


@pytest.mark.parametrize(("line", "low", "high"), [
    ("Metrics are retained for 30 days.", timedelta(days=30), timedelta(days=30)),
    ("Prometheus retention: 90d", timedelta(days=90), timedelta(days=90)),
    ("We keep 1 year of metrics.", timedelta(days=365), timedelta(days=366)),
    ("Prometheus keeps metrics for six months", timedelta(days=168), timedelta(days=186)),
    ("30-day retention for all metrics", timedelta(days=30), timedelta(days=30)),
    ("Prometheus retains at least 2 weeks of samples", timedelta(days=14), None),
    ("Prometheus runs with `--storage.tsdb.retention.time=45d`.", timedelta(days=45), timedelta(days=45)),
])
def test_promises_are_read_from_common_phrasings(tmp_path: Path, line: str, low: timedelta,
                                                 high: timedelta | None) -> None:
    document = tmp_path / "README.md"
    document.write_text(f"# Monitoring\n\n{line}\n")

    [promise] = retention.promises((document,))

    assert (promise.line, promise.low, promise.high) == (3, low, high)


@pytest.mark.parametrize("line", [
    "Logs are retained for 30 days in Loki.",
    "Alertmanager keeps silences for 5 days.",
    "Dashboards are stored for 90 days of history.",
    "Backups of the metrics volume are kept for 7 days.",
    "Scrape every 30 seconds.",
    "Retention: 30 days (STATUS_RETENTION_DAYS=30)",  # no word of metrics: could be any service's
    "Prometheus's default retention is 15 days.",  # general knowledge, not this stack's promise
    "Samples are kept in an in-memory head block spanning two hours.",
    "Configure Prometheus scrape intervals, endpoints and retention policies.",
    "To keep less, edit docker-compose.yml: --storage.tsdb.retention.time=7d",
])
def test_lines_about_something_else_are_not_promises(tmp_path: Path, line: str) -> None:
    document = tmp_path / "README.md"
    document.write_text(f"{line}\n")

    assert retention.promises((document,)) == []
