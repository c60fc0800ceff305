"""Sites, posts and comments written, with the feeds they touch marked dirty in the same
transaction (feeds/publishing.py says which)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from feeds.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PostNotFoundError,
    StaleWriteError,
)
from feeds.feedset import author_key, author_keys
from feeds.models import Comment, FeedMode, Post, PostKind, PostStatus, Site
from feeds.query import post_id_of
from feeds.sites import base_url_clash
from feeds.store import schema as t
from feeds.store.authors import link_authors
from feeds.store.engine import StoreBase
from feeds.store.new_posts import Idempotency, NewPost, NewPostBatcher, taken_by
from feeds.store.reads import complete_posts
from feeds.store.rows import (
    authors_json,
    comment_from_row,
    enclosures_json,
    post_from_row,
    site_from_row,
)
from feeds.store.site_moves import carry_site_change


@dataclass(frozen=True, slots=True)
class SiteSpec:
    host: str
    title: str
    subtitle: str
    base_url: str
    timezone: str
    language: str
    default_feed: FeedMode
    summary_length: int


async def remember_key(conn: AsyncConnection, idem: Idempotency | None, resource_id: int,
                       now: datetime) -> None:
    if idem is not None:
        await conn.execute(insert(t.idempotency_keys).values(
            scope=idem.scope, key=idem.key, request_hash=idem.request_hash,
            resource=idem.resource, resource_id=resource_id, created=now))


def mark_dirty(conn: Connection, site_id: int, keys: Iterable[str], now: datetime) -> None:
    rows = [{"site_id": site_id, "key": k, "marked_at": now} for k in sorted(set(keys))]
    if rows:
        conn.execute(insert(t.dirty_feeds), rows)


def save_aliases_in(conn: Connection, site_id: int, aliases: Mapping[str, str]) -> None:
    """url_aliases rows of `site_id`: each path's target, replacing what it had."""
    if aliases:
        conn.execute(delete(t.url_aliases).where(
            t.url_aliases.c.site_id == site_id, t.url_aliases.c.path.in_(list(aliases))))
        conn.execute(insert(t.url_aliases), [
            {"site_id": site_id, "path": p, "target": target} for p, target in aliases.items()])


async def site_row_for_update(conn: AsyncConnection, site_id: int) -> Site:
    # FOR UPDATE: on PostgreSQL, another process's change of the site waits for this one
    # (SQLite has one writer at a time anyway).
    row = (await conn.execute(
        select(t.sites).where(t.sites.c.id == site_id).with_for_update())).first()
    if row is None:
        raise NotFoundError("site", str(site_id))
    return site_from_row(row._mapping)


