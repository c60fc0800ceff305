"""The ONLY module that imports APScheduler (3.11): wiring and job registration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from server import jobs
from server.keys import CLOCK, SETTINGS, WAKE

SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
JOB_STATE = web.AppKey("job_state", jobs.JobState)


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    scheduler = AsyncIOScheduler(timezone="UTC")
    state = jobs.JobState(due_checked_until=app[CLOCK].now())
    scheduler.add_job(
        jobs.regenerate,
        "interval",
        seconds=settings.feeds.change_poll_seconds,
        args=(app, state),
        id="regenerate",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=30,
    )
    scheduler.add_job(
        jobs.forget_idempotency_keys, "interval", hours=1, args=(app,),
        id="forget_idempotency_keys", coalesce=True, max_instances=1, misfire_grace_time=3600,
    )
    scheduler.start()
    app[SCHEDULER] = scheduler
    app[JOB_STATE] = state

    def wake() -> None:
        """A change was written: regenerate now, not at the next poll."""
        if state.running.locked():
            state.again = True
        else:
            scheduler.modify_job("regenerate", next_run_time=datetime.now(UTC))

    app[WAKE] = wake
    yield
    # Let a run under way finish (its store and executor are still open) instead of
    # cancelling it mid-query: pause, wait for it, then stop.
    scheduler.pause()
    async with state.running:
        scheduler.shutdown(wait=False)
