"""The ONLY module that schedules with APScheduler (3.11): wiring and job registration
(config/ imports its CronTrigger only to check scheduler.full_regeneration as it is read).
Every job has an id, coalesces, runs one instance at a time and has a misfire grace; each
asks the store what is due (server/jobs.py, server/push_jobs.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from server import jobs, push_jobs, sources
from server.keys import CLOCK, SETTINGS, WAKE, WAKE_OUTBOX

SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
JOB_STATE = web.AppKey("job_state", jobs.JobState)
OUTBOX_GATE = web.AppKey("outbox_gate", jobs.Gate)


# APScheduler 3.11's BaseScheduler._process_jobs, when a job is due while its one instance
# still runs (max_instances=1): a WARNING on the "apscheduler.scheduler" logger.
SKIPPED = 'Execution of job "%s" skipped: maximum number of running instances reached (%d)'


class SkippedRunFilter(logging.Filter):
    """Drops APScheduler's "skipped: maximum number of running instances reached" for the
    jobs named: each is level-triggered (it asks the store what is due), so a run skipped
    while the last one works loses nothing, and a slow regeneration logged it at every
    poll (55 lines in 14 s, and one at every start: QA). Not `coalesce`, which folds missed
    runs together but still submits while one runs; not the logger at ERROR, which would
    hide its other warnings (a job that raised, a missed run); not max_instances=2, which
    would run the regeneration twice at once. APScheduler offers no switch for this line."""

    def __init__(self, job_ids: Iterable[str]) -> None:
        super().__init__()
        self.job_ids = frozenset(job_ids)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != SKIPPED or not isinstance(record.args, tuple) or not record.args:
            return True
        return getattr(record.args[0], "id", None) not in self.job_ids


def _every(scheduler: AsyncIOScheduler, job_id: str, func: Callable[..., Awaitable[Any]],
           args: tuple[Any, ...], grace: int, **trigger: Any) -> None:
    kind = "cron" if "cron" in trigger else "interval"
    if kind == "cron":
        trigger = {"trigger": CronTrigger.from_crontab(trigger["cron"], timezone="UTC")}
    else:
        trigger = {"trigger": "interval", **trigger}
    scheduler.add_job(func, **trigger, args=args, id=job_id, coalesce=True, max_instances=1,
                      misfire_grace_time=grace)


def _waker(scheduler: AsyncIOScheduler, job_id: str, gate: jobs.Gate) -> Callable[[], None]:
    def wake() -> None:
        """Run the job now, not at its next poll (once more after a run under way)."""
        if gate.running.locked():
            gate.again = True
        else:
            scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

    return wake


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    scheduler = AsyncIOScheduler(timezone="UTC")
    state = jobs.JobState(due_checked_until=app[CLOCK].now(),
                          gap=settings.feeds.site_feeds_gap_seconds)
    others = jobs.JobState(gap=settings.feeds.other_feeds_gap_seconds)
    gate = jobs.Gate()

    async def run_outbox() -> int:
        return await gate.run(lambda: push_jobs.outbox(app))

    # Two regeneration jobs (server/jobs.py): the site feeds, and every other feed.
    _every(scheduler, "regenerate_site_feeds", jobs.regenerate, (app, state, True), 30,
           seconds=settings.feeds.change_poll_seconds)
    _every(scheduler, "regenerate", jobs.regenerate, (app, others, False, None, state), 30,
           seconds=settings.feeds.change_poll_seconds)
    _every(scheduler, "outbox", run_outbox, (), 30,
           seconds=settings.scheduler.outbox_poll_seconds)
    _every(scheduler, "expire_leases", push_jobs.expire_leases, (app,), 300, minutes=1)
    _every(scheduler, "prune_deliveries", push_jobs.prune_deliveries, (app,), 3600, hours=1)
    _every(scheduler, "forget_idempotency_keys", jobs.forget_idempotency_keys, (app,), 3600,
           hours=1)
    _every(scheduler, "prune_feed_changes", jobs.prune_feed_changes, (app,), 3600, hours=1)
    if settings.sources:
        _every(scheduler, "sources", sources.check_sources, (app,), 300, seconds=30,
               next_run_time=datetime.now(UTC))
    if settings.scheduler.full_regeneration:
        _every(scheduler, "full_regeneration", push_jobs.full_regeneration, (app,), 3600,
               cron=settings.scheduler.full_regeneration)
    quiet = SkippedRunFilter(job.id for job in scheduler.get_jobs())
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    scheduler_log.addFilter(quiet)
    scheduler.start()
    app[SCHEDULER] = scheduler
    app[JOB_STATE] = state
    app[OUTBOX_GATE] = gate
    wake_site_feeds = _waker(scheduler, "regenerate_site_feeds", state)
    wake_others = _waker(scheduler, "regenerate", others)

    def wake_both() -> None:
        wake_site_feeds()
        wake_others()

    app[WAKE] = wake_both
    app[WAKE_OUTBOX] = _waker(scheduler, "outbox", gate)
    yield
    # Let runs under way finish (their store and clients are still open) instead of
    # cancelling them mid-query: pause, wait for them, then stop.
    scheduler.pause()
    async with state.running, others.running, gate.running:
        scheduler.shutdown(wait=False)
    scheduler_log.removeFilter(quiet)