class Writes(StoreBase):
    _batcher: NewPostBatcher | None = None

    async def create_site(self, spec: SiteSpec, now: datetime, is_default: bool = False) -> Site:
        """A new site; ConflictError when its host was taken meanwhile (two creates at once:
        the caller's own check of the host saw neither)."""
        try:
            async with self.writing() as conn:
                if await host_taken(conn, spec.host):
                    raise ConflictError(f"site not stored: another site has {spec.host!r}")
                await refuse_link_clash(conn, None, asdict(spec))
                values = {**asdict(spec), "default_feed": spec.default_feed.value}
                result = await conn.execute(
                    insert(t.sites).values(**values, is_default=is_default, created=now)
                )
                site_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
                row = (await conn.execute(select(t.sites).where(t.sites.c.id == site_id))).one()
        except IntegrityError as exc:
            raise ConflictError(f"site not stored: {exc.orig}") from None
        return site_from_row(row._mapping)

    async def sites(self) -> list[Site]:
        async with self.engine.connect() as conn:
            return [site_from_row(r._mapping) for r in await conn.execute(SITES_IN_ORDER)]

    async def set_base_url(self, site_id: int, base_url: str) -> None:
        """The site's base URL, its posts' and comments' links moved with it
        (store/site_moves.py)."""
        async with self.writing() as conn:
            before = await site_row_for_update(conn, site_id)
            await conn.execute(
                update(t.sites).where(t.sites.c.id == site_id).values(base_url=base_url)
            )
            await carry_site_change(conn, before, replace(before, base_url=base_url))

    async def write_post(
        self, post: Post, dirty_keys: Iterable[str], now: datetime, *, is_new: bool,
        idempotency: Idempotency | None = None, replaces: int | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> Post:
        """Insert (is_new) or replace a post, its labels and authors, and mark `dirty_keys`
        (and its authors' feeds, which only the write knows: write_post_links); a client's
        idempotency key, and the URL `aliases` of a replaced post (the URL it had, which
        answers 301 to its new one), are kept in the same transaction: the post never moves
        without its old URL following it. `replaces`: the version the change was made to;
        when the stored post is at another version by the time of the write, nothing is
        written and StaleWriteError says so (optimistic concurrency: an edit made to a post
        read before someone else's edit would undo that edit).
        Returns the post as stored: its id, its authors' `feed`."""
        try:
            if is_new:
                return await self._new_posts().add(NewPost(
                    post, tuple(dirty_keys), now, idempotency,
                    asyncio.get_running_loop().create_future()))
            return await self._write_post(post, dirty_keys, now, is_new, idempotency,
                                          replaces, aliases)
        except IntegrityError as exc:
            raise ConflictError(f"not stored: {exc.orig}") from None

    def _new_posts(self) -> NewPostBatcher:
        """New posts go through one batcher per store: concurrent creates share a
        transaction (feeds/store/new_posts.py)."""
        if self._batcher is None:
            async def one(item: NewPost) -> Post:
                return await self._write_post(item.post, item.dirty_keys, item.now, True,
                                              item.idempotency, None)

            def links(conn: Connection, posts: list[tuple[int, Post]]) -> list[Post]:
                return write_post_links(conn, posts, replacing=[])[0]

            self._batcher = NewPostBatcher(self, one, post_values, links)
        return self._batcher

    async def _write_post(
        self, post: Post, dirty_keys: Iterable[str], now: datetime, is_new: bool,
        idempotency: Idempotency | None, replaces: int | None,
        aliases: Mapping[str, str] | None = None,
    ) -> Post:
        async with self.writing() as conn:
            clash = await conn.execute(
                select(t.posts.c.id, t.posts.c.entry_id, t.posts.c.status).where(
                    t.posts.c.site_id == post.site_id,
                    (t.posts.c.slug == post.slug) | (t.posts.c.entry_id == post.entry_id),
                    t.posts.c.id != (0 if is_new else post.id),
                )
            )
            other = clash.first()
            if other is not None:
                raise taken_by("entry_id" if other.entry_id == post.entry_id else "slug",
                            other.status)
            values = post_values(post)
            if is_new:
                result = await conn.execute(insert(t.posts).values(**values, created=now))
                assert result.inserted_primary_key is not None
                post_id = int(result.inserted_primary_key[0])
            else:
                post_id = post.id
                where = [t.posts.c.id == post_id]
                if replaces is not None:
                    where.append(t.posts.c.version == replaces)
                result = await conn.execute(update(t.posts).where(*where).values(**values))
                if result.rowcount != 1:  # the transaction rolls back: nothing written
                    raise StaleWriteError("post", replaces)
            linked, authors = await conn.run_sync(write_post_links, [(post_id, post)],
                                                  [] if is_new else [post])
            await conn.run_sync(mark_dirty, post.site_id,
                                [*dirty_keys, *(k for _, k in authors)], now)
            await conn.run_sync(save_aliases_in, post.site_id, aliases or {})
            await remember_key(conn, idempotency, post_id, now)
        return replace(linked[0], id=post_id)

    async def publish_due(
        self, now: datetime, keys_for: Callable[[Post], Iterable[str]]
    ) -> list[Post]:
        """Scheduled posts whose time has come, published (claimed row by row: another
        instance skips what this one took), with the feeds they enter marked dirty. It takes
        the writer: the regeneration asks first, with its other reads, whether anything is
        due (Runs.regeneration_start), and comes here only when something is."""
        p = t.posts.c
        due = due_posts(now).with_for_update(skip_locked=True)
        async with self.writing() as conn:
            rows = (await conn.execute(
                update(t.posts).where(p.id.in_(due))
                .values(status=PostStatus.PUBLISHED.value, version=p.version + 1)
                .returning(t.posts))).all()
            # With their labels and authors' feeds: the feeds they enter.
            published = await conn.run_sync(complete_posts, [r._mapping for r in rows])
            for post in published:
                await conn.run_sync(mark_dirty, post.site_id, keys_for(post), now)
        return published

    async def get_post(self, site_id: int, ref: str, *, by_id: bool = True) -> Post:
        """A post by numeric id, slug or entry id (in that order), whatever its status;
        `by_id=False`: by slug or entry id only (a post file whose slug is "8" is not
        post 8)."""
        conds = [t.posts.c.slug == ref, t.posts.c.entry_id == ref]
        if by_id and (post_id := post_id_of(ref)) is not None:
            conds.insert(0, t.posts.c.id == post_id)
        async with self.engine.connect() as conn:
            row = None
            for cond in conds:
                query = select(t.posts).where(t.posts.c.site_id == site_id, cond)
                row = (await conn.execute(query)).first()
                if row is not None:
                    break
            if row is None:
                raise PostNotFoundError(ref)
            return (await conn.run_sync(complete_posts, [row._mapping]))[0]

    async def list_posts(self, site_id: int) -> list[Post]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.posts)
                .where(t.posts.c.site_id == site_id)
                .order_by(t.posts.c.published.desc(), t.posts.c.id.desc())
            )
            return [post_from_row(r._mapping) for r in rows]

    async def add_comment(
        self, comment: Comment, dirty_keys: Iterable[str], now: datetime,
        idempotency: Idempotency | None = None,
    ) -> Comment:
        """Store a new comment (its id is ignored) and mark `dirty_keys`."""
        try:
            return await self._add_comment(comment, dirty_keys, now, idempotency)
        except IntegrityError as exc:
            raise ConflictError(f"not stored: {exc.orig}") from None

    async def _add_comment(
        self, comment: Comment, dirty_keys: Iterable[str], now: datetime,
        idempotency: Idempotency | None,
    ) -> Comment:
        c = t.comments.c
        async with self.writing() as conn:
            exists = await conn.execute(
                select(func.count()).select_from(t.posts).where(t.posts.c.id == comment.post_id)
            )
            if not exists.scalar_one():
                raise NotFoundError("post", str(comment.post_id))
            if comment.parent_id is not None:
                parent = None if not is_row_id(comment.parent_id) else await conn.execute(
                    select(c.post_id).where(c.id == comment.parent_id))
                if parent is None or parent.scalar() != comment.post_id:
                    raise InvalidInputError("parent_id", "no such comment on this post")
            result = await conn.execute(
                insert(t.comments).values(
                    site_id=comment.site_id,
                    post_id=comment.post_id,
                    entry_id=comment.entry_id,
                    author_name=comment.author.name,
                    author_uri=comment.author.uri,
                    author_email=comment.author.email,
                    content_html=comment.content_html,
                    status=comment.status.value,
                    published=comment.published,
                    updated=comment.updated,
                    parent_id=comment.parent_id,
                )
            )
            assert result.inserted_primary_key is not None
            comment_id = int(result.inserted_primary_key[0])
            await conn.run_sync(mark_dirty, comment.site_id, dirty_keys, now)
            await remember_key(conn, idempotency, comment_id, now)
            row = (await conn.execute(select(t.comments).where(c.id == comment_id))).one()
        return comment_from_row(row._mapping)


