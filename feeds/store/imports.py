"""Imports written a batch at a time: many posts (with labels and authors) and comments in
one transaction, the feeds they touch marked dirty in it; and import runs, which hold a
site's regeneration until the import is done (each feed then renders once, not per post).

Every post and comment an import writes carries the digest of what it wrote
(`import_digest`): when the row's fields no longer give that digest, it was changed in
syndic since (an edit, a moderation), which a re-import must not undo
(feeds/imports/apply.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from feeds.errors import NotFoundError
from feeds.models import Author, Comment, Post, PostKind, PostStatus
from feeds.store import schema as t
from feeds.store.authors import author_slug
from feeds.store.engine import StoreBase
from feeds.store.inserts import insert_with_ids
from feeds.store.reads import complete_posts
from feeds.store.rows import comment_from_row
from feeds.store.writes import mark_dirty, post_values, write_post_links


class BatchWritten(NamedTuple):
    posts: list[int]
    """The new posts' ids, in order."""
    comments: list[int]
    """The comments' ids, in order."""
    stale: frozenset[int]
    """Changed posts not written: changed in syndic since they were read."""
    authors: frozenset[str] = frozenset()
    """The author feeds the posts were or are in (marked dirty, but for `marked`)."""


@dataclass(frozen=True, slots=True)
class ImportRun:
    id: int
    site_id: int
    source: str
    state: str
    """running, done or failed."""
    started: datetime
    heartbeat: datetime
    finished: datetime | None
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredComment:
    """What an import needs to know of a comment already stored."""

    id: int
    entry_id: str
    status: str
    content_html: str
    post_id: int
    as_imported: bool | None = None
    """True: as an import last wrote it; False: changed in syndic since (moderated, edited);
    None: no import wrote it (or one before revision 0005), nobody can tell."""


def _digest(fields: list[Any]) -> str:
    """SHA-256 of the fields, each length-prefixed (no two lists of fields share one input).
    A text as its UTF-8; anything else (lists of texts, numbers, None) as its repr. Not JSON:
    json.dumps of a post's content took 50 us of the 80 a digest took, on every imported
    post (docs/benchmarks.md, "Seventh pass")."""
    h = hashlib.sha256()
    for value in fields:
        data = (value if isinstance(value, str) else repr(value)).encode("utf-8", "surrogatepass")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def post_digest(post: Post) -> str:
    """The digest of what an import compares and writes of a post. A scheduled post counts
    as published: its coming due (store.publish_due) is not a change made in syndic."""
    status = PostStatus.PUBLISHED if post.status is PostStatus.SCHEDULED else post.status
    # A page's kind is in its digest, a post's is not: the digests recorded before revision
    # 0013 (every row a post) still match, and a page made a post in syndic is its change.
    page = [post.kind.value] if post.kind is PostKind.PAGE else []
    return _digest([
        post.title, post.summary, post.content_html, status.value, _utc(post.published),
        _utc(post.updated), list(post.labels), [[a.name, a.uri, a.email] for a in post.authors],
        [[e.url, e.type, e.length] for e in post.enclosures], post.slug, *page,
    ])


def comment_digest(comment: Comment) -> str:
    """The digest of what moderation and editing in syndic may change of a comment (not its
    parent: deleting a comment re-parents its replies, which edits none of them)."""
    a = comment.author
    return _digest([a.name, a.uri, a.email, comment.content_html, comment.status.value,
                    _utc(comment.published)])


def _as_imported(digest: str, recorded: str | None) -> bool | None:
    return None if recorded is None else digest == recorded


def _run(row: Any) -> ImportRun:
    return ImportRun(row.id, row.site_id, row.source, row.state, row.started, row.heartbeat,
                     row.finished, json.loads(row.report_json))


