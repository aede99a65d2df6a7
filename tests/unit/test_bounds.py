from pathlib import Path

import pytest
from builders import alertmanager_settings, prometheus_settings, scenario, write
from routing_trees import SEVERITIES

from harness.bounds import Bounds, Window, bounds, check_deadlines
from harness.configs import AlertmanagerSettings, PrometheusSettings, render_alertmanager, render_prometheus
from harness.errors import InvalidInput
from harness.timescale import TimeScale

ONE = TimeScale(1)

#: Two jobs with different timing: `app` every 15 s (timeout 10 s), `batch` every minute (timeout 20 s).
PROMETHEUS = """
global: {scrape_interval: 15s, evaluation_interval: 15s, scrape_timeout: 10s}
rule_files: [rules/*.yml]
scrape_configs:
  - job_name: app
    static_configs: [{targets: ["app:8000"]}]
  - job_name: batch
    scrape_interval: 1m
    scrape_timeout: 20s
    static_configs: [{targets: ["batch:9100"]}]
"""


def stack(tmp_path: Path, rules: str, routes: str = SEVERITIES) -> tuple[PrometheusSettings, AlertmanagerSettings]:
    write(tmp_path / "prometheus" / "prometheus.yml", PROMETHEUS)
    write(tmp_path / "prometheus" / "rules" / "rules.yml", rules)
    write(tmp_path / "alertmanager" / "alertmanager.yml", routes)
    prometheus = render_prometheus(tmp_path / "prometheus", tmp_path / "out" / "p", ONE)
    alertmanager = render_alertmanager(tmp_path / "alertmanager", tmp_path / "out" / "a", ONE)
    return prometheus, alertmanager


def alert(expr: str, severity: str = "critical", for_: str = "5m", extra: str = "", group: str = "") -> str:
    return f"""
        groups:
          - name: alerts
            {group}
            rules:
              - alert: Broken
                expr: {expr}
                for: {for_}
                labels: {{severity: {severity}}}
                {extra}
    """


def bound(tmp_path: Path, rules: str, routes: str = SEVERITIES) -> Bounds:
    prometheus, alertmanager = stack(tmp_path, rules, routes)
    return bounds("Broken", prometheus, alertmanager, ONE)


# --- Prometheus side ---------------------------------------------------------------------------------


def test_an_alert_on_a_slow_job_waits_for_that_jobs_scrape_interval_and_timeout(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('batch_last_success{job="batch"} == 0'))

    assert result.fires == Window(300, 60 + 20 + 15 + 300)
    assert result.explain("fires") == "scrape 80 s (every 60 s, timeout 20 s; job batch) + evaluation 15 s (group alerts) + for 300 s"


