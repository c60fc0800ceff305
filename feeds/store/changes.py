"""The feed-change log (schema.feed_changes): which feeds each regeneration stored, dropped
or rendered again, in the order those transactions committed. A server reads what other
servers logged since it last looked (server/stored_changes.py), cheaply: one indexed query
that finds nothing when nothing changed.

Why a log with ids of our own, not `rendered_at > last seen` or a sequence: a timestamp
comes from the clock of the host that rendered (a host whose clock is behind stores a
version dated before what a reader has already seen, and it is never found), two versions
can share one, and a render's time is not its commit's (rendered at t1, committed after
another committed at t2 > t1). A sequence's numbers are taken when the row is written, not
when it commits: on PostgreSQL id 11 can commit before id 10, and a reader that saw 11
never looks at 10 again. Here each saving transaction takes max(id) + 1 as its last
statements, under a lock that is held until it commits (SQLite: the database's one writer;
PostgreSQL: LOCK TABLE ... IN EXCLUSIVE MODE, which readers do not wait for), so ids commit
in increasing order and without gaps. A drop leaves no artifact row; its log row says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, select, text
from sqlalchemy.engine import Connection

from feeds.models import FeedFormat
from feeds.store import schema as t
from feeds.store.engine import StoreBase

CHANGES_PAGE = 256
"""Log rows a poll reads at most (the next page is read at once)."""


@dataclass(frozen=True, slots=True)
class StoredFeed:
    """A feed named by a log row, as the artifacts table holds it when the row is read."""

    change_id: int
    """The highest log id naming it in the page read."""
    site_id: int
    key: str
    versions: dict[FeedFormat, tuple[str, datetime | None]]
    """Each stored format's (ETag, Last-Modified); empty: the feed is not stored any more."""
    made_with: dict[FeedFormat, str | None] = field(default_factory=dict)
    """Each stored format's settings fingerprint (artifacts.made_with)."""


@dataclass(frozen=True, slots=True)
class StoredChanges:
    feeds: list[StoredFeed]
    """Feeds named by log rows after `after`, this process's own rows left out."""
    first: int | None
    """The lowest id read (None: none). After `after` + 1, rows were pruned unread."""
    last: int
    """The highest id read (`after` when none): where the next read starts."""
    full: bool = False
    """As many rows as a page holds: there may be more."""


def lock_changes(conn: Connection) -> None:
    """Take the log's lock in the caller's transaction, to its commit: saving transactions
    then run one at a time from here, as SQLite's one writer makes them anyway (on
    PostgreSQL, LOCK TABLE ... IN EXCLUSIVE MODE: writers wait, readers do not). Taken
    again by log_changes, which is then nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE feed_changes IN EXCLUSIVE MODE"))


def log_changes(conn: Connection, feeds: Iterable[tuple[int, str]], now: datetime
                ) -> list[int]:
    """Log `feeds` (site, key) in the caller's transaction, as its last statements (the
    lock is held until the commit). Returns the ids given."""
    listed = sorted(set(feeds))
    if not listed:
        return []
    lock_changes(conn)  # writers wait for each other from here to the commit
    top = conn.execute(select(func.max(t.feed_changes.c.id))).scalar() or 0
    ids = list(range(top + 1, top + 1 + len(listed)))
    conn.execute(insert(t.feed_changes), [
        {"id": i, "site_id": site_id, "key": key, "changed_at": now}
        for i, (site_id, key) in zip(ids, listed, strict=True)])
    return ids


def _changes_query() -> Select[Any]:
    """A page of log rows after :after, each joined to its feed's stored versions: one
    query, by the primary keys of both tables (made once: it runs four times a second)."""
    c, a = t.feed_changes.c, t.artifacts.c
    ids = (select(c.id).where(c.id > bindparam("after")).order_by(c.id)
           .limit(CHANGES_PAGE).scalar_subquery())
    return (select(c.id, c.site_id, c.key, a.format, a.etag, a.last_modified, a.made_with)
            .select_from(t.feed_changes.outerjoin(
                t.artifacts, (a.site_id == c.site_id) & (a.key == c.key)))
            .where(c.id.in_(ids)).order_by(c.id))


_CHANGES = _changes_query()


def read_changes(conn: Connection, after: int, own: frozenset[int] = frozenset()
                 ) -> StoredChanges:
    """Log rows after `after` (a page), each feed with its stored versions."""
    feeds: dict[tuple[int, str], StoredFeed] = {}
    first, last, count = None, after, 0
    for change_id, site_id, key, fmt, etag, modified, made_with in conn.execute(
            _CHANGES, {"after": after}):
        if change_id != last:
            count += 1
        first = change_id if first is None else first
        last = change_id
        if change_id in own:
            continue
        feed = feeds.get((site_id, key))
        if feed is None or feed.change_id != change_id:
            # A later row for the same feed: the artifact rows are read once per row.
            feed = feeds[(site_id, key)] = StoredFeed(change_id, site_id, key, {})
        if fmt is not None:
            feed.versions[FeedFormat(fmt)] = (etag, modified)
            feed.made_with[FeedFormat(fmt)] = made_with
    return StoredChanges(list(feeds.values()), first, last, count == CHANGES_PAGE)


class Changes(StoreBase):
    _own_changes: set[int] | None = None
    """Log ids this store object wrote (this process's saves): a poll leaves them out."""

    def _remember_own(self, ids: list[int]) -> None:
        if self._own_changes is None:
            self._own_changes = set()
        self._own_changes.update(ids)

    def _forget_own(self, upto: int) -> frozenset[int]:
        """The own ids, those up to `upto` forgotten (read once: never asked again)."""
        own = frozenset(self._own_changes or ())
        if own:
            self._own_changes = {i for i in own if i > upto}
        return own

    async def last_change_id(self) -> int:
        """The newest log id (0: none): where a server that has just read every artifact
        starts following."""
        last: int = await self.reading(lambda conn: conn.execute(
            select(func.max(t.feed_changes.c.id))).scalar() or 0)
        return last

    async def stored_changes(self, after: int) -> StoredChanges:
        """The next page of log rows after `after` (read_changes), in one hand-over."""
        own = self._forget_own(after)
        changes: StoredChanges = await self.reading(lambda conn: read_changes(conn, after, own))
        return changes

    async def prune_changes(self, before: datetime) -> int:
        """Log rows older than `before`, oldest first and never the newest (the next id is
        max + 1: ids must not start again). A server that has not polled since reads a gap
        and compares every stored feed instead (server/stored_changes.py)."""
        c = t.feed_changes.c

        def work(conn: Connection) -> int:
            top = conn.execute(select(func.max(c.id)).where(c.changed_at < before)).scalar()
            newest = conn.execute(select(func.max(c.id))).scalar()
            if top is None or newest is None:
                return 0
            # A prefix of the ids (dates from several hosts' clocks need not be in order).
            return int(conn.execute(delete(t.feed_changes).where(
                c.id <= min(top, newest - 1))).rowcount)

        pruned: int = await self.write_through(work)
        return pruned
