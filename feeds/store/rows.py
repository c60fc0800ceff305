"""Rows to models and back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from feeds.models import (
    Author,
    Comment,
    CommentStatus,
    Enclosure,
    FeedMode,
    Post,
    PostKind,
    PostStatus,
    Site,
)


def site_from_row(row: Any) -> Site:
    return Site(
        id=row["id"],
        host=row["host"],
        title=row["title"],
        subtitle=row["subtitle"],
        base_url=row["base_url"],
        timezone=row["timezone"],
        language=row["language"],
        default_feed=FeedMode(row["default_feed"]),
        summary_length=row["summary_length"],
        created=row["created"],
        wordpress_urls=bool(row["wordpress_urls"]),
        is_default=bool(row["is_default"]),
    )


def authors_json(authors: tuple[Author, ...]) -> str:
    # An author's `account` only when there is one: rows written before it existed read the
    # same, and most authors have none. (`feed` is post_authors.slug: not kept twice.)
    return json.dumps(
        [{"name": a.name, "uri": a.uri, "email": a.email}
         | ({"account": a.account} if a.account else {}) for a in authors],
        ensure_ascii=False,
    )


def enclosures_json(enclosures: tuple[Enclosure, ...]) -> str:
    return json.dumps([{"url": e.url, "type": e.type, "length": e.length} for e in enclosures])


def post_from_row(
    row: Any, labels: tuple[str, ...] = (), comment_count: int = 0,
    feeds: dict[int, str] | None = None,
) -> Post:
    """`feeds`: the slug of each author's feed, by position (post_authors)."""
    authors = tuple(Author(**a) for a in json.loads(row["authors_json"]))
    if feeds:
        authors = tuple(replace(a, feed=feeds.get(i)) for i, a in enumerate(authors))
    return Post(
        id=row["id"],
        site_id=row["site_id"],
        entry_id=row["entry_id"],
        slug=row["slug"],
        title=row["title"],
        summary=row["summary"],
        content_html=row["content_html"],
        status=PostStatus(row["status"]),
        published=row["published"],
        updated=row["updated"],
        authors=authors,
        labels=labels,
        enclosures=tuple(Enclosure(**e) for e in json.loads(row["enclosures_json"])),
        thumbnail=row["thumbnail"],
        comment_count=comment_count,
        version=row["version"],
        created=row.get("created"),
        kind=PostKind(row.get("kind") or "post"),
    )


def comment_from_row(row: Any) -> Comment:
    return Comment(
        status=CommentStatus(row["status"]),
        parent_id=row["parent_id"],
        id=row["id"],
        post_id=row["post_id"],
        site_id=row["site_id"],
        entry_id=row["entry_id"],
        author=Author(row["author_name"], row["author_uri"], row["author_email"]),
        content_html=row["content_html"],
        published=row["published"],
        updated=row["updated"],
    )
