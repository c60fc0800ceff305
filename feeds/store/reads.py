"""What a feed shows: posts and comments selected by kind, labels (AND), author, date
windows and order, with the total for paging; and the site's labels and authors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select, union_all
from sqlalchemy.engine import Connection

from feeds.models import VISIBLE_STATUSES, Comment, FeedKey, FeedKind, OrderBy, Post, PostKind
from feeds.store import schema as t
from feeds.store.engine import StoreBase
from feeds.store.rows import comment_from_row, post_from_row

VISIBLE = tuple(s.value for s in VISIBLE_STATUSES)


@dataclass(frozen=True, slots=True)
class PostPage:
    total: int
    posts: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class CommentPage:
    total: int
    comments: tuple[tuple[Comment, Post], ...]
    parents: dict[int, str] = field(default_factory=dict)
    """The entry id of each approved comment these answer (by id): a reply's
    thr:in-reply-to names the comment it answers (RFC 4685 §3)."""


def _visible(now: datetime) -> Any:
    # Drafts, scheduled posts, deleted posts and posts dated in the future never show.
    return and_(t.posts.c.status.in_(VISIBLE), t.posts.c.published <= now)


def _posts_only() -> Any:
    # Pages (Blogger's and WordPress's "About", "Contact") are in no posts feed, and make
    # no label's or author's feed: they are the pages feed's (FeedKind.PAGES).
    return t.posts.c.kind == PostKind.POST.value


def feed_post_ids(site_id: int, key: FeedKey, now: datetime) -> Select[Any]:
    """The ids of the posts a feed shows (its kind, labels, author; not yet its date
    windows, order or page): pages for the pages feed, posts for every other."""
    base = select(t.posts.c.id).where(t.posts.c.site_id == site_id, _visible(now))
    if key.kind is not FeedKind.ENTRY:  # one post alone is asked by its id, page or not
        kind = PostKind.PAGE if key.kind is FeedKind.PAGES else PostKind.POST
        base = base.where(t.posts.c.kind == kind.value)
    if key.kind is FeedKind.LABEL:
        having = (
            select(t.post_labels.c.post_id)
            .where(t.post_labels.c.label.in_(key.labels))
            .group_by(t.post_labels.c.post_id)
            .having(func.count(t.post_labels.c.label.distinct()) == len(set(key.labels)))
        )
        base = base.where(t.posts.c.id.in_(having))
    elif key.kind is FeedKind.ENTRY:
        base = base.where(t.posts.c.id == key.post_id)
    elif key.kind is FeedKind.AUTHOR:
        base = base.where(
            t.posts.c.id.in_(
                select(t.post_authors.c.post_id).where(t.post_authors.c.slug == key.author)
            )
        )
    return base


def approved_comments() -> Any:
    """Each post's approved-comment count, as a column of its row (a statement less: each
    one is several round trips through aiosqlite's thread, and this runs for every feed)."""
    c = t.comments.c
    return (select(func.count()).where(c.post_id == t.posts.c.id, c.status == "approved")
            .scalar_subquery().label("approved_comments"))


def _page(
    conn: Connection, table: Any, ids: Select[Any], key: FeedKey, *extra: Any,
) -> tuple[int, list[Any]]:
    """The total of `ids` (a select of `table`'s ids) within the query's date windows, and
    one page of its rows, newest first (ties: highest id first, so pages are stable)."""
    ids = _windows(ids, key, table.c.published, table.c.updated)
    order = table.c.updated if key.query.orderby is OrderBy.UPDATED else table.c.published
    newest_first = (order.desc(), table.c.id.desc())
    total = conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    # The page's ids first, then their rows: ordering whole rows made SQLite sort every
    # visible post with its content to keep 25 (3 ms for 368 posts, growing with the
    # site); ordering ids sorts index entries only.
    page = (ids.order_by(*newest_first).limit(key.query.max_results)
            .offset(key.query.start_index - 1))
    rows = conn.execute(
        select(table, *extra).where(table.c.id.in_(page)).order_by(*newest_first))
    return total, list(rows.all())


def _windows(stmt: Select[Any], key: FeedKey, published: Any, updated: Any) -> Select[Any]:
    q = key.query
    if q.published_min:
        stmt = stmt.where(published >= q.published_min)
    if q.published_max:
        stmt = stmt.where(published < q.published_max)
    if q.updated_min:
        stmt = stmt.where(updated >= q.updated_min)
    if q.updated_max:
        stmt = stmt.where(updated < q.updated_max)
    return stmt


