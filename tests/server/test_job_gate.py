"""One run of a job at a time (server/jobs.Gate), and how another job waits for it: the
other feeds' job lets the site feeds' run under way go first, without starving when site
runs follow each other back to back."""

from __future__ import annotations

import asyncio

from server.jobs import Gate


async def test_with_no_run_under_way_a_waiter_goes_at_once() -> None:
    gate = Gate()
    await asyncio.wait_for(gate.run_ended(), timeout=1)


async def test_a_waiter_goes_when_the_run_under_way_ends_not_after_the_runs_that_follow(
) -> None:
    gate = Gate()
    first_may_end, second_may_end = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    async def work() -> int:
        runs.append("started")
        await (first_may_end if len(runs) == 1 else second_may_end).wait()
        return 1

    job = asyncio.create_task(gate.run(work))
    await asyncio.sleep(0)
    gate.again = True  # a change arrived during the first run: a second follows at once
    waiter = asyncio.create_task(gate.run_ended())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    first_may_end.set()
    await asyncio.wait_for(waiter, timeout=1)
    await asyncio.sleep(0.01)
    assert runs == ["started", "started"] and not job.done()  # the second run goes on
    second_may_end.set()
    assert await asyncio.wait_for(job, timeout=1) == 2


async def test_a_run_that_fails_still_lets_its_waiters_go() -> None:
    gate = Gate()
    may_fail = asyncio.Event()

    async def work() -> int:
        await may_fail.wait()
        raise RuntimeError("the store went away")

    job = asyncio.create_task(gate.run(work))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(gate.run_ended())
    may_fail.set()
    await asyncio.wait_for(waiter, timeout=1)
    [outcome] = await asyncio.gather(job, return_exceptions=True)
    assert isinstance(outcome, RuntimeError)
