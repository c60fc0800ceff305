"""A site's change of base URL or summary length carried into its stored posts and comments
(feeds/site_moves.py says what and why), inside the transaction that changes the site: a
crash leaves either the old site with the old posts or the new site with the new posts.

The links move in SQL (replace(), on both engines), without reading a post. The summaries
need the HTML-to-text of feeds/content.py: 100,000 posts are ~20 s of it, too long to hold
the write turn (every create would wait, and past WRITE_LOCK_WAIT fail). So they are cut
first, outside the transaction (`plan_summaries`: read a batch at a time, the text work in
a thread so the event loop goes on serving), each with the version of the post it was cut
from; the transaction then writes those whose post is still at that version, and cuts again
only the posts written meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from feeds.models import Site
from feeds.site_moves import link_moves, rederived_summary
from feeds.store import schema as t

_BATCH = 500


def _replaced(column: Any, moves: tuple[tuple[str, str], ...]) -> Any:
    expr = column
    for old, new in moves:
        expr = func.replace(expr, old, new)
    return expr


async def carry_site_change(conn: AsyncConnection, before: Site, after: Site,
                            plan: SummaryPlan | None = None) -> None:
    """Bring the posts and comments of the site `before` was to what `after` is; `plan`:
    the summaries cut ahead (`plan_summaries`). Summaries first: the links then move in
    them as in the bodies."""
    if before.summary_length != after.summary_length:
        await _rederive_summaries(conn, before.id, before.summary_length,
                                  after.summary_length, plan)
    if moves := link_moves(before.base_url, after.base_url):
        await _move_links(conn, before.id, moves)


async def _move_links(conn: AsyncConnection, site_id: int,
                      moves: tuple[tuple[str, str], ...]) -> None:
    p, c = t.posts.c, t.comments.c
    columns = (p.content_html, p.summary, p.thumbnail, p.enclosures_json)
    # Only the rows that hold an old prefix: a post's version (its ETag, If-Match) changes
    # when its content does, and not otherwise.
    await conn.execute(
        update(t.posts)
        .where(p.site_id == site_id, or_(*(col.contains(old, autoescape=True)
                                           for col in columns for old, _ in moves)))
        .values({col.key: _replaced(col, moves) for col in columns}
                | {"version": p.version + 1}))
    await conn.execute(
        update(t.comments)
        .where(c.site_id == site_id,
               or_(*(c.content_html.contains(old, autoescape=True) for old, _ in moves)))
        .values(content_html=_replaced(c.content_html, moves)))


@dataclass(frozen=True, slots=True)
class SummaryPlan:
    """A site's summaries cut for a new length ahead of the change (`plan_summaries`)."""

    old_length: int
    new_length: int
    seen: dict[int, int] = field(default_factory=dict)
    """Every post read: id -> the version its summary was cut from."""
    fresh: dict[int, str] = field(default_factory=dict)
    """The posts whose summary changes: id -> the new summary."""


def _cut(rows: list[tuple[int, int, str, str]], plan: SummaryPlan) -> None:
    for post_id, version, content, summary in rows:
        plan.seen[post_id] = version
        fresh = rederived_summary(content, summary, plan.old_length, plan.new_length)
        if fresh is not None:
            plan.fresh[post_id] = fresh


async def _cut_batches(conn: AsyncConnection, query: Select[Any], plan: SummaryPlan) -> None:
    """`query` (id, version, content_html, summary, ordered by id) a batch at a time, cut."""
    p = t.posts.c
    last = 0
    while True:
        rows = [(r[0], r[1], r[2], r[3]) for r in await conn.execute(
            query.where(p.id > last).order_by(p.id).limit(_BATCH))]
        if not rows:
            return
        last = rows[-1][0]
        await asyncio.to_thread(_cut, rows, plan)


_POSTS = select(t.posts.c.id, t.posts.c.version, t.posts.c.content_html, t.posts.c.summary)


async def plan_summaries(engine: AsyncEngine, site_id: int, old_length: int,
                         new_length: int) -> SummaryPlan:
    """The site's summaries cut for `new_length`, read outside any write."""
    plan = SummaryPlan(old_length, new_length)
    async with engine.connect() as conn:
        await _cut_batches(conn, _POSTS.where(t.posts.c.site_id == site_id), plan)
    return plan


async def _rederive_summaries(conn: AsyncConnection, site_id: int, old_length: int,
                              new_length: int, plan: SummaryPlan | None) -> None:
    if plan is None or (plan.old_length, plan.new_length) != (old_length, new_length):
        plan = SummaryPlan(old_length, new_length)  # the site changed meanwhile: cut here
    p = t.posts.c
    now: dict[int, int] = {}
    last = 0
    while True:  # a page at a time: the event loop gets a turn between them
        page = (await conn.execute(
            select(p.id, p.version).where(p.site_id == site_id, p.id > last)
            .order_by(p.id).limit(_BATCH * 10))).all()
        now.update((r[0], r[1]) for r in page)
        if len(page) < _BATCH * 10:
            break
        last = page[-1][0]
    stale = sorted(i for i, version in now.items() if plan.seen.get(i) != version)
    for i in stale:
        plan.fresh.pop(i, None)
    for start in range(0, len(stale), _BATCH):
        chunk = stale[start:start + _BATCH]
        await _cut_batches(conn, _POSTS.where(p.id.in_(chunk)), plan)
    changes = [{"pid": i, "fresh": fresh} for i, fresh in plan.fresh.items() if i in now]
    change = (update(t.posts).where(p.id == bindparam("pid"))
              .values(summary=bindparam("fresh"), version=p.version + 1))
    for start in range(0, len(changes), _BATCH):
        await conn.execute(change, changes[start:start + _BATCH])