class Reads(StoreBase):
    # What every regeneration reads goes through StoreBase.reading: one hand-over each.

    async def select_posts(self, site_id: int, key: FeedKey, now: datetime) -> PostPage:
        def work(conn: Connection) -> PostPage:
            total, rows = _page(conn, t.posts, feed_post_ids(site_id, key, now), key,
                                approved_comments())
            posts = complete_posts(conn, [r._mapping for r in rows], counted=True)
            return PostPage(total, tuple(posts))

        page: PostPage = await self.reading(work)
        return page

    async def select_comments(
        self, site_id: int, key: FeedKey, now: datetime
    ) -> CommentPage:
        c = t.comments.c
        base = (
            select(c.id)
            .join(t.posts, t.posts.c.id == c.post_id)
            .where(c.site_id == site_id, c.status == "approved", _visible(now))
        )
        if key.kind is FeedKind.POST_COMMENTS:
            base = base.where(c.post_id == key.post_id)

        def work(conn: Connection) -> CommentPage:
            total, rows = _page(conn, t.comments, base, key)
            comments = [comment_from_row(r._mapping) for r in rows]
            post_rows = conn.execute(
                select(t.posts).where(t.posts.c.id.in_({x.post_id for x in comments}))
            ).all()
            posts = {p.id: p for p in complete_posts(conn, [r._mapping for r in post_rows])}
            asked = {x.parent_id for x in comments if x.parent_id is not None}
            parents = {} if not asked else dict(conn.execute(
                select(c.id, c.entry_id).where(c.id.in_(asked), c.status == "approved")).all())
            return CommentPage(total, tuple((x, posts[x.post_id]) for x in comments), parents)

        page: CommentPage = await self.reading(work)
        return page

    async def visible_post(self, site_id: int, post_id: int, now: datetime) -> Post | None:
        def work(conn: Connection) -> Post | None:
            row = conn.execute(
                select(t.posts).where(
                    t.posts.c.site_id == site_id, t.posts.c.id == post_id, _visible(now)
                )
            ).first()
            return None if row is None else complete_posts(conn, [row._mapping])[0]

        post: Post | None = await self.reading(work)
        return post

    async def labels(self, site_id: int, now: datetime) -> list[tuple[str, int]]:
        """Every label of a visible post (not a page), with its post count, by name."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.post_labels.c.label, func.count())
                .join(t.posts, t.posts.c.id == t.post_labels.c.post_id)
                .where(t.posts.c.site_id == site_id, _visible(now), _posts_only())
                .group_by(t.post_labels.c.label)
                .order_by(t.post_labels.c.label)
            )
            return [(r[0], r[1]) for r in rows]

    async def authors(self, site_id: int, now: datetime) -> list[tuple[str, str, int]]:
        """(slug, name, post count) of every author of a visible post (not a page)."""
        a = t.post_authors.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(a.slug, func.min(a.name), func.count(a.post_id.distinct()))
                .join(t.posts, t.posts.c.id == a.post_id)
                .where(t.posts.c.site_id == site_id, _visible(now), _posts_only())
                .group_by(a.slug)
                .order_by(a.slug)
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def commented_posts(self, site_id: int, now: datetime) -> list[int]:
        """Ids of visible posts with at least one approved comment."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.comments.c.post_id)
                .join(t.posts, t.posts.c.id == t.comments.c.post_id)
                .where(t.comments.c.site_id == site_id, t.comments.c.status == "approved")
                .where(_visible(now))
                .distinct()
                .order_by(t.comments.c.post_id)
            )
            return [r[0] for r in rows]

    async def came_due(self, since: datetime, now: datetime) -> list[Post]:
        """came_due_posts() in one hand-over."""
        posts: list[Post] = await self.reading(lambda conn: came_due_posts(conn, since, now))
        return posts

    async def last_rendered(self, site_id: int) -> datetime | None:
        """When the site's artifacts were last written (None: never)."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(func.max(t.artifacts.c.rendered_at)).where(
                    t.artifacts.c.site_id == site_id
                )
            )
            value = result.scalar_one()
            return t.UTCDateTime().process_result_value(value, conn.dialect)


def came_due_posts(conn: Connection, since: datetime, now: datetime) -> list[Post]:
    """Published posts dated in (since, now] that were stored before their date: they enter
    feeds as their time comes. A post stored at or after its date is not one of them: its
    write marked its feeds already."""
    p = t.posts.c
    rows = conn.execute(
        select(t.posts).where(  # ix_posts_status_published: a range per status
            p.status.in_(VISIBLE), p.published > since, p.published <= now,
            p.published > p.created,
        )
    )
    return complete_posts(conn, [r._mapping for r in rows])


def complete_posts(conn: Connection, rows: list[Any], counted: bool = False) -> list[Post]:
    """Posts with their labels (in their order), their authors' feeds (post_authors) and
    approved comment counts (`counted`: the rows carry them, as approved_comments).
    Synchronous: async callers use `await conn.run_sync(complete_posts, rows)`."""
    ids = [r["id"] for r in rows]
    labels: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    feeds: dict[int, dict[int, str]] = {i: {} for i in ids}
    counts: dict[int, int] = {r["id"]: r["approved_comments"] for r in rows} if counted else {}
    if ids:
        pl, pa = t.post_labels.c, t.post_authors.c
        # Labels and authors' feeds in one statement (this runs for every feed rendered).
        for r in conn.execute(union_all(
            select(pl.post_id, literal_column("0"), pl.position, pl.label)
            .where(pl.post_id.in_(ids)),
            select(pa.post_id, literal_column("1"), pa.position, pa.slug)
            .where(pa.post_id.in_(ids)),
        )):
            if r[1]:
                feeds[r[0]][r[2]] = r[3]
            else:
                labels[r[0]].append((r[2], r[3]))
    if ids and not counted:
        for r in conn.execute(
            select(t.comments.c.post_id, func.count())
            .where(t.comments.c.post_id.in_(ids), t.comments.c.status == "approved")
            .group_by(t.comments.c.post_id)
        ):
            counts[r[0]] = r[1]
    return [post_from_row(r, tuple(label for _, label in sorted(labels[r["id"]])),
                          counts.get(r["id"], 0), feeds[r["id"]]) for r in rows]
