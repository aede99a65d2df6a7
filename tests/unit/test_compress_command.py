"""`harness compress`: rule files, prometheus.yml and PrometheusRule manifests in; rewritten files and compression.json out."""

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from harness.cli import app

RULES = """\
groups:
  - name: app
    interval: 30s
    rules:
      - alert: ManyErrors
        expr: increase(errors_total[1h]) > 100   # a YAML comment, not PromQL
        for: 10m
      - alert: SlowRequests
        expr: |
          histogram_quantile(0.99, sum by (le) (rate(request_seconds_bucket{le=~"1(\\\\.0)?|\\\\+Inf"}[5m]))) > 1
        for: 5m
      - alert: CertificateExpiresSoon
        expr: probe_ssl_earliest_cert_expiry - time() < 86400 * 14
"""


def compress(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["compress", *arguments])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def written(tmp_path: Path, name: str) -> dict:
    return yaml.safe_load((tmp_path / "out" / name).read_text())


def entries(tmp_path: Path) -> dict[str, dict]:
    report = json.loads((tmp_path / "out" / "compression.json").read_text())
    return {entry["rule"]: entry for entry in report["rules"]}


def test_a_rule_file_is_written_under_the_same_name_with_every_timer_scaled(tmp_path: Path) -> None:
    (tmp_path / "app.rules.yml").write_text(RULES)

    code, _ = compress(str(tmp_path / "app.rules.yml"), "--scale", "40", "--out", str(tmp_path / "out"))

    group = written(tmp_path, "app.rules.yml")["groups"][0]
    assert code == 0
    assert (group["interval"], group["rules"][0]["for"]) == ("750ms", "15s")
    assert group["rules"][0]["expr"] == "((increase(errors_total[1m30s])) * 40) > 100"


def test_compression_json_gives_every_rule_its_fidelity_and_reason(tmp_path: Path) -> None:
    (tmp_path / "app.rules.yml").write_text(RULES)

    compress(str(tmp_path / "app.rules.yml"), "--scale", "40", "--out", str(tmp_path / "out"))

    found = entries(tmp_path)
    assert {name: entry["fidelity"] for name, entry in found.items()} == {
        "ManyErrors": "adjusted", "SlowRequests": "exact", "CertificateExpiresSoon": "real-time only",
    }
    assert found["ManyErrors"]["group"] == "app" and found["ManyErrors"]["line"] == 6
    assert "calendar" in found["CertificateExpiresSoon"]["reason"]
    assert '1(\\\\.0)?|\\\\+Inf' in found["SlowRequests"]["rewritten"]


def test_a_prometheus_config_brings_the_rule_files_it_loads(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "app.yml").write_text(RULES)
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 15s, evaluation_interval: 15s}\nrule_files: [rules/*.yml]\n"
        "scrape_configs: [{job_name: app, scrape_interval: 5s, static_configs: [{targets: ['app:8000']}]}]\n"
    )

    code, _ = compress(str(tmp_path / "prometheus.yml"), "--scale", "10", "--out", str(tmp_path / "out"))

    assert code == 0
    assert written(tmp_path, "prometheus.yml")["global"] == {"scrape_interval": "1s500ms", "evaluation_interval": "1s500ms"}
    assert written(tmp_path, "prometheus.yml")["scrape_configs"][0]["scrape_interval"] == "500ms"
    assert written(tmp_path, "rules/app.yml")["groups"][0]["rules"][1]["for"] == "30s"


def test_a_prometheusrule_manifest_is_compressed_in_spec_groups_and_other_documents_are_kept(tmp_path: Path) -> None:
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: app}\nspec:\n"
        + "\n".join("  " + line for line in RULES.splitlines())
        + "\n"
    )
    (tmp_path / "app-rules.yaml").write_text(manifest)

    code, _ = compress(str(tmp_path), "--scale", "40", "--out", str(tmp_path / "out"))

    other, rules = yaml.safe_load_all((tmp_path / "out" / "app-rules.yaml").read_text())
    assert code == 0
    assert other["kind"] == "ConfigMap"
    assert rules["spec"]["groups"][0]["rules"][1]["for"] == "7s500ms"


def test_a_rule_that_cannot_be_read_is_refused_with_file_line_group_and_rule_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: Fine\n        expr: up == 0\n"
        "      - alert: Newer\n        expr: sort_by_label(up, \"job\") == 0\n"
    )

    code, output = compress(str(tmp_path / "bad.yml"), "--scale", "40", "--out", str(tmp_path / "out"))

    assert code == 2
    assert f"{tmp_path / 'bad.yml'}:7: groups[0] (g).rules[1] (Newer).expr" in output
    assert "unknown function `sort_by_label`" in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_a_scale_below_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.rules.yml").write_text(RULES)

    code, output = compress(str(tmp_path / "app.rules.yml"), "--scale", "0", "--out", str(tmp_path / "out"))

    assert code == 2
    assert "--scale: 0 is not a time scale; give 1 (real time) or more" in output


def test_a_file_promtool_refuses_as_written_is_blamed_on_the_file_not_the_rewrite(tmp_path: Path) -> None:
    (tmp_path / "labels.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: Spaced\n        expr: up == 0\n        labels: {'team name': x}\n"
    )

    code, output = compress(str(tmp_path / "labels.yml"), "--scale", "40", "--out", str(tmp_path / "out"))

    assert code == 2
    assert f"{tmp_path / 'labels.yml'}: the stack's promtool refuses the file as written" in output
    assert "invalid label name" in output


def test_a_rule_file_that_is_not_utf8_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "utf16.yml").write_bytes("groups: []\n".encode("utf-16"))

    code, output = compress(str(tmp_path / "utf16.yml"), "--scale", "40", "--out", str(tmp_path / "out"))

    assert code == 2
    assert f"{tmp_path / 'utf16.yml'}:1: UTF-16 text (it starts with a UTF-16 byte-order mark)" in output
    assert "Traceback" not in output
