"""A rule no compression keeps the meaning of is never verified by a compressed run."""

from dataclasses import replace

from builders import alert, alertmanager_settings, endpoint, evidence, prometheus_settings, rule, scenario, timeline

from harness.compression.rules import CompressedRule
from harness.expectations import Moments, Verdict, evaluate
from harness.timescale import TimeScale

MOMENTS = Moments(baseline_start=0.0, fault_start=100.0, fault_end=130.0, end=200.0)
ALERTMANAGER = alertmanager_settings(endpoint("default-webhook", "webhook"))
FIRES = {"type": "alert_fires", "alert": "CertificateExpiresSoon", "within": "8m"}
FIRED = [alert(101.0, "CertificateExpiresSoon", "pending"), alert(117.0, "CertificateExpiresSoon", "firing")]
EXPR = "probe_ssl_earliest_cert_expiry - time() < 86400 * 14"


def compressed(fidelity: str) -> CompressedRule:
    return CompressedRule("rules.yml", "certs", "CertificateExpiresSoon", "alert", 3, EXPR, EXPR, fidelity,  # type: ignore[arg-type]
                          "`... - time()` counts down to a moment on the calendar")


def verdict(fidelity: str, scale: TimeScale) -> Verdict:
    certificate = replace(rule("CertificateExpiresSoon", expr=EXPR), compression=compressed(fidelity))
    faulted = scenario(FIRES, faults=[{"duration": "10m", "fault": {"kind": "app_errors", "ratio": 0.5}}])
    return evaluate(evidence(faulted, timeline(*FIRED), MOMENTS, prometheus_settings(certificate), ALERTMANAGER, scale))[0]


def test_an_alert_of_a_real_time_only_rule_is_not_verified_at_a_compressed_scale() -> None:
    seen = verdict("real-time only", TimeScale(20))

    assert seen.status == "inconclusive"
    assert seen.detail.startswith("not verified at this scale: CertificateExpiresSoon is real-time only at ×20")
    assert "counts down to a moment on the calendar" in seen.detail


def test_the_same_rule_is_verified_in_real_time() -> None:
    assert verdict("real-time only", TimeScale(1)).status == "verified"


def test_an_adjusted_rule_is_verified_at_a_compressed_scale() -> None:
    assert verdict("adjusted", TimeScale(20)).status == "verified"


def test_the_report_lists_adjusted_and_real_time_only_rules_with_both_expressions(tmp_path) -> None:
    from dataclasses import replace as replaced

    from harness import report

    count = CompressedRule("rules.yml", "app", "ManyErrors", "alert", 7, "increase(e[1h]) > 100",
                           "((increase(e[3m])) * 20) > 100", "adjusted", "`increase` counts ...: multiplied by 20")
    settings = replaced(prometheus_settings(), compression=(count, compressed("real-time only")))
    run = report.RunReport("run-1", "suite", "stack", "now", 20.0, tmp_path, prometheus=settings,
                           alertmanager=ALERTMANAGER)

    markdown = report.write(run).read_text()

    assert "0 rule(s) exact, 1 adjusted, 1 real-time only (not verified at this scale" in markdown
    assert "- **ManyErrors** (adjusted; rules.yml:7): `increase` counts ...: multiplied by 20" in markdown
    assert "  - as run: `((increase(e[3m])) * 20) > 100`" in markdown
    assert "- **CertificateExpiresSoon** (real-time only; rules.yml:3)" in markdown
