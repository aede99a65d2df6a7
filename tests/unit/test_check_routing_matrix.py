"""The routing matrix: where every alerting rule's alerts go, from the labels they will carry."""

from __future__ import annotations

from pathlib import Path

from harness.check.routes import RoutingMatrix, analyse
from harness.check.run import check
from harness.check.sources import discover

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"

PROMETHEUS = """\
global:
  external_labels: {cluster: eu-1}
rule_files: [rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ["alertmanager:9093"]}]}]
"""


def matrix_of(folder: Path, rules: str, alertmanager: str) -> RoutingMatrix:
    (folder / "prometheus.yml").write_text(PROMETHEUS)
    (folder / "rules.yml").write_text(rules)
    (folder / "alertmanager.yml").write_text(alertmanager)
    found, _ = analyse(discover([folder]))
    assert found is not None
    return found


def rules(*entries: str) -> str:
    return "groups:\n  - name: g\n    rules:\n" + "".join(entries)


def alert(name: str, expr: str, labels: str = "") -> str:
    return f"      - alert: {name}\n        expr: {expr}\n" + (f"        labels: {labels}\n" if labels else "")


def test_each_rule_goes_to_the_receivers_its_static_labels_select() -> None:
    matrix = check([FIXTURES / "clean"]).matrix
    assert matrix is not None
    assert {row.alert: row.receivers for row in matrix.rows} == {
        "ApiDown": ("pagerduty-platform",), "ApiHighErrorRate": ("slack-platform",),
        "ApiSlowResponses": ("slack-platform",),
    }


def test_amtool_is_asked_for_every_rule_and_agrees() -> None:
    matrix = check([FIXTURES / "clean"]).matrix
    assert matrix is not None and matrix.amtool_checked
    assert all(row.amtool == row.receivers for row in matrix.rows)


def test_old_matcher_syntax_and_continue_are_honoured(tmp_path: Path) -> None:
    matrix = matrix_of(tmp_path, rules(alert("Down", "up == 0", "{severity: critical, team: db}")), """\
route:
  receiver: fallback
  routes:
    - receiver: db-pager
      match: {team: db}
      continue: true
    - receiver: critical-slack
      match_re: {severity: "critical|page"}
    - receiver: never
      match: {severity: critical}
receivers: [{name: fallback}, {name: db-pager}, {name: critical-slack}, {name: never}]
""")
    (row,) = matrix.rows
    assert row.receivers == ("db-pager", "critical-slack")
    assert row.amtool == row.receivers


def test_a_route_on_a_label_from_the_series_is_possible_but_not_certain(tmp_path: Path) -> None:
    matrix = matrix_of(tmp_path, rules(alert("Errors", "sum by (service) (rate(errors_total[5m])) > 1",
                                             "{severity: warning}")), """\
route:
  receiver: fallback
  routes:
    - receiver: checkout-team
      matchers: [service="checkout"]
receivers: [{name: fallback}, {name: checkout-team}]
""")
    (row,) = matrix.rows
    assert row.receivers == ("fallback",)
    assert set(row.possible) == {"checkout-team", "fallback"}
    assert row.depends_on == ("service",)


def test_an_equality_matcher_the_expression_keeps_is_a_certain_label(tmp_path: Path) -> None:
    matrix = matrix_of(tmp_path, rules(alert("Down", 'up{job="payments"} == 0')), """\
route:
  receiver: fallback
  routes: [{receiver: payments, matchers: [job="payments"]}]
receivers: [{name: fallback}, {name: payments}]
""")
    assert matrix.rows[0].receivers == ("payments",)


def test_prometheus_external_labels_take_part_in_routing(tmp_path: Path) -> None:
    matrix = matrix_of(tmp_path, rules(alert("Down", "up == 0")), """\
route:
  receiver: fallback
  routes: [{receiver: eu-oncall, matchers: [cluster="eu-1"]}]
receivers: [{name: fallback}, {name: eu-oncall}]
""")
    assert matrix.rows[0].receivers == ("eu-oncall",)
    assert matrix.rows[0].labels["cluster"] == "eu-1"


def test_a_label_templated_from_the_series_decides_nothing_for_certain(tmp_path: Path) -> None:
    matrix = matrix_of(tmp_path, rules(alert("Down", "sum by (tier) (up) == 0", "{severity: '{{ $labels.tier }}'}")), """\
route:
  receiver: fallback
  routes: [{receiver: pager, matchers: [severity="critical"]}]
receivers: [{name: fallback}, {name: pager}]
""")
    (row,) = matrix.rows
    assert "severity" not in row.labels
    assert set(row.possible) == {"pager", "fallback"}


def test_rule_files_mounted_by_compose_are_found_through_the_mounts() -> None:
    monitoring = discover([FIXTURES / "compose-mounts" / "docker-compose.yml"])
    assert monitoring.prometheus is not None and monitoring.alertmanager is not None
    assert [source.loaded for source in monitoring.rule_files] == [True]
    assert [rule.name for rule in monitoring.alerts] == ["ApiDown", "ApiHighErrorRate", "ApiSlowResponses"]


def test_an_unaggregated_rule_without_the_routing_key_goes_to_the_default_receiver(tmp_path: Path) -> None:
    (tmp_path / "prometheus.yml").write_text(PROMETHEUS)
    (tmp_path / "rules.yml").write_text(rules(alert("Down", "up == 0", "{severity: critical}"),
                                              alert("Forgotten", "up == 0", "{team: db}")))
    (tmp_path / "alertmanager.yml").write_text("""\
route:
  receiver: fallback
  routes: [{receiver: pager, matchers: [severity="critical"]}]
receivers: [{name: fallback}, {name: pager}]
""")
    matrix, found = analyse(discover([tmp_path]))
    assert matrix is not None
    assert {row.alert: row.possible for row in matrix.rows} == {"Down": ("pager",), "Forgotten": ("fallback",)}
    assert [(finding.code, finding.subject) for finding in found] == [("routing.default-receiver-only", "alert Forgotten")]


def test_an_active_silence_that_matches_no_rule_is_a_finding() -> None:
    from harness.check.inhibits import silence_findings

    monitoring = discover([FIXTURES / "clean"])
    typo = {"id": "s-1", "status": {"state": "active"}, "createdBy": "ops", "comment": "maintenance",
            "matchers": [{"name": "alertname", "value": "APIDown", "isRegex": False, "isEqual": True}]}
    meant = {**typo, "id": "s-2", "matchers": [{"name": "alertname", "value": "Api.*", "isRegex": True}]}
    expired = {**typo, "id": "s-3", "status": {"state": "expired"}}
    found = silence_findings(monitoring, [typo, meant, expired], "http://127.0.0.1:9093")
    assert [(finding.code, finding.subject) for finding in found] == [("inhibit.silence-matches-nothing", "silence s-1")]
