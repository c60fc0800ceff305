"""What the scheduled jobs do. Each is level-triggered: it asks the store what is due, so a
skipped or cancelled run loses nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from aiohttp import web

from feeds.feedset import touched_keys
from feeds.models import Site
from feeds.publishing import Regenerated
from feeds.store import RunStart
from server.keys import (
    CLOCK,
    FEEDS,
    PUBLISHER,
    SETTINGS,
    SITES,
    SITES_CHANGED,
    STORE,
    WAKE_OUTBOX,
)
from server.made_with import with_remakes
from server.stored_changes import follow_stored

log = logging.getLogger("syndic.jobs")
IMPORT_HOLD = timedelta(seconds=30)
"""An import whose heartbeat is older than this has died: its site is no longer held."""


@dataclass(slots=True)
class Gate:
    """One run of a job at a time; a wake-up during a run asks for one more right after."""

    running: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a run is under way: shutdown waits for it instead of cancelling it."""
    again: bool = False
    """A change arrived during a run (wake()): run once more right after it."""
    gap: float = 0.0
    """Seconds between that run and the next (changes arriving meanwhile join it)."""
    _between: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    """Set while no run is under way (between two runs of one run() too)."""

    def __post_init__(self) -> None:
        self._between.set()

    async def run(self, work: Callable[[], Awaitable[int]]) -> int:
        async with self.running:
            done = await self._once(work)
            while self.again:
                if self.gap:
                    await asyncio.sleep(self.gap)
                self.again = False
                done += await self._once(work)
            return done

    async def _once(self, work: Callable[[], Awaitable[int]]) -> int:
        self._between.clear()
        try:
            return await work()
        finally:
            self._between.set()

    async def run_ended(self) -> None:
        """Return when the run under way ends (at once when none is). Not the runs after
        it: a waiter makes progress even while runs follow each other back to back."""
        await self._between.wait()


@dataclass(slots=True)
class JobState(Gate):
    due_checked_until: datetime = field(default_factory=lambda: datetime.min.replace(
        tzinfo=UTC))


FEED_CHANGES_KEPT = timedelta(hours=1)
"""How long the feed-change log keeps a row: every server reads it within a poll, and one
that did not for this long compares every stored feed instead (server/stored_changes.py)."""


async def prune_feed_changes(app: web.Application) -> int:
    return await app[STORE].prune_changes(app[CLOCK].now() - FEED_CHANGES_KEPT)


async def forget_idempotency_keys(app: web.Application) -> int:
    """Forget Idempotency-Keys older than api.idempotency_hours (level-triggered: whatever
    is old now goes)."""
    hours = app[SETTINGS].api.idempotency_hours
    return await app[STORE].forget_keys_before(app[CLOCK].now() - timedelta(hours=hours))


async def regenerate(app: web.Application, state: JobState,
                     site_feeds: bool | None = None,
                     stop: Callable[[], bool] | None = None,
                     after: Gate | None = None) -> int:
    """Publish posts that came due, render dirty feeds, swap changed artifacts into memory.
    Returns how many artifacts changed. The scheduler runs it as two jobs: the site feeds
    (site_feeds=True, which also publishes what came due), and all other feeds (False), so
    that a new post shows in the site feed without waiting for its label and author feeds
    to be rendered; None does both at once. `stop`: see Publisher.regenerate_dirty.
    `after`: the site feeds' job, which the other feeds' job lets go first: before each
    feed it waits for that job's run under way to end (site feeds are what most readers
    poll; a label feed rendered beside a site-feed run made the run twice as long)."""
    return await state.run(lambda: _regenerate(app, state, site_feeds, stop, after))