def due_posts(now: datetime) -> Select[Any]:
    """Ids of scheduled posts whose time has come."""
    p = t.posts.c
    return select(p.id).where(p.status == PostStatus.SCHEDULED.value, p.published <= now)


def post_values(post: Post) -> dict[str, object]:
    """A post's row, but for its id and creation time."""
    return {
        "site_id": post.site_id,
        "entry_id": post.entry_id,
        "slug": post.slug,
        "title": post.title,
        "summary": post.summary,
        "content_html": post.content_html,
        "status": post.status.value,
        "published": post.published,
        "updated": post.updated,
        "authors_json": authors_json(post.authors),
        "enclosures_json": enclosures_json(post.enclosures),
        "thumbnail": post.thumbnail,
        "version": post.version,
        "kind": post.kind.value,
    }


def write_post_links(
    conn: Connection, posts: list[tuple[int, Post]], replacing: list[Post]
) -> tuple[list[Post], set[tuple[int, str]]]:
    """Labels and authors of many posts (by id), in a few statements; those of `replacing`
    posts are removed first. Returns the posts with their authors linked (each author's
    `feed`: feeds/store/authors.py) and the author feeds, by site, that the posts were in
    and are in: their dirty marks go in the same transaction, since only here is it known
    which author a name is."""
    dirty: set[tuple[int, str]] = set()
    if replacing:
        ids = [p.id for p in replacing]
        sites = {p.id: p.site_id for p in replacing}
        conn.execute(delete(t.post_labels).where(t.post_labels.c.post_id.in_(ids)))
        gone = conn.execute(delete(t.post_authors).where(t.post_authors.c.post_id.in_(ids))
                            .returning(t.post_authors.c.post_id, t.post_authors.c.slug))
        # A page is in no author's feed (the writer marks those of a post made a page).
        pages = {p.id for p in replacing if p.kind is PostKind.PAGE}
        dirty.update((sites[r.post_id], author_key(r.slug)) for r in gone
                     if r.post_id not in pages)
    linked = link_authors(conn, [p for _, p in posts])
    dirty.update((p.site_id, k) for p in linked for k in author_keys(p))
    labels = [{"post_id": pid, "label": lb, "position": i}
              for pid, p in posts for i, lb in enumerate(p.labels)]
    authors = [{"post_id": pid, "position": i, "slug": a.feed, "name": a.name}
               for (pid, _), p in zip(posts, linked, strict=True)
               for i, a in enumerate(p.authors)]
    if labels:
        conn.execute(insert(t.post_labels), labels)
    if authors:
        conn.execute(insert(t.post_authors), authors)
    return linked, dirty


