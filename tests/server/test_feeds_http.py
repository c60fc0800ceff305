"""A reader's view of the feed server, over real HTTP on loopback."""

from __future__ import annotations

import gzip
import json
from typing import Any

import brotli
import pytest

from tests.server.conftest import Client

FEED_URLS = [
    "/feeds/posts/default",
    "/feeds/posts/full",
    "/feeds/posts/summary",
    "/feeds/posts/default/-/feeds",
    "/feeds/posts/default/-/feeds/atom",
    "/feeds/posts/summary/-/cooking",
    "/feeds/authors/zoe-angstrom/default",
    "/feeds/comments/default",
]
ON_DEMAND = {"/feeds/posts/default/-/feeds/atom", "/feeds/posts/summary/-/cooking"}
"""Not rendered ahead of time: no stored version to date (tests/server/test_feed_validators.py)."""
TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json",
}


def _with_alt(url: str, alt: str) -> str:
    return url if alt == "atom" else f"{url}{'&' if '?' in url else '?'}alt={alt}"


@pytest.mark.parametrize("alt", ["atom", "rss", "json"])
@pytest.mark.parametrize("url", FEED_URLS)
async def test_every_feed_answers_with_its_exact_content_type(
    demo: Client, url: str, alt: str
) -> None:
    resp = await demo.get(_with_alt(url, alt))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == TYPES[alt]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert resp.headers["ETag"].startswith('"')
    assert ("Last-Modified" in resp.headers) is (url not in ON_DEMAND)
    assert 'rel="self"' in resp.headers["Link"]


@pytest.mark.parametrize("alias, alt", [("/feed.atom", "atom"), ("/feed.rss", "rss"),
                                        ("/feed.json", "json")])
async def test_short_aliases_serve_the_site_feed(demo: Client, alias: str, alt: str) -> None:
    short = await demo.get(alias)
    full = await demo.get(_with_alt("/feeds/posts/default", alt))
    assert short.headers["Content-Type"] == TYPES[alt]
    assert await short.read() == await full.read()


async def test_each_format_has_its_own_self_url_and_names_syndics_hub(demo: Client) -> None:
    links = {}
    for alt in ("atom", "rss", "json"):
        resp = await demo.get(_with_alt("/feeds/posts/default", alt))
        links[alt] = resp.headers["Link"]
    hub = '<http://blog.test/hub>; rel="hub", '
    assert links["atom"] == hub + '<http://blog.test/feeds/posts/default>; rel="self"'
    assert links["rss"] == hub + '<http://blog.test/feeds/posts/default?alt=rss>; rel="self"'
    assert links["json"] == hub + '<http://blog.test/feeds/posts/default?alt=json>; rel="self"'


