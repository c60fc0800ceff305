"""What the store contract stories (tests/feeds/store/test_store_contract_*.py) share: feed
keys built from a few query fields, the ids of a page of posts, and comments written straight
to the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from feeds.models import Author, Comment, FeedKey, FeedKind, FeedQuery, Post, Site
from feeds.store import Store
from feeds.store import schema as t

HOUR = timedelta(hours=1)


def site_feed(**query: object) -> FeedKey:
    return FeedKey(FeedKind.POSTS, feed_query(**query))


def label_feed(*labels: str, **query: object) -> FeedKey:
    return FeedKey(FeedKind.LABEL, feed_query(**query), labels=labels)


def author_feed(slug: str, **query: object) -> FeedKey:
    return FeedKey(FeedKind.AUTHOR, feed_query(**query), author=slug)


def feed_query(**query: object) -> FeedQuery:
    query.setdefault("max_results", 25)
    return FeedQuery(**query)  # type: ignore[arg-type]


def ids(posts: tuple[Post, ...] | list[Post]) -> list[int]:
    return [p.id for p in posts]


def new_comment(
    site: Site, post_id: int, entry_id: str, author: Author, html: str, published: datetime
) -> Comment:
    return Comment(0, post_id, site.id, entry_id, author, html, published, published)


async def comment_on(
    store: Store, site: Site, post: Post, n: int, published: datetime, now: datetime
) -> int:
    comment = await store.add_comment(
        new_comment(site, post.id, f"tag:blog.test,2026:comment-{post.id}-{n}",
                    Author(f"Reader {n}"), f"<p>Comment {n}</p>", published), [], now,
    )
    return comment.id


async def hold_for_moderation(store: Store, comment_id: int) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            update(t.comments).where(t.comments.c.id == comment_id).values(status="pending")
        )
