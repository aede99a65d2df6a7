"""Load spread over Locust's distributed mode, through real Locust processes against the real app."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from harness import polling
from harness.load import LoadProfile, LoadRun
from harness.stack import RunningStack

USERS, RATE, BUDGET = 20, 10.0, 2_600  # 200 req/s until 2,600 requests: about 13 s
COMPARED_SECONDS = 10.5
ORDERS_CREATED = 'method="POST",route="/api/orders",status="201"'


def requests_the_app_counted(stack: RunningStack, labels: str = "") -> float:
    """The /api requests the app's own metrics counted (those whose labels include `labels`)."""
    text = httpx.get(f"{stack.app_url}/metrics", timeout=10).text
    return sum(float(value) for found, value in re.findall(r"^http_requests_total\{([^}]*)\} (\S+)$", text, re.MULTILINE)
               if labels in found)


def test_two_workers_deliver_the_load_asked_and_stop_together_at_the_total_budget(
    harness_stack: RunningStack, tmp_path: Path
) -> None:
    before = requests_the_app_counted(harness_stack)
    orders_before = requests_the_app_counted(harness_stack, ORDERS_CREATED)
    load = LoadRun(harness_stack.app_url, LoadProfile(USERS, RATE, 60, BUDGET, workers=2), tmp_path,
                   run_id=harness_stack.run_id)
    try:
        load.wait_until_flowing()
        start = polling.now()
        polling.sleep(COMPARED_SECONDS)
        record = load.record(start, polling.now(), ran_to_end=True)
        polling.wait_for(lambda: not load.running(), timeout=20, describe="the workers ending at their shares of the budget")
    finally:
        summary = load.stop()

    assert record.asked_rps == USERS * RATE
    assert record.shortfall == "" and record.delivered_rps is not None, record
    assert record.gaps == ()
    assert summary.workers == 2 and summary.failures == 0
    # A user behind its schedule takes a request of the budget before sending it: none overshoots.
    assert requests_the_app_counted(harness_stack) - before == BUDGET
    assert requests_the_app_counted(harness_stack, ORDERS_CREATED) - orders_before > BUDGET / 8  # about 1 in 4, JSON accepted