async def _regenerate(app: web.Application, state: JobState, site_feeds: bool | None,
                      stop: Callable[[], bool] | None = None,
                      after: Gate | None = None) -> int:
    store, publisher = app[STORE], app[PUBLISHER]
    started = time.perf_counter()
    now = app[CLOCK].now()
    only, besides = publisher.dirty_filter(site_feeds)
    due_since = None if site_feeds is False else state.due_checked_until
    # Everything the run reads before it renders, in one hand-over (feeds/store/runs.py);
    # the site feeds' job also reads the versions other servers stored since it last looked.
    follow = None if site_feeds is False else app[FEEDS].changes_seen
    start = await store.regeneration_start(now, IMPORT_HOLD, due_since=due_since, only=only,
                                           besides=besides, changes_after=follow)
    if due_since is not None and await _publish_due(app, state, now, start):
        # What was just published, or came due, marked its feeds: their rows are new. The
        # sites are read again after them: a `syndic site set` that committed in between
        # marked its feeds, which must render with the site as changed.
        dirty = await store.dirty_feeds(start.held, only, besides)
        start = replace(start, dirty=dirty, sites=tuple(await store.sites()))
    _follow_sites(app, start.sites)
    # Before rendering: a feed another server stored is then no new version here when it
    # renders to the same bytes (no second store, no second push).
    await follow_stored(app, start.changes)
    # An import under way holds its site: its feeds render once, when it is done.
    held, dirty = start.held, start.dirty
    if remake := app[FEEDS].remake:  # this run's share of them
        mine = None if site_feeds is None else publisher.site_feed_keys
        dirty = with_remakes(dirty, remake, held, mine, bool(site_feeds))
    if not dirty:
        return 0
    # The feeds are rendered as of now, read AFTER their dirty rows: a post created while
    # this run started (dated after the first `now`) marked its feeds in its own
    # transaction, and once its rows are read here it must show. Rendered as of the
    # earlier time, it was left out, the bytes did not change, the rows were cleared, and
    # the post stayed out of its feeds until their next change (a push never sent).
    now = app[CLOCK].now()
    sites = app[SITES]
    changed = 0

    def apply(batch: Regenerated) -> None:
        nonlocal changed
        if batch.changed and batch.changed[0].site_id not in sites.by_id:
            return  # the site was deleted during the run: its feeds were dropped
        app[FEEDS].apply(batch)
        changed += len(batch.changed)

    result = await publisher.regenerate_dirty(sites.by_id, now, on_batch=apply, held=held,
                                              site_feeds=site_feeds, dirty=dirty, stop=stop,
                                              pause=None if after is None else after.run_ended)
    if result.deliveries and WAKE_OUTBOX in app:
        # Deliveries for the changed feeds were just written. None (no subscriber, hub or
        # ping service for them): the outbox has nothing new, and its two reads at every
        # run were a tenth of the SQL under one writer (docs/benchmarks.md, "Sixth pass").
        app[WAKE_OUTBOX]()
    if changed or result.dropped:
        log.info("regenerated %d feeds: %d artifacts changed, %d feeds gone (%s, %.1f ms)",
                 result.rendered_keys, changed, len(result.dropped),
                 _JOB_NAMES[site_feeds], (time.perf_counter() - started) * 1000)
    return changed


def _follow_sites(app: web.Application, stored: tuple[Site, ...]) -> None:
    """The directory made what the store holds (level-triggered: every run compares), so a
    site created, changed or removed by another process is served as it is now, and its
    dirty feeds (`syndic site set` marks them) render with the site as changed; the
    followers are told too (server/workers.py)."""
    sites = app[SITES]
    if stored and stored != tuple(sites.by_id.values()):
        sites.replace(stored)
        app[SITES_CHANGED]()


_JOB_NAMES = {True: "site feeds", False: "other feeds", None: "every feed"}


async def _publish_due(app: web.Application, state: JobState, now: datetime,
                       start: RunStart) -> bool:
    """Publish scheduled posts whose time came (also those overdue after downtime), and
    mark the feeds of posts that came due; True when it wrote anything."""
    store, ctx = app[STORE], app[PUBLISHER].ctx
    wrote = False
    if start.any_due:
        for post in await store.publish_due(now, lambda p: touched_keys(None, p, ctx)):
            log.info("published scheduled post %d %s", post.id, post.slug)
            wrote = True
    if now > state.due_checked_until:
        for post in start.came_due:
            await store.mark_dirty(post.site_id, sorted(touched_keys(None, post, ctx)), now)
            wrote = True
        state.due_checked_until = now
    return wrote
