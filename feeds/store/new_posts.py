"""New posts written together: creates that arrive while a write is under way share the
next write transaction (group commit).

Why: on SQLite every write waits for the one writer, and a transaction's cost is mostly
per statement, not per row. One create alone is seven statements; fifty waiting creates
written one by one made the fiftieth wait for 350 statements (docs/benchmarks.md,
"Publishing"). Written together they are the same seven statements, each carrying every
row, and the whole transaction is one hand-over to the store's thread
(StoreBase.in_transaction).

Each create keeps its own outcome: a slug, entry id or Idempotency-Key that another post
(stored, or earlier in the same batch) has fails that create alone, exactly as it would
have failed alone. Anything else the database refuses (another process wrote the same slug
a moment ago) rolls the batch back, and its creates are written one at a time instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import CompoundSelect, insert, select, tuple_, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from feeds.errors import ConflictError, InvalidPostError, StoreBusyError
from feeds.feedset import author_keys
from feeds.models import Post, PostStatus
from feeds.store import schema as t
from feeds.store.engine import StoreBase
from feeds.store.inserts import insert_with_ids

MAX_BATCH = 200
"""Creates written in one transaction at most (bounded time holding the writer)."""


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's Idempotency-Key, stored in the same transaction as what it created."""

    scope: str
    key: str
    request_hash: str
    resource: str


@dataclass(frozen=True, slots=True)
class NewPost:
    post: Post
    dirty_keys: tuple[str, ...]
    now: datetime
    idempotency: Idempotency | None
    done: asyncio.Future[Post] = field(compare=False)
    """The post as stored (its id, its authors' feeds)."""


WriteOne = Callable[[NewPost], Awaitable[Post]]
"""The one-create-per-transaction path, for a batch the database refused."""


class NewPostBatcher:
    def __init__(self, store: StoreBase, write_one: WriteOne,
                 values: Callable[[Post], dict[str, object]],
                 links: Callable[[Connection, list[tuple[int, Post]]], list[Post]],
                 ) -> None:
        self._store = store
        self._write_one = write_one
        self._values = values
        self._links = links
        self._queue: list[NewPost] = []
        self._drainer: asyncio.Task[None] | None = None

    async def add(self, item: NewPost) -> Post:
        self._queue.append(item)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await item.done

    async def drained(self) -> None:
        """Wait until the creates queued so far are written (the store's close). Their
        callers may have gone (a client that left): their posts are stored all the same."""
        if self._drainer is not None and not self._drainer.done():
            await asyncio.wait([self._drainer])

    async def _drain(self) -> None:
        while self._queue:
            batch: list[NewPost] = []
            try:
                async with self._store.write_turn():
                    # Taken once the writer is ours: whatever queued while we waited joins.
                    batch = [i for i in self._queue[:MAX_BATCH] if not i.done.done()]
                    del self._queue[:MAX_BATCH]
                    # The whole transaction in one hand-over (StoreBase.in_transaction).
                    outcomes = await self._store.in_transaction(
                        partial(self._write, batch=batch))
            except IntegrityError:
                outcomes = [await self._alone(item) for item in batch]
            except StoreBusyError as exc:  # no write turn to be had (another process)
                # Every create queued waits for that same turn: each is answered with it.
                batch = [i for i in self._queue if not i.done.done()]
                self._queue.clear()
                outcomes = [exc] * len(batch)
            except Exception as exc:  # the answer of each create
                outcomes = [exc] * len(batch)
            except asyncio.CancelledError:
                # Shutting down: these are not written, but for a batch whose transaction
                # the store's thread had already begun: it may still commit, its callers
                # answered as a dropped connection would be (a retry with the same
                # Idempotency-Key finds the post). Store.close() waits for the drain first.
                for item in [*batch, *self._queue]:
                    item.done.cancel()
                self._queue.clear()
                raise
            for item, outcome in zip(batch, outcomes, strict=True):
                _settle(item, outcome)

    async def _alone(self, item: NewPost) -> Post | BaseException:
        try:
            return await self._write_one(item)
        except Exception as exc:  # this create's answer
            return exc

    def _write(self, conn: Connection, batch: list[NewPost]) -> list[Post | BaseException]:
        if not batch:
            return []
        refusals = _refusals(conn, batch)
        todo = [(n, item) for n, item in enumerate(batch) if refusals[n] is None]
        if not todo:
            return [r for r in refusals if r is not None]
        rows = [{**self._values(item.post), "created": item.now} for _, item in todo]
        ids = insert_with_ids(conn, t.posts, rows)
        linked = self._links(conn, [(i, item.post)
                                    for i, (_, item) in zip(ids, todo, strict=True)])
        # Its authors' feeds too: only the links say which author a name is.
        dirty = {(item.post.site_id, k): item.now
                 for (_, item), post in zip(todo, linked, strict=True)
                 for k in (*item.dirty_keys, *author_keys(post))}
        if dirty:
            conn.execute(insert(t.dirty_feeds), [
                {"site_id": site_id, "key": key, "marked_at": now}
                for (site_id, key), now in sorted(dirty.items())])
        keys = [{"scope": idem.scope, "key": idem.key, "request_hash": idem.request_hash,
                 "resource": idem.resource, "resource_id": i, "created": item.now}
                for i, (_, item) in zip(ids, todo, strict=True)
                if (idem := item.idempotency) is not None]
        if keys:
            conn.execute(insert(t.idempotency_keys), keys)
        written = iter([replace(post, id=i) for i, post in zip(ids, linked, strict=True)])
        return [next(written) if refusal is None else refusal for refusal in refusals]


