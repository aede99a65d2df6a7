"""Which time scale a scenario runs at, given measured figures: the arithmetic and what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness import limits
from harness.configs import AlertRule, PrometheusSettings, ScrapeJob
from harness.gate import plan_lanes, stack_segments
from harness.limits import CpuFigure, FaultCondition, Figures, ScaleRefused, ScrapeFigure
from harness.scenario import AlertFires, AlertSilent, NoAlerts, Scenario

POSTGRES_DOWN = FaultCondition("container_stop", "postgres")
CPU_EXPR = ('(1 - avg by (job, instance) (rate(node_cpu_seconds_total{job="node", mode="idle"}[5m])) > 0.8) '
            'and on (job, instance) (node_cpu_seconds_total{job="node", mode="idle"} offset 5m)')
HOST_CPU = AlertRule("HostHighCpu", CPU_EXPR, CPU_EXPR, timedelta(minutes=10), {}, "host.yml",
                     longest_range=timedelta(minutes=5))
SETTINGS = PrometheusSettings(
    scrape_interval=timedelta(seconds=15), evaluation_interval=timedelta(seconds=15),
    rules=(AlertRule("PostgresDown", "pg_up == 0", "pg_up == 0", timedelta(minutes=1), {}, "availability.yml"),
           HOST_CPU),
    jobs=(ScrapeJob("postgres", timedelta(seconds=15), timedelta(seconds=10)),
          ScrapeJob("app", timedelta(seconds=15), timedelta(seconds=10))),
)


def postgres_down() -> Scenario:
    return Scenario.model_validate({
        "name": "postgres-down",
        "faults": [{"at": "0s", "duration": "4m", "fault": {"kind": "container_stop", "service": "postgres"}}],
        "expectations": [{"type": "alert_fires", "alert": "PostgresDown", "within": "3m"}],
    })


def quiet() -> Scenario:
    return Scenario(name="quiet", expectations=[NoAlerts(type="no_alerts")])


def host_cpu() -> Scenario:
    return Scenario(name="host-cpu", expectations=[AlertFires(type="alert_fires", alert="HostHighCpu",
                                                              within=timedelta(minutes=16))])


def exporter(seconds: float, condition: FaultCondition | None = POSTGRES_DOWN) -> ScrapeFigure:
    return ScrapeFigure("postgres", "postgres-exporter:9187", seconds, how="direct GET", condition=condition)


def test_a_slow_exporter_under_its_fault_lowers_the_scale_and_shows_the_arithmetic() -> None:
    [choice] = limits.choose([postgres_down()], Figures((exporter(1.02),)), SETTINGS, 40)

    assert choice.chosen == 8
    assert choice.describe() == (
        "postgres-down: ×40 lowered to ×8: postgres-exporter:9187 (job postgres) answered in 1.02 s "
        "(postgres down (container_stop)); at ×40 the scrape timeout of job postgres is 0.25 s; "
        "highest faithful scale ×8 (timeout 1.25 s ≥ 1.02 s × 1.2 margin)"
    )


def test_an_exporter_that_answers_within_the_scaled_timeout_keeps_the_requested_scale() -> None:
    [choice] = limits.choose([postgres_down()], Figures((exporter(0.15),)), SETTINGS, 40)

    assert not choice.lowered
    assert choice.describe() == "postgres-down: ×40 as requested"


def test_a_figure_measured_under_a_fault_binds_only_the_scenarios_with_that_fault() -> None:
    choices = limits.choose([postgres_down(), quiet()], Figures((exporter(1.02),)), SETTINGS, 40)

    assert [c.chosen for c in choices] == [8, 40]


def test_a_slow_healthy_target_binds_every_scenario() -> None:
    slow = ScrapeFigure("app", "app:8000", 0.5, how="Prometheus lastScrapeDuration")

    choices = limits.choose([postgres_down(), quiet()], Figures((slow,)), SETTINGS, 40)

    assert [c.chosen for c in choices] == [16, 16]  # 10 s / 16 = 0.625 s ≥ 0.5 s × 1.2


def test_a_target_too_slow_even_in_real_time_is_not_run_and_the_reason_says_compression_is_not_why() -> None:
    gone = ScrapeFigure("postgres", "postgres-exporter:9187", 13.0, gave_up=True, condition=POSTGRES_DOWN)

    [choice] = limits.choose([postgres_down()], Figures((gone,)), SETTINGS, 40)

    assert not choice.faithful and choice.lowered
    assert choice.describe() == (
        "postgres-down: not run, no scale is faithful: postgres-exporter:9187 (job postgres) gave no answer within "
        "13.0 s (postgres down (container_stop)); at ×40 the scrape timeout of job postgres is 0.25 s; even at ×1 "
        "(timeout 10.00 s < 13.00 s × 1.2 margin), so compression is not the cause"
    )


def test_the_lower_scale_is_a_whole_number_at_most_the_requested_one() -> None:
    assert limits.candidate_scales(12.5)[:3] == [12.5, 12.0, 11.0]
    assert limits.candidate_scales(3) == [3, 2.0, 1.0]


# --- host CPU ----------------------------------------------------------------------------------------


def cpu(samples: list[float], idle: float) -> CpuFigure:
    return CpuFigure(step=1.0, samples=tuple(samples), idle=idle, activity="restarting Prometheus")


def test_cpu_peak_is_the_busiest_window_and_a_long_window_is_filled_with_the_idle_share() -> None:
    figure = cpu([0.2, 1.0, 1.0, 0.2], idle=0.1)

    assert figure.peak_over(2) == pytest.approx(1.0)
    assert figure.peak_over(3) == pytest.approx(2.2 / 3)
    assert figure.peak_over(10) == pytest.approx((2.4 + 0.6) / 10)


def test_harness_cpu_that_fills_the_compressed_window_lowers_a_host_cpu_scenario() -> None:
    # 10 s at 90 % busy, 20 % otherwise: ×40's 7.5 s window reads 90 %, ×10's 30 s window 43 %.
    figure = cpu([0.9] * 10, idle=0.2)

    [choice] = limits.choose([host_cpu()], Figures(cpu=figure), SETTINGS, 40)

    assert choice.chosen == 20  # 15 s window: (9 + 5 × 0.2) / 15 = 0.667; × 1.2 = 0.8 ≤ 0.8
    assert choice.describe() == (
        "host-cpu: ×40 lowered to ×20: host CPU was 90% busy over 7.5 s while restarting Prometheus (idle 20%); "
        "HostHighCpu fires above 0.8 over 5m, 7.5 s at ×40; highest faithful scale ×20 "
        "(window 15.0 s, peak 0.67 × 1.2 margin ≤ 0.8)"
    )


def test_harness_cpu_does_not_bind_a_scenario_whose_alerts_do_not_read_host_cpu() -> None:
    [choice] = limits.choose([postgres_down()], Figures(cpu=cpu([1.0] * 20, idle=0.9)), SETTINGS, 40)

    assert not choice.lowered


def test_a_below_threshold_scenario_on_host_cpu_is_bound_too() -> None:
    below = Scenario(name="host-cpu-below", expectations=[AlertSilent(type="alert_silent", alert="HostHighCpu")])

    [choice] = limits.choose([below], Figures(cpu=cpu([0.9] * 10, idle=0.2)), SETTINGS, 40)

    assert choice.chosen == 20


# --- refusing instead of lowering, and lanes per scale -----------------------------------------------


def test_refusing_names_every_scenario_the_scale_would_distort_with_its_arithmetic() -> None:
    choices = limits.choose([postgres_down(), quiet()], Figures((exporter(1.02),)), SETTINGS, 40)

    with pytest.raises(ScaleRefused) as refused:
        limits.refuse_lowered(choices)

    message = str(refused.value)
    assert message.startswith("the requested time scale ×40 would distort 1 scenario(s):")
    assert "postgres-down: ×40 lowered to ×8" in message and "quiet" not in message


def test_nothing_is_refused_when_every_scenario_keeps_its_scale() -> None:
    limits.refuse_lowered(limits.choose([quiet()], Figures((exporter(1.02),)), SETTINGS, 40))


def test_a_lane_boots_a_new_stack_where_the_scale_changes_and_runs_the_faster_scale_first() -> None:
    scenarios = [quiet(), postgres_down(), quiet()]

    [lane] = plan_lanes(scenarios, 1, [40, 8, 40])

    assert lane == [0, 2, 1]
    assert stack_segments(lane, scenarios, [40, 8, 40]) == [[0, 2], [1]]
