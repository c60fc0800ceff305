"""What a regeneration run reads before it renders, in one hand-over.

Why one: under load (50 API writers) each hand-over to the store's thread waited 7-10 ms
for the GIL and a turn of the event loop, and a site-feed run began with four of them
(scheduled posts due, posts that came due, held sites, dirty rows) that read almost
nothing (docs/benchmarks.md, "Sixth pass")."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from feeds.models import Post, Site
from feeds.store.artifacts import dirty_rows
from feeds.store.changes import Changes, StoredChanges, read_changes
from feeds.store.imports import held_site_ids
from feeds.store.reads import came_due_posts
from feeds.store.rows import site_from_row
from feeds.store.writes import SITES_IN_ORDER, due_posts


@dataclass(frozen=True, slots=True)
class RunStart:
    held: frozenset[int]
    """Sites an import is writing: left out of the run."""
    dirty: dict[int, tuple[int, list[str]]]
    """Store.dirty_feeds(held, only, besides)."""
    any_due: bool = False
    """A scheduled post's time has come (Store.publish_due has work)."""
    came_due: list[Post] = field(default_factory=list)
    """Store.came_due(since, now)."""
    sites: tuple[Site, ...] = ()
    """Every site, as Store.sites lists them: a site changed by another process (`syndic
    site set`, another server on the same database) reaches the server's directory."""
    changes: StoredChanges | None = None
    """With `changes_after`: the feed-change log's rows after it (other servers' saves)."""


class Runs(Changes):
    async def regeneration_start(
        self, now: datetime, stale_after: timedelta, *, due_since: datetime | None = None,
        only: Collection[str] = (), besides: Collection[str] = (),
        changes_after: int | None = None,
    ) -> RunStart:
        """The held sites and the dirty rows (only / besides: Store.dirty_feeds); with
        `due_since`, also whether scheduled posts are due and the posts that came due in
        (due_since, now]; with `changes_after`, the feed-change log after that id
        (Store.stored_changes)."""
        own = frozenset[int]() if changes_after is None else self._forget_own(changes_after)

        def work(conn: Connection) -> RunStart:
            any_due, came = False, list[Post]()
            # The log before the sites: a change read here was committed before the sites
            # are, so the site of any feed it names is listed (unless deleted since).
            changes = (None if changes_after is None
                       else read_changes(conn, changes_after, own))
            if due_since is not None:
                any_due = conn.execute(due_posts(now).limit(1)).first() is not None
                came = came_due_posts(conn, due_since, now) if now > due_since else []
            held = held_site_ids(conn, now, stale_after)
            sites = tuple(site_from_row(r._mapping) for r in conn.execute(SITES_IN_ORDER))
            return RunStart(held, dirty_rows(conn, held, only, besides), any_due, came,
                            sites, changes)

        start: RunStart = await self.reading(work)
        return start