async def test_a_reader_polling_with_the_etag_it_was_given_gets_a_304(demo: Client) -> None:
    first = await demo.get("/feeds/posts/default")
    etag = first.headers["ETag"]
    again = await demo.get("/feeds/posts/default", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag


async def test_a_reader_polling_with_last_modified_gets_a_304(demo: Client) -> None:
    first = await demo.get("/feeds/posts/default?alt=rss")
    since = first.headers["Last-Modified"]
    again = await demo.get("/feeds/posts/default?alt=rss", headers={"If-Modified-Since": since})
    assert again.status == 304


async def test_if_none_match_wins_over_if_modified_since(demo: Client) -> None:
    first = await demo.get("/feeds/posts/default")
    resp = await demo.get(
        "/feeds/posts/default",
        headers={"If-None-Match": '"stale"', "If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    "header, expected",
    [
        (lambda etag: f'"a", {etag}, "b"', 304),
        (lambda etag: f"W/{etag}", 304),
        (lambda etag: "*", 304),
        (lambda etag: '"something-else"', 200),
    ],
)
async def test_if_none_match_lists_weak_tags_and_star(
    demo: Client, header: Any, expected: int
) -> None:
    etag = (await demo.get("/feeds/posts/full")).headers["ETag"]
    resp = await demo.get("/feeds/posts/full", headers={"If-None-Match": header(etag)})
    assert resp.status == expected


@pytest.mark.parametrize(
    "accept, encoding",
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip;q=1", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("identity", None),
    ],
)
async def test_compression_is_negotiated_and_decodes_to_the_same_bytes(
    demo: Client, accept: str, encoding: str | None
) -> None:
    identity = {"Accept-Encoding": "identity"}
    plain = await (await demo.get("/feeds/posts/default", headers=identity)).read()
    resp = await demo.get(
        "/feeds/posts/default", headers={"Accept-Encoding": accept}, auto_decompress=False
    )
    body = await resp.read()
    assert resp.headers.get("Content-Encoding") == encoding
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":
        body = brotli.decompress(body)
    assert body == plain


async def test_head_answers_headers_without_a_body(demo: Client) -> None:
    resp = await demo.head("/feeds/posts/default")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == TYPES["atom"]
    assert await resp.read() == b""


async def test_an_unknown_label_author_or_post_is_a_404_with_a_short_body(demo: Client) -> None:
    for url in (
        "/feeds/posts/default/-/no-such-label",
        "/feeds/authors/nobody/default",
        "/feeds/999999/comments/default",
        "/feeds/nothing/here",
    ):
        resp = await demo.get(url)
        assert resp.status == 404, url
        assert resp.headers["Content-Type"] == "application/problem+json"
        assert len(await resp.read()) < 300


@pytest.mark.parametrize(
    "query, field",
    [
        ("max-results=abc", "max-results"),
        ("max-results=-1", "max-results"),
        ("callback=a%3Bb&alt=json-in-script", "callback"),
        ("start-index=-3", "start-index"),
        ("published-min=yesterday-ish", "published-min"),
        ("updated-max=2026-13-45", "updated-max"),
        ("orderby=random", "orderby"),
        ("alt=xml", "alt"),
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it(demo: Client, query: str, field: str) -> None:
    resp = await demo.get(f"/feeds/posts/default?{query}")
    assert resp.status == 400
    problem = json.loads(await resp.read())
    assert problem["field"] == field
    assert field in problem["detail"]


async def test_paging_walks_the_whole_site_with_opensearch_and_rfc5005_links(
    demo: Client,
) -> None:
    seen: list[str] = []
    url = "/feeds/posts/default?alt=json&max-results=7"
    while url:
        doc = json.loads(await (await demo.get(url)).read())
        seen += [item["id"] for item in doc["items"]]
        url = doc.get("next_url", "").removeprefix("http://blog.test")
    assert len(seen) == len(set(seen))
    atom = (await (await demo.get("/feeds/posts/default?max-results=7")).read()).decode()
    assert f"<openSearch:totalResults>{len(seen)}</openSearch:totalResults>" in atom
    assert "<openSearch:itemsPerPage>7</openSearch:itemsPerPage>" in atom
    assert 'rel="next"' in atom and 'rel="first"' in atom and 'rel="last"' in atom
    assert 'start-index=8' in atom


async def test_max_results_is_capped_by_the_setting(demo: Client) -> None:
    doc = (await (await demo.get("/feeds/posts/default?max-results=100000")).read()).decode()
    assert "<openSearch:itemsPerPage>500</openSearch:itemsPerPage>" in doc


async def test_label_feeds_show_posts_having_all_the_labels(demo: Client) -> None:
    both = json.loads(await (await demo.get("/feeds/posts/default/-/feeds/atom?alt=json")).read())
    for item in both["items"]:
        assert {"feeds", "atom"} <= set(item["tags"])


async def test_date_windows_and_order_are_honoured(demo: Client) -> None:
    url = (
        "/feeds/posts/default?alt=json"
        "&published-min=2025-06-01T00:00:00Z&published-max=2025-09-01"
    )
    doc = json.loads(await (await demo.get(url)).read())
    dates = [item["date_published"] for item in doc["items"]]
    assert dates and all("2025-06" <= d[:7] <= "2025-08" for d in dates)
    assert dates == sorted(dates, reverse=True)


async def test_the_control_character_and_the_script_never_reach_a_feed(demo: Client) -> None:
    for alt in ("atom", "rss", "json"):
        body = await (await demo.get(_with_alt("/feeds/posts/default?max-results=500", alt))).read()
        assert b"\x0b" not in body
        # The demo posts *talk* about <script> (escaped text); no element may survive.
        assert b"<script" not in body
        assert b"onerror=" not in body and b"javascript:alert" not in body
        if alt != "json":
            assert b"&lt;script" not in body
        assert b"Vertical tab" in body
