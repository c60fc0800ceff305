"""The site the render tests publish for."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.feedset import FeedContext, build_doc, entries_for_posts
from feeds.models import FeedFormat, FeedKey, FeedKind, FeedMode, FeedQuery, Post, Site
from feeds.render import render_oneshot

WORKSHOP = Site(
    id=1,
    host="blog.example.org",
    title="The Workshop Notebook",
    subtitle="Feeds, gardens and trains — notes from a small bench",
    base_url="https://blog.example.org",
    timezone="Europe/Warsaw",
    language="en",
    default_feed=FeedMode.FULL,
    summary_length=200,
    created=datetime(2019, 3, 1, 9, 0, tzinfo=UTC),
)


def one_post_feed(post: Post, fmt: FeedFormat) -> bytes:
    """The Workshop's full site feed in `fmt`, holding `post` alone."""
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=25), FeedMode.FULL)
    ctx = FeedContext(default_max=25, hub_url=None)
    entries = entries_for_posts(WORKSHOP, key, (post,), ctx)
    return render_oneshot(build_doc(WORKSHOP, key, fmt, entries, 1, "Workshop", ctx))