async def host_taken(conn: AsyncConnection, host: str, besides: int | None = None) -> bool:
    """Whether another site has `host`, in any case: Host headers are matched without case
    (RFC 9110 §4.2.3), so "Blog.test" and "blog.test" would be one site to readers and two
    here (the column's UNIQUE is case-sensitive)."""
    query = select(t.sites.c.id).where(func.lower(t.sites.c.host) == host.lower())
    if besides is not None:
        query = query.where(t.sites.c.id != besides)
    return (await conn.execute(query.limit(1))).first() is not None


SITES_IN_ORDER = select(t.sites).order_by(t.sites.c.is_default.desc(), t.sites.c.id)
"""Every site, the default first."""


async def refuse_link_clash(conn: AsyncConnection, site_id: int | None,
                            changes: dict[str, Any]) -> None:
    """InvalidInputError when the site (id None: a new one, `changes` all its fields) would
    have its base URL on another site's host, or its host under another's base URL
    (feeds/sites.py), once `changes` are made. Asked in the write's transaction."""
    sites = [site_from_row(r._mapping) for r in await conn.execute(SITES_IN_ORDER)]
    stored = next((s for s in sites if s.id == site_id), None)
    host = changes.get("host", stored.host if stored else "")
    base_url = changes.get("base_url", stored.base_url if stored else "")
    if (error := base_url_clash(site_id, host, base_url, sites)) is not None:
        raise error


def is_row_id(n: int) -> bool:
    """Whether `n` can be a row's id: the columns are 64-bit (BigInteger), and a larger
    Python int given to the driver is an OverflowError, not "no such row"."""
    return 0 < n < 2**63
