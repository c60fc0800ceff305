"""The whole route table, in one list."""

from __future__ import annotations

from aiohttp import web

from server.handlers import (
    api_comments,
    api_imports,
    api_labels,
    api_posts,
    api_push,
    api_sites,
    feeds,
    hub,
    legacy,
    pages,
)
from server.openapi import openapi_document


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


POST = r"{post:(?!bulk(?:/|$))[^/]+}"
"""A post's id, slug or entry id, but not `bulk`: /api/posts/bulk takes POST only (a post
with the slug "bulk" is reached by its id)."""

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
    # A page's URL, Blogger's: /p/SLUG.html.
    web.get(r"/p/{slug}.html", pages.page_page),
    # Blogger's first feed URLs: 301 to /feeds/posts/default (server/handlers/legacy.py).
    *(web.get(path, legacy.blogger) for path in legacy.BLOGGER_FEEDS),
    # syndic's own WebSub hub (W3C WebSub §5): subscription requests.
    web.post("/hub", hub.hub),
    # The admin API (bearer token: server/auth.py), documented at /api/openapi.json.
    web.get("/api/openapi.json", openapi),
    web.get("/api/sites", api_sites.listing),
    web.post("/api/sites", api_sites.create),
    web.get(r"/api/sites/{site_id}", api_sites.show),
    web.patch(r"/api/sites/{site_id}", api_sites.patch),
    web.delete(r"/api/sites/{site_id}", api_sites.delete),
    web.get("/api/posts", api_posts.listing),
    web.post("/api/posts", api_posts.create),
    web.post("/api/posts/bulk", api_posts.bulk),
    web.get(f"/api/posts/{POST}", api_posts.show),
    web.patch(f"/api/posts/{POST}", api_posts.patch),
    web.delete(f"/api/posts/{POST}", api_posts.delete),
    web.get(f"/api/posts/{POST}/comments", api_comments.for_post),
    web.post(f"/api/posts/{POST}/comments", api_comments.create),
    web.get("/api/comments", api_comments.listing),
    web.get("/api/comments/{comment_id}", api_comments.show),
    web.patch("/api/comments/{comment_id}", api_comments.patch),
    web.delete("/api/comments/{comment_id}", api_comments.delete),
    web.get("/api/labels", api_labels.listing),
    web.post("/api/labels", api_labels.create),
    web.get("/api/labels/{label}", api_labels.show),
    web.patch("/api/labels/{label}", api_labels.patch),
    web.delete("/api/labels/{label}", api_labels.delete),
    web.get("/api/imports", api_imports.listing),
    web.post("/api/imports", api_imports.create),
    web.get("/api/imports/{import_id}", api_imports.show),
    web.get("/api/subscriptions", api_push.subscriptions),
    web.get("/api/deliveries", api_push.deliveries),
    web.post("/api/regenerate", api_push.regenerate),
    # Last: the old blog's URLs, WordPress's after a WordPress import (/feed/,
    # /category/X/, /2023/05/, ...) and Blogger's (/search/label/X, /2023/05/); everything
    # else that got this far is a 404. Not under /api/: an API path no route above matches
    # (a trailing slash, /api/posts/) is a 404 for every method, not a 405 naming GET.
    web.get(r"/{tail:(?!api(?:/|$)).+}", legacy.old_url),
]
