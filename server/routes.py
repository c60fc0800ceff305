"""The whole route table, in one list."""

from __future__ import annotations

from aiohttp import web

from server.handlers import feeds, pages

ROUTES: list[web.RouteDef] = [
    web.get("/", pages.index),
    web.get("/feeds.opml", pages.opml),
    web.get("/feed.atom", feeds.feed),
    web.get("/feed.rss", feeds.feed),
    web.get("/feed.json", feeds.feed),
    # Blogger's feed URLs: /feeds/posts/{default|full|summary}[/-/LABEL[/LABEL…]],
    # /feeds/comments/default, /feeds/POSTID/comments/default; and ours for authors:
    # /feeds/authors/AUTHOR-SLUG/default.
    web.get("/feeds/{tail:.+}", feeds.feed),
    web.get(r"/{year:\d{4}}/{month:\d{2}}/{slug}.html", pages.post_page),
]
