"""The pages beside the feeds: the discovery page, OPML and a post's page carry a strong
ETag and the feeds' Cache-Control, so a poller gets a 304 for a page it already has."""

from __future__ import annotations

import pytest

from tests.server.conftest import Client


@pytest.mark.parametrize("path", ["/", "/feeds.opml"])
async def test_an_opml_or_discovery_poller_holding_the_etag_gets_a_304(demo: Client,
                                                                        path: str) -> None:
    first = await demo.get(path)
    assert first.status == 200
    tag = first.headers["ETag"]
    assert tag.startswith('"') and first.headers["Cache-Control"] == "public, max-age=300"
    body = await first.read()

    again = await demo.get(path, headers={"If-None-Match": f'W/"other", {tag}'})
    assert again.status == 304 and await again.read() == b""
    assert again.headers["ETag"] == tag
    head = await demo.head(path)
    assert head.status == 200 and head.headers["ETag"] == tag
    assert (await (await demo.get(path)).read()) == body


async def test_a_post_page_has_its_etag_too(demo: Client) -> None:
    index = await (await demo.get("/feeds/posts/default?alt=json&max-results=1")).json()
    path = "/" + index["items"][0]["url"].split("/", 3)[3]
    first = await demo.get(path)
    assert first.status == 200 and first.headers["ETag"]
    again = await demo.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304
