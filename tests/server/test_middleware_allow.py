"""A method a route does not take is a 405 that says which methods it does take: the Allow
header RFC 9110 §15.5.6 requires ("The origin server MUST generate an Allow header field in
a 405 response"), next to the problem+json body (RFC 9457) every error of syndic has. Walked
over every resource of the route table, admin API and public feeds alike, through aiohttp
alone and behind the fast path. An admin API path and a feed's or page's take OPTIONS too
(server/cors.py); the hub's does not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from server.routes import ROUTES
from tests.server.api_conftest import Api, Reply

ANY_PATH = {"GET", "HEAD"}  # the last route, GET /{tail}, matches all but / and /api/...
READ = {"GET", "HEAD", "OPTIONS"}  # a public GET path answers CORS preflights
API_READ = {"GET", "HEAD", "OPTIONS"}
ITEM = {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}
COLLECTION = {"GET", "HEAD", "POST", "OPTIONS"}

# Each resource of server/routes.py: a path it matches, and the methods that path takes,
# which are those of every route matching it (aiohttp's router gathers them all).
WALK: dict[str, tuple[str, set[str]]] = {
    "/": ("/", READ),  # the only path /{tail:.+} does not match
    "/feeds.opml": ("/feeds.opml", READ),
    "/feed.atom": ("/feed.atom", READ),
    "/feed.rss": ("/feed.rss", READ),
    "/feed.json": ("/feed.json", READ),
    "/feeds/{tail}": ("/feeds/posts/default", READ),
    "/{year}/{month}/{slug}.html": ("/2026/03/a-post.html", READ),
    "/p/{slug}.html": ("/p/about.html", READ),
    "/atom.xml": ("/atom.xml", READ),
    "/rss.xml": ("/rss.xml", READ),
    "/hub": ("/hub", {"POST"} | ANY_PATH),
    "/api/openapi.json": ("/api/openapi.json", API_READ),
    "/api/sites": ("/api/sites", COLLECTION),
    "/api/sites/{site_id}": ("/api/sites/1", ITEM),
    "/api/posts": ("/api/posts", COLLECTION),
    "/api/posts/bulk": ("/api/posts/bulk", {"POST", "OPTIONS"}),  # no post reference
    "/api/posts/{post}": ("/api/posts/1", ITEM),
    "/api/posts/{post}/comments": ("/api/posts/1/comments", COLLECTION),
    "/api/comments": ("/api/comments", API_READ),
    "/api/comments/{comment_id}": ("/api/comments/1", ITEM),
    "/api/labels": ("/api/labels", COLLECTION),
    "/api/labels/{label}": ("/api/labels/a", ITEM),
    "/api/imports": ("/api/imports", COLLECTION),
    "/api/imports/{import_id}": ("/api/imports/1", API_READ),
    "/api/subscriptions": ("/api/subscriptions", API_READ),
    "/api/deliveries": ("/api/deliveries", API_READ),
    "/api/regenerate": ("/api/regenerate", {"POST", "OPTIONS"}),
    "/{tail}": ("/no/such/page", READ),
}


def allowed(reply: Reply) -> set[str]:
    # RFC 9110 §10.2.1: Allow = #method, a comma-separated list (§5.6.1).
    [header] = reply.headers.getall("Allow")
    return {m.strip() for m in header.split(",") if m.strip()}


def assert_405(reply: Reply, method: str, path: str, methods: set[str]) -> None:
    assert reply.status == 405, f"{method} {path}: {reply.status} {reply.text[:200]}"
    assert allowed(reply) == methods, f"{method} {path}: Allow: {reply.headers['Allow']}"
    assert reply.is_problem, f"{method} {path}: {reply.headers.get('Content-Type')}"
    assert reply.json == {"type": "about:blank", "title": "Method Not Allowed",
                          "status": 405, "detail": "Method Not Allowed"}


def test_the_walk_covers_every_resource_of_the_route_table() -> None:
    app = web.Application()
    app.add_routes(ROUTES)
    assert {resource.canonical for resource in app.router.resources()} == set(WALK)


@pytest.mark.parametrize("fast", [False, True], ids=["aiohttp", "fast-path"])
async def test_a_wrong_method_anywhere_is_a_405_naming_the_methods_the_route_takes(
    make_api: Callable[..., Awaitable[Api]], fast: bool,
) -> None:
    api = await make_api(fast=fast)
    for path, methods in WALK.values():
        # PUT, which no route takes, and the first of POST, DELETE, PATCH this one does not.
        others = [m for m in ("POST", "DELETE", "PATCH") if m not in methods]
        for method in ["PUT", *others[:1]]:
            reply = await api.call(method, path)
            assert_405(reply, method, path, methods)


async def test_a_label_cannot_be_put_only_read_patched_or_deleted(api: Api) -> None:
    reply = await api.call("PUT", "/api/labels/a", {"name": "b"})
    assert_405(reply, "PUT", "/api/labels/a", ITEM)


async def test_the_post_collection_cannot_be_deleted_only_listed_or_added_to(api: Api) -> None:
    reply = await api.delete("/api/posts")
    assert_405(reply, "DELETE", "/api/posts", COLLECTION)


async def test_a_feed_reader_posting_to_a_feed_is_told_to_get_it(api: Api) -> None:
    reply = await api.call("POST", "/feeds/posts/default", data=b"hi", auth=False)
    assert_405(reply, "POST", "/feeds/posts/default", READ)


async def test_without_a_token_a_wrong_method_on_the_api_is_still_a_401(api: Api) -> None:
    # The token is checked first (server/auth.py): a stranger learns no route's methods.
    reply = await api.call("PUT", "/api/labels/a", auth=False)
    assert reply.status == 401 and "Allow" not in reply.headers


async def test_other_errors_carry_no_allow(api: Api) -> None:
    reply = await api.get("/api/labels/nowhere", expect=404)
    assert "Allow" not in reply.headers
    reply = await api.call("GET", "/no/such/page", auth=False)
    assert reply.status == 404 and "Allow" not in reply.headers
