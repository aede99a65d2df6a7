"""The decision at the top of a report: SUCCESS only when everything is verified, NO naming what failed,
INCOMPLETE naming what was not verified when nothing failed."""

from __future__ import annotations

from typing import Any

from harness.reporting.summary import decide


def _run(*verdicts: tuple[str, str], skipped: str | None = None, check_errors: int = 0) -> dict[str, Any]:
    findings = [{"severity": "error", "file": "rules.yml", "line": 3, "subject": "Down", "message": "never loaded",
                 "code": "wiring.rule-file-not-loaded"}] * check_errors
    return {"passed": all(status == "verified" for status, _ in verdicts) and not skipped and not check_errors,
            "error": None, "config_check": {"findings": findings},
            "scenarios": [{"name": "s", "error": None, "skipped": skipped,
                           "verdicts": [{"expectation": title, "status": status, "detail": f"{title} detail"}
                                        for status, title in verdicts]}]}


def test_every_expectation_verified_is_success() -> None:
    decision = decide(_run(("verified", "A fires")))
    assert (decision.outcome, decision.reasons) == ("SUCCESS", ())


def test_a_failed_expectation_is_no_and_named() -> None:
    decision = decide(_run(("verified", "A fires"), ("failed", "A reaches x")))
    assert decision.outcome == "NO"
    assert decision.reasons == ("s: A reaches x: A reaches x detail",)


def test_only_inconclusive_is_incomplete_not_success() -> None:
    decision = decide(_run(("verified", "A fires"), ("inconclusive", "B stays silent")))
    assert decision.outcome == "INCOMPLETE"
    assert decision.reasons == ("s: B stays silent: B stays silent detail (inconclusive)",)


def test_a_skipped_scenario_is_incomplete() -> None:
    decision = decide(_run(skipped="no scale is faithful"))
    assert decision.outcome == "INCOMPLETE" and "skipped, so not verified: no scale is faithful" in decision.reasons[0]


def test_an_error_level_config_finding_is_no_though_every_scenario_verified() -> None:
    decision = decide(_run(("verified", "A fires"), check_errors=1))
    assert decision.outcome == "NO"
    assert decision.reasons == ("config check: rules.yml:3: Down: never loaded (wiring.rule-file-not-loaded)",)
