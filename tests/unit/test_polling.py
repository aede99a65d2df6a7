import threading

import pytest

from harness import polling


@pytest.fixture(autouse=True)
def _fresh_cancellation() -> None:
    polling.reset_cancellation()
    yield
    polling.reset_cancellation()


def test_cancel_wakes_a_thread_sleeping_through_a_scenario_step() -> None:
    raised: list[BaseException] = []

    def step() -> None:
        try:
            polling.sleep(60)
        except polling.Cancelled as error:
            raised.append(error)

    worker = threading.Thread(target=step)
    worker.start()
    polling.cancel()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert len(raised) == 1


def test_a_wait_that_is_cancelled_stops_polling() -> None:
    polling.cancel()

    with pytest.raises(polling.Cancelled):
        polling.wait_for(lambda: None, timeout=60, interval=0.1, describe="never")


def test_waits_work_again_once_cancellation_is_reset() -> None:
    polling.cancel()
    polling.reset_cancellation()

    assert polling.wait_for(lambda: "ready", timeout=1, describe="ready") == "ready"
