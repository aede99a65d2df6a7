"""The sample app's background loops: stopped by asking, replaced by name, never left running."""

from __future__ import annotations

import asyncio

from harness.sample_app.tasks import Tasks, every, pause


async def until_stopped(log: list[str], name: str, stop: asyncio.Event) -> None:
    log.append(f"{name} started")
    await stop.wait()
    log.append(f"{name} stopped")


def test_stopping_a_loop_waits_until_it_has_returned() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        tasks = Tasks()
        await tasks.start("producer", lambda stop: until_stopped(log, "producer", stop))
        await asyncio.sleep(0)
        await tasks.stop("producer")
        return log

    assert asyncio.run(scenario()) == ["producer started", "producer stopped"]


def test_starting_a_name_again_stops_the_loop_running_under_it_first() -> None:
    async def scenario() -> tuple[list[str], bool]:
        log: list[str] = []
        tasks = Tasks()
        await tasks.start("leak", lambda stop: until_stopped(log, "first", stop))
        await asyncio.sleep(0)
        await tasks.start("leak", lambda stop: until_stopped(log, "second", stop))
        await asyncio.sleep(0)
        running = tasks.running("leak")
        await tasks.stop_all()
        return log, running

    log, running = asyncio.run(scenario())
    assert log == ["first started", "first stopped", "second started", "second stopped"]
    assert running


def test_stopping_a_name_that_is_not_running_does_nothing() -> None:
    asyncio.run(Tasks().stop("nothing"))


def test_a_loop_that_fails_no_longer_counts_as_running_and_can_still_be_stopped() -> None:
    async def failing(stop: asyncio.Event) -> None:
        raise RuntimeError("boom")

    async def scenario() -> bool:
        tasks = Tasks()
        await tasks.start("broken", failing)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        running = tasks.running("broken")
        await tasks.stop("broken")
        return running

    assert asyncio.run(scenario()) is False


def test_pause_returns_at_once_when_already_asked_to_stop() -> None:
    async def scenario() -> bool:
        stop = asyncio.Event()
        stop.set()
        return await pause(stop, 3600)

    assert asyncio.run(scenario()) is True


def test_every_stops_when_its_step_says_it_is_done() -> None:
    async def scenario() -> int:
        calls = 0

        async def step(elapsed: float) -> bool:
            nonlocal calls
            calls += 1
            return calls == 3

        await every(0.0, asyncio.Event(), step)
        return calls

    assert asyncio.run(scenario()) == 3
