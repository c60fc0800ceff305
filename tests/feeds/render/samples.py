"""The site the render tests publish for."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.models import FeedMode, Site

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
