"""A site's change of base URL or summary length carried into its stored posts and comments
(feeds/site_moves.py says what and why), inside the transaction that changes the site: a
crash leaves either the old site with the old posts or the new site with the new posts.

The links move in SQL (replace(), on both engines), without reading a post; the summaries
need the HTML-to-text of feeds/content.py, so they are read and written a batch at a time,
with the text work in a thread: a site of 100,000 posts is seconds of it, and the server's
event loop goes on serving feeds meanwhile."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from feeds.models import Site
from feeds.site_moves import link_moves, rederived_summary
from feeds.store import schema as t

_BATCH = 500


def _replaced(column: Any, moves: tuple[tuple[str, str], ...]) -> Any:
    expr = column
    for old, new in moves:
        expr = func.replace(expr, old, new)
    return expr


async def carry_site_change(conn: AsyncConnection, before: Site, after: Site) -> None:
    """Bring the posts and comments of the site `before` was to what `after` is."""
    if moves := link_moves(before.base_url, after.base_url):
        await _move_links(conn, before.id, moves)
    if before.summary_length != after.summary_length:
        await _rederive_summaries(conn, before.id, before.summary_length, after.summary_length)


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


def _fresh_summaries(rows: list[tuple[int, str, str]], old_length: int,
                     new_length: int) -> list[dict[str, Any]]:
    out = []
    for post_id, content, summary in rows:
        if (fresh := rederived_summary(content, summary, old_length, new_length)) is not None:
            out.append({"pid": post_id, "fresh": fresh})
    return out


async def _rederive_summaries(conn: AsyncConnection, site_id: int, old_length: int,
                              new_length: int) -> None:
    p = t.posts.c
    change = (update(t.posts).where(p.id == bindparam("pid"))
              .values(summary=bindparam("fresh"), version=p.version + 1))
    last = 0
    while True:
        rows = [(r[0], r[1], r[2]) for r in await conn.execute(
            select(p.id, p.content_html, p.summary)
            .where(p.site_id == site_id, p.id > last).order_by(p.id).limit(_BATCH))]
        if not rows:
            return
        last = rows[-1][0]
        changes = await asyncio.to_thread(_fresh_summaries, rows, old_length, new_length)
        if changes:
            await conn.execute(change, changes)