def _refusals(conn: Connection, batch: list[NewPost]) -> list[Exception | None]:
    """Per create: why it cannot be stored (a clash with a stored post, with an earlier
    create of the batch, or a key already used), or None."""
    stored = conn.execute(stored_clashes(_by_site(batch))).all()
    slugs = {(r.site_id, r.slug): r.status for r in stored}
    eids = {(r.site_id, r.entry_id): r.status for r in stored}
    asked = [(i.idempotency.scope, i.idempotency.key) for i in batch if i.idempotency]
    used: set[tuple[str, str]] = set()
    if asked:
        k = t.idempotency_keys.c
        used = {(r.scope, r.key) for r in conn.execute(
            select(k.scope, k.key).where(tuple_(k.scope, k.key).in_(asked)))}
    out: list[Exception | None] = []
    for item in batch:
        post = item.post
        # The field named as the one-at-a-time path names it: the entry id first.
        if (post.site_id, post.entry_id) in eids:
            out.append(taken_by("entry_id", eids[post.site_id, post.entry_id]))
        elif (post.site_id, post.slug) in slugs:
            out.append(taken_by("slug", slugs[post.site_id, post.slug]))
        elif _scope_key(item) in used:
            out.append(ConflictError("not stored: the Idempotency-Key was used meanwhile"))
        else:
            out.append(None)
            slugs[post.site_id, post.slug] = eids[post.site_id, post.entry_id] = post.status
            if (key := _scope_key(item)) is not None:
                used.add(key)
    return out


def taken_by(field: str, status: str) -> InvalidPostError:
    """The refusal of a new post whose slug or entry id another post (of `status`) has. A
    deleted post keeps both (an import must not bring it back, its links must not lead to
    another post): said, since no other post is to be seen."""
    if status == PostStatus.DELETED:
        return InvalidPostError(field, "a deleted post has it (a deleted post keeps its "
                                "slug and entry id)")
    return InvalidPostError(field, "another post already has it")


def stored_clashes(sites: list[tuple[int, list[str], list[str]]]) -> CompoundSelect[Any]:
    """Stored posts that have one of the slugs or entry ids, per (site id, slugs, entry
    ids). One SELECT per unique index, joined by UNION ALL (at most 2 x MAX_BATCH terms,
    within SQLite's 500): with `slug IN (..) OR entry_id IN (..)` in one WHERE, SQLite
    walked every post of the site by site_id, each batch slower as the site grew
    (docs/benchmarks.md, "Sixth pass")."""
    p = t.posts.c
    columns = (p.site_id, p.slug, p.entry_id, p.status)
    return union_all(*(
        q for site_id, slugs, eids in sites
        for q in (select(*columns).where(p.site_id == site_id, p.slug.in_(slugs)),
                  select(*columns).where(p.site_id == site_id, p.entry_id.in_(eids)))))


def _by_site(batch: Iterable[NewPost]) -> list[tuple[int, list[str], list[str]]]:
    sites: dict[int, tuple[set[str], set[str]]] = {}
    for item in batch:
        slugs, eids = sites.setdefault(item.post.site_id, (set(), set()))
        slugs.add(item.post.slug)
        eids.add(item.post.entry_id)
    return [(s, sorted(a), sorted(b)) for s, (a, b) in sorted(sites.items())]


def _scope_key(item: NewPost) -> tuple[str, str] | None:
    return (item.idempotency.scope, item.idempotency.key) if item.idempotency else None


def _settle(item: NewPost, outcome: Post | BaseException) -> None:
    if item.done.done():  # its caller went away
        return
    if isinstance(outcome, BaseException):
        item.done.set_exception(outcome)
    else:
        item.done.set_result(outcome)