def test_an_alert_on_a_fast_job_is_not_held_to_the_slow_jobs_interval(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0'))

    assert result.fires.latest == 15 + 10 + 15 + 300


def test_a_metric_whose_job_the_config_does_not_tell_takes_the_slowest_job_and_says_so(tmp_path: Path) -> None:
    result = bound(tmp_path, alert("some_gauge > 1"))

    assert result.fires.latest == 60 + 20 + 15 + 300
    assert result.explain("fires").endswith(
        "; the config does not tell which job writes some_gauge, so the slowest job (batch) stands in"
    )


def test_a_rule_groups_own_interval_replaces_the_global_evaluation_interval(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0', group="interval: 1m"))

    assert result.fires.latest == 15 + 10 + 60 + 300
    assert "evaluation 60 s (group alerts)" in result.explain("fires")


def test_a_for_that_is_not_a_whole_number_of_evaluations_is_rounded_up_to_the_next_one(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0', for_="45s", group="interval: 1m"))

    assert result.fires.earliest == 60
    assert "for 60 s (45 s rounded up to whole evaluations)" in result.explain("fires")


def test_keep_firing_for_lengthens_the_resolution_by_its_duration(tmp_path: Path) -> None:
    plain = bound(tmp_path / "plain", alert('rate(errors{job="app"}[5m]) > 0'))
    kept = bound(tmp_path / "kept", alert('rate(errors{job="app"}[5m]) > 0', extra="keep_firing_for: 10m"))

    assert plain.resolves == Window(15, 300 + 25 + 15)
    assert kept.resolves == Window(600, 300 + 25 + 15 + 600)
    assert kept.explain("resolves").endswith(" + keep_firing_for 600 s")


RECORDED = """
groups:
  - name: recording
    interval: 1m
    rules:
      - record: job:errors:rate5m
        expr: sum by (job) (rate(errors_total{job="app"}[5m]))
      - record: job:errors:ratio5m
        expr: job:errors:rate5m / sum by (job) (rate(requests_total{job="app"}[5m]))
  - name: alerts
    interval: 30s
    rules:
      - alert: Broken
        expr: avg_over_time(job:errors:ratio5m[10m]) > 0.05
        for: 5m
        labels: {severity: critical}
"""


def test_a_recording_rule_chain_adds_its_look_back_and_its_groups_evaluation_delay(tmp_path: Path) -> None:
    result = bound(tmp_path, RECORDED)

    # ratio5m reads rate5m, which its own group evaluated just before it: one delay of 1m for the chain.
    assert result.fires.latest == 15 + 10 + 60 + 30 + 300
    assert result.resolves.latest == 600 + 300 + 15 + 10 + 60 + 30
    assert result.explain("resolves") == (
        "look-back 600 s (job:errors:ratio5m{}[10m]) + look-back 300 s (errors_total{job=\"app\"}[5m]) "
        "+ scrape 25 s (every 15 s, timeout 10 s; job app) "
        "+ evaluation 60 s (recording rule job:errors:ratio5m, group recording) + evaluation 30 s (group alerts)"
    )


def test_a_recording_rule_evaluated_earlier_in_the_alerts_own_group_adds_no_delay(tmp_path: Path) -> None:
    result = bound(tmp_path, """
        groups:
          - name: alerts
            rules:
              - record: job:errors:rate5m
                expr: sum by (job) (rate(errors_total{job="app"}[5m]))
              - alert: Broken
                expr: job:errors:rate5m > 1
                for: 5m
                labels: {severity: critical}
    """)

    assert result.fires.latest == 15 + 10 + 15 + 300
    assert result.resolves.latest == 300 + 15 + 10 + 15


def test_an_offset_lengthens_the_resolution_but_not_the_pipeline(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('rate(requests{job="app"}[1m]) / rate(requests{job="app"}[1m] offset 1h) > 3'))

    assert result.resolves.latest == 3660 + 25 + 15
    assert result.pipeline == 60 + 25 + 15 + 300 + 20


# --- Alertmanager side -------------------------------------------------------------------------------


def test_a_warning_alerts_delivery_window_uses_its_own_routes_group_wait(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0', severity="warning"))

    assert result.receivers() == ["slack-warning"]
    assert result.delivered_to("slack-warning") == Window(300 + 60, 25 + 15 + 300 + 60)


def test_continue_sends_an_alert_down_two_routes_each_with_its_own_group_wait(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0'))

    assert result.receivers() == ["pagerduty-critical", "slack-critical"]
    assert result.delivered_to("pagerduty-critical").latest == 25 + 15 + 300 + 10
    assert result.delivered_to("slack-critical").latest == 25 + 15 + 300 + 20
    assert result.delivered == Window(300 + 10, 25 + 15 + 300 + 20)


def test_the_pipeline_waits_for_the_slowest_route_and_the_rules_range_window(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('rate(errors{job="app"}[5m]) > 0'))

    assert result.pipeline == 300 + 25 + 15 + 300 + 20
    assert result.explain() == (
        'window 300 s (errors{job="app"}[5m]) + scrape 25 s (every 15 s, timeout 10 s; job app) '
        "+ evaluation 15 s (group alerts) + for 300 s + group_wait 20 s (route severity=\"critical\" -> slack-critical)"
    )


def test_a_nested_route_without_its_own_timers_delivers_with_its_parents(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0'), routes="""
        route:
          receiver: default
          group_wait: 30s
          routes:
            - receiver: platform
              matchers: [severity=~"critical|warning"]
              group_wait: 2m
              routes:
                - receiver: platform-pager
                  matchers: [severity="critical"]
        receivers: [{name: default}, {name: platform}, {name: platform-pager}]
    """)

    assert result.delivered_to("platform-pager").latest == 25 + 15 + 300 + 120


def test_a_resolved_notification_may_wait_a_further_group_interval_of_its_route(tmp_path: Path) -> None:
    result = bound(tmp_path, alert('errors{job="app"} > 0', severity="warning"))

    assert result.resolved_to("slack-warning") == Window(15, 25 + 15 + 600)


def test_a_receiver_the_alerts_known_labels_do_not_reach_takes_the_routes_that_deliver_there(tmp_path: Path) -> None:
    # The series may carry labels the rule does not set; any route to that receiver could be the one.
    result = bound(tmp_path, alert('errors{job="app"} > 0', severity="info"))

    assert result.receivers() == ["default"]
    assert result.delivered_to("slack-warning").latest == 25 + 15 + 300 + 60


# --- deadlines ---------------------------------------------------------------------------------------


def test_a_delivery_deadline_shorter_than_the_routes_bound_is_refused_with_the_arithmetic(tmp_path: Path) -> None:
    prometheus, alertmanager = stack(tmp_path, alert('errors{job="app"} > 0', severity="warning"))
    # 6m covers scrape + evaluation + for + the root's 30 s group_wait, but not the warning route's 1m.
    too_short = scenario({"type": "alert_delivered", "alert": "Broken", "receivers": ["slack-warning"], "within": "6m"},
                         path=tmp_path / "s.yml")

    with pytest.raises(InvalidInput) as raised:
        check_deadlines(too_short, prometheus, alertmanager)

    assert str(raised.value) == (
        f"{tmp_path / 's.yml'}:1: expectations.0.within: 360 s is shorter than the 400 s that alert_delivered Broken "
        "can take (scrape 25 s (every 15 s, timeout 10 s; job app) + evaluation 15 s (group alerts) + for 300 s "
        '+ group_wait 60 s (route severity="warning" -> slack-warning)). Hint: give it at least 400 s, better twice that.'
    )


def test_a_delivery_deadline_that_covers_the_routes_bound_is_accepted(tmp_path: Path) -> None:
    prometheus, alertmanager = stack(tmp_path, alert('errors{job="app"} > 0', severity="warning"))
    enough = scenario({"type": "alert_delivered", "alert": "Broken", "receivers": ["slack-warning"], "within": "400s"})

    check_deadlines(enough, prometheus, alertmanager)


def test_a_resolution_deadline_must_cover_the_group_interval_of_a_receiver_that_wants_resolved_notifications(
    tmp_path: Path,
) -> None:
    prometheus, alertmanager = stack(tmp_path, alert('errors{job="app"} > 0'), routes="""
        route:
          receiver: quiet
          group_interval: 5m
          routes:
            - receiver: quiet
              matchers: [severity="critical"]
              group_interval: 20m
              continue: true
            - receiver: chatty
              matchers: [severity="critical"]
              group_interval: 10m
        receivers:
          - name: quiet
            webhook_configs: [{url: "https://quiet.example.com", send_resolved: false}]
          - name: chatty
            webhook_configs: [{url: "https://chatty.example.com", send_resolved: true}]
    """)
    too_short = scenario({"type": "alert_resolves", "alert": "Broken", "within": "10m"}, path=tmp_path / "s.yml")

    with pytest.raises(InvalidInput) as raised:
        check_deadlines(too_short, prometheus, alertmanager)

    # `quiet` sends no resolved notification, so its 20m group_interval does not count; chatty's 10m does.
    assert str(raised.value) == (
        f"{tmp_path / 's.yml'}:1: expectations.0.within: 600 s is shorter than the 640 s that alert_resolves Broken "
        "can take (scrape 25 s (every 15 s, timeout 10 s; job app) + evaluation 15 s (group alerts) "
        '+ group_interval 600 s (route severity="critical" -> chatty)). Hint: give it at least 640 s, better twice that.'
    )


def test_bounds_at_a_scale_of_twenty_divide_every_term_by_twenty() -> None:
    prometheus = prometheus_settings()
    alertmanager = alertmanager_settings()

    result = bounds("HighErrorRate", prometheus, alertmanager, TimeScale(20))

    # scrape 0.75 s + timeout 0.5 s, evaluation 0.75 s, for 15 s, group_wait 1.5 s
    assert (result.fires, result.delivered, result.resolves) == (Window(15.0, 17.0), Window(16.5, 18.5), Window(0.75, 2.0))