class ImportWrites(StoreBase):

    async def posts_by_entry_id(self, site_id: int, entry_ids: list[str]) -> dict[str, Post]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.posts).where(
                t.posts.c.site_id == site_id, t.posts.c.entry_id.in_(entry_ids)))
            posts = await conn.run_sync(complete_posts, [r._mapping for r in rows])
        return {p.entry_id: p for p in posts}

    async def posts_by_id(self, site_id: int, ids: Iterable[int]) -> dict[int, Post]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.posts).where(
                t.posts.c.site_id == site_id, t.posts.c.id.in_(list(set(ids)))))
            posts = await conn.run_sync(complete_posts, [r._mapping for r in rows])
        return {p.id: p for p in posts}

    async def slug_owners(self, site_id: int, slugs: Iterable[str]) -> dict[str, str]:
        """slug -> entry id of the post that has it."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.posts.c.slug, t.posts.c.entry_id).where(
                t.posts.c.site_id == site_id, t.posts.c.slug.in_(list(set(slugs)))))
            return {r.slug: r.entry_id for r in rows}

    async def author_slug(self, site_id: int, author: Author) -> str:
        """The slug of the feed of the site's author `author` is, that author kept when new:
        an import's author (a WordPress user) whose old URLs lead to their feed, before
        any post of theirs is written (feeds/store/authors.py)."""
        slug: str = await self.write_through(lambda conn: author_slug(conn, site_id, author))
        return slug

    async def ids_taken(self, ids: Iterable[int]) -> set[int]:
        ids = list(ids)
        if not ids:
            return set()
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.posts.c.id).where(t.posts.c.id.in_(list(ids))))
            return {r.id for r in rows}

    async def posts_as_imported(self, posts: Iterable[Post]) -> dict[int, bool | None]:
        """For each of `posts` (as read from the store), by id: True if it is as an import
        last wrote it, False if it was changed in syndic since, None if no import wrote it
        (made in syndic, or imported before revision 0005)."""
        by_id = {p.id: p for p in posts}
        if not by_id:
            return {}
        p = t.posts.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(p.id, p.import_digest).where(
                p.id.in_(list(by_id))))
            return {r.id: _as_imported(post_digest(by_id[r.id]), r.import_digest)
                    for r in rows}

    async def posts_imported_by(self, ids: Iterable[int]) -> dict[int, str | None]:
        """The kind of import that made each post, by id: feed, wordpress, blogger, folder,
        api, 'import' (before revision 0014, kind unknown), None (made in syndic)."""
        p = t.posts.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(p.id, p.imported_by).where(p.id.in_(list(ids))))
            return {r.id: r.imported_by for r in rows}

    async def comments_by_entry_id(
        self, site_id: int, entry_ids: list[str]
    ) -> dict[str, StoredComment]:
        c = t.comments.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.comments).where(
                c.site_id == site_id, c.entry_id.in_(entry_ids)))
            return {r.entry_id: StoredComment(
                r.id, r.entry_id, r.status, r.content_html, r.post_id,
                _as_imported(comment_digest(comment_from_row(r._mapping)), r.import_digest))
                for r in rows}

    async def deleted_comments(self, site_id: int, entry_ids: Iterable[str]) -> set[str]:
        """Which of the entry ids are of comments deleted in syndic (their tombstones)."""
        d = t.comment_tombstones.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(d.entry_id).where(
                d.site_id == site_id, d.entry_id.in_(list(set(entry_ids)))))
            return {r.entry_id for r in rows}

    async def write_batch(
        self, site_id: int, new: list[Post], changed: list[Post], comments: list[Comment],
        dirty_keys: Iterable[str], now: datetime, marked: Collection[str] = (),
        imported_by: str | None = None,
    ) -> BatchWritten:
        """Insert `new` posts (with their id when it is set: Blogger's ids are kept), replace
        `changed` ones, insert comments (id 0) or replace them, and mark the keys dirty (and
        the feeds of the posts' authors, old and new: write_post_links, but for those in
        `marked`, marked by an earlier batch of the import): all or nothing. Each row keeps
        the digest of what was written (posts_as_imported); a new post, the kind of import
        that made it, `imported_by` (posts_imported_by).

        A changed post carries the version after the change (prepare_post: the version read
        plus one), and is written only over the version it was made to: one changed in
        syndic since the import read it (an API edit landing mid-import) is left as it is,
        and named in `stale`."""
        def work(conn: Connection) -> BatchWritten:
            # The rows are made here, in the store's thread, not on the event loop: the
            # loop is what an import waits for (it reads and parses the next batch
            # meanwhile), and hashing a post's content lets the GIL go. Made on the loop,
            # they cost 9 s of a 100,000-post import (docs/benchmarks.md, "Seventh pass").
            new_rows = [{**post_values(p), **({"id": p.id} if p.id else {}), "created": now,
                         "import_digest": post_digest(p), "imported_by": imported_by}
                        for p in new]
            changed_rows = [(p.id, {**post_values(p), "import_digest": post_digest(p)})
                            for p in changed]
            comment_rows = [(c.id, _comment_values(c)) for c in comments]
            post_ids = _insert_posts(conn, new_rows)
            p = t.posts.c
            stale = {post.id for post, (post_id, values) in zip(changed, changed_rows,
                                                                strict=True)
                     if conn.execute(update(t.posts).where(
                         p.id == post_id, p.version == post.version - 1).values(**values)
                     ).rowcount != 1}
            written = [post for post in changed if post.id not in stale]
            _, linked = write_post_links(conn, [*zip(post_ids, new, strict=True),
                                                *((post.id, post) for post in written)],
                                         replacing=written)
            comment_ids = _write_comments(conn, comment_rows)
            authors = frozenset(k for _, k in linked)
            mark_dirty(conn, site_id, [*dirty_keys, *(authors - set(marked))], now)
            return BatchWritten(post_ids, comment_ids, frozenset(stale), authors)

        # One hand-over for the whole batch (StoreBase.write_through).
        written: BatchWritten = await self.write_through(work)
        return written

    # -- runs ------------------------------------------------------------------------

    async def start_import(self, site_id: int, source: str, now: datetime) -> ImportRun:
        async with self.writing() as conn:
            result = await conn.execute(insert(t.import_runs).values(
                site_id=site_id, source=source, state="running", started=now, heartbeat=now,
                report_json="{}"))
            assert result.inserted_primary_key is not None
            run_id = int(result.inserted_primary_key[0])
        return await self.import_run(run_id)

    async def import_heartbeat(self, run_id: int, report: dict[str, Any], now: datetime) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.import_runs).where(t.import_runs.c.id == run_id)
                               .values(heartbeat=now, report_json=json.dumps(report)))

    async def finish_import(self, run_id: int, state: str, report: dict[str, Any],
                            now: datetime) -> None:
        async with self.writing() as conn:
            await conn.execute(update(t.import_runs).where(t.import_runs.c.id == run_id).values(
                state=state, heartbeat=now, finished=now, report_json=json.dumps(report)))

    async def import_run(self, run_id: int, site_id: int | None = None) -> ImportRun:
        query = select(t.import_runs).where(t.import_runs.c.id == run_id)
        if site_id is not None:
            query = query.where(t.import_runs.c.site_id == site_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFoundError("import", str(run_id))
        return _run(row)

    async def import_runs(self, site_id: int, limit: int = 50) -> list[ImportRun]:
        return (await self.page_import_runs(site_id, limit, 0))[1]

    async def page_import_runs(self, site_id: int, limit: int, offset: int
                               ) -> tuple[int, list[ImportRun]]:
        """The site's runs, newest first, and how many it has in all: counted, not loaded
        (a run carries its whole report)."""
        mine = t.import_runs.c.site_id == site_id
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(t.import_runs)
                                        .where(mine))).scalar_one()
            rows = await conn.execute(select(t.import_runs).where(mine)
                                      .order_by(t.import_runs.c.id.desc())
                                      .limit(limit).offset(offset))
            return int(total), [_run(r) for r in rows]

    async def held_sites(self, now: datetime, stale_after: timedelta) -> frozenset[int]:
        """held_site_ids() in one hand-over."""
        held: frozenset[int] = await self.reading(
            lambda conn: held_site_ids(conn, now, stale_after))
        return held


def held_site_ids(conn: Connection, now: datetime, stale_after: timedelta) -> frozenset[int]:
    """Sites an import is writing now. A run whose heartbeat stopped (its process died)
    holds nothing: what it wrote is regenerated as usual."""
    r = t.import_runs.c
    query = select(r.site_id).where(r.state == "running", r.heartbeat > now - stale_after)
    return frozenset(row.site_id for row in conn.execute(query.distinct()))


def _insert_posts(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    ids: list[int] = []
    # Rows with and without an explicit id go in separate statements (one shape each).
    with_id = [r for r in rows if "id" in r]
    without = [r for r in rows if "id" not in r]
    if with_id:
        conn.execute(insert(t.posts), with_id)
    it = iter(insert_with_ids(conn, t.posts, without))
    for r in rows:
        ids.append(cast(int, r["id"]) if "id" in r else next(it))
    return ids


def _comment_values(c: Comment) -> dict[str, Any]:
    return {
        "site_id": c.site_id, "post_id": c.post_id, "entry_id": c.entry_id,
        "author_name": c.author.name, "author_uri": c.author.uri,
        "author_email": c.author.email, "content_html": c.content_html,
        "status": c.status.value, "published": c.published, "updated": c.updated,
        "parent_id": c.parent_id, "import_digest": comment_digest(c),
    }


def _write_comments(conn: Connection, comments: list[tuple[int, dict[str, Any]]]) -> list[int]:
    """Insert the comments without an id, replace those with one (each given as its id and
    its row): a statement each way (executemany), not one per comment. Returns their ids,
    in order."""
    stored = [(i, row) for i, row in comments if i]
    if stored:
        conn.execute(
            update(t.comments).where(t.comments.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in stored[0][1]}),
            [{"b_id": i, **{f"b_{k}": v for k, v in row.items()}} for i, row in stored])
    new_ids = iter(insert_with_ids(conn, t.comments, [row for i, row in comments if not i]))
    return [i or next(new_ids) for i, _ in comments]
