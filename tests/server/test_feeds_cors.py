"""A feed reader running in a web page of another origin: it polls feeds with If-None-Match
(not a CORS-safelisted header, so the browser sends a preflight first), reads the ETag and
the WebSub hub from the Link header, and can read why a feed it asked for is a 400 or 404.
Run through aiohttp's handlers and behind the fast path (the `demo` fixture); the fast
path's own answers, on raw sockets, are in tests/server/test_fastpath.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Client

ORIGIN = {"Origin": "https://reader.example"}
EXPOSED = {"ETag", "Last-Modified", "Link"}
PUBLIC = ["/feeds/posts/default", "/feed.json", "/feeds.opml", "/",
          "/feeds/posts/default/-/cooking", "/feeds/comments/default"]


def assert_readable(headers: Any) -> None:
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert {h.strip() for h in headers["Access-Control-Expose-Headers"].split(",")} == EXPOSED
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize("path", PUBLIC)
async def test_a_browser_reader_polls_a_feed_with_its_etag(demo: Client, path: str) -> None:
    preflight = await demo.options(path, headers={
        **ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match, if-modified-since"})
    assert preflight.status == 204
    assert preflight.headers["Allow"] == "GET,HEAD,OPTIONS"
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    allowed = {h.strip().lower()
               for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-modified-since", "cache-control"} <= allowed
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0

    first = await demo.get(path, headers=ORIGIN)
    assert first.status == 200
    assert_readable(first.headers)
    again = await demo.get(path, headers={**ORIGIN, "If-None-Match": first.headers["ETag"]})
    assert again.status == 304
    assert_readable(again.headers)


async def test_a_post_page_takes_a_preflight_too(demo: Client) -> None:
    index = await (await demo.get("/feeds/posts/default?alt=json&max-results=1")).json()
    path = "/" + index["items"][0]["url"].split("/", 3)[3]
    assert (await demo.options(path, headers=ORIGIN)).status == 204
    assert_readable((await demo.get(path, headers=ORIGIN)).headers)


@pytest.mark.parametrize("path, status", [
    ("/feeds/posts/default/-/nosuch", 404),
    ("/feeds/posts/default?max-results=abc", 400),
    ("/no/such/page", 404),
])
async def test_a_browser_reader_can_read_why_a_feed_failed(demo: Client, path: str,
                                                           status: int) -> None:
    reply = await demo.get(path, headers=ORIGIN)
    assert reply.status == status
    assert_readable(reply.headers)
    assert "detail" in await reply.json(content_type=None)


async def test_the_hub_is_for_servers_not_pages(demo: Client) -> None:
    reply = await demo.options("/hub", headers=ORIGIN)
    assert reply.status == 405 and "OPTIONS" not in reply.headers["Allow"]
    assert "Access-Control-Allow-Origin" not in reply.headers
