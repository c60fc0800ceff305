"""Every kind of feed we publish, in every format, as a feed reader and a validator see it:
feedparser reads it with bozo 0 and gets every field back; Atom is valid RFC 4287."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from tests.atom_rules import assert_atom_valid
from tests.jsonfeed_rules import assert_jsonfeed_valid
from tests.server.conftest import Client

KINDS = [
    "/feeds/posts/default",
    "/feeds/posts/full",
    "/feeds/posts/summary",
    "/feeds/posts/default/-/feeds",
    "/feeds/posts/full/-/travel",
    "/feeds/posts/default/-/caf%C3%A9",
    "/feeds/authors/kenji-%E7%94%B0%E4%B8%AD/default",
    "/feeds/authors/zoe-angstrom/summary",
    "/feeds/comments/default",
    "/feeds/posts/default?max-results=3&start-index=4",
    "/feeds/posts/default?orderby=updated&updated-min=2025-01-01",
]


def _alt(url: str, alt: str) -> str:
    return url if alt == "atom" else f"{url}{'&' if '?' in url else '?'}alt={alt}"


async def _commented_post_feed(demo: Client) -> str:
    body = await (await demo.get("/feeds/comments/default?alt=json")).read()
    doc = json.loads(body)
    assert doc["items"], "the demo has comments"
    site = json.loads(await (await demo.get("/feeds/posts/default?alt=json&max-results=500")).read())
    commented = next(i for i in site["items"] if i["url"] in doc["items"][0]["url"])
    atom = (await (await demo.get("/feeds/posts/default?max-results=500")).read()).decode()
    # the replies link of that entry is its comment feed
    start = atom.index(commented["id"])
    href = atom[atom.index('rel="replies"', start) - 200 : atom.index('rel="replies"', start)]
    return "/feeds/" + href.split("/feeds/")[-1].split('"')[0]


@pytest.mark.parametrize("url", KINDS)
async def test_atom_feeds_are_valid_and_read_back_whole(demo: Client, url: str) -> None:
    body = await (await demo.get(url)).read()
    assert_atom_valid(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title and parsed.feed.link
    for entry in parsed.entries:
        assert entry.id.startswith("tag:")
        assert entry.title and entry.link.startswith("http://blog.test/")
        assert entry.published_parsed and entry.updated_parsed
        assert entry.author
        assert entry.get("content") or entry.get("summary")


@pytest.mark.parametrize("url", KINDS)
async def test_rss_feeds_read_back_whole(demo: Client, url: str) -> None:
    parsed = feedparser.parse(await (await demo.get(_alt(url, "rss"))).read())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.link == "http://blog.test/"
    for entry in parsed.entries:
        assert entry.id.startswith("tag:")
        assert entry.title and entry.link.startswith("http://blog.test/")
        assert entry.published_parsed
        assert entry.author  # dc:creator: authors without email are not lost
        assert entry.summary


@pytest.mark.parametrize("url", KINDS)
async def test_json_feeds_are_valid_json_feed_1_1(demo: Client, url: str) -> None:
    # feedparser 6.0 (the released line) does not read JSON Feed: the spec's rules instead.
    doc = assert_jsonfeed_valid(await (await demo.get(_alt(url, "json"))).read())
    assert doc["feed_url"].startswith("http://blog.test/feeds/")
    for item in doc["items"]:
        assert item["id"] and item["url"] and item["title"] and item["date_published"]
        assert ("content_html" in item) or ("content_text" in item)


async def test_full_feeds_carry_content_and_summary_feeds_only_the_summary(demo: Client) -> None:
    full = feedparser.parse(await (await demo.get("/feeds/posts/full")).read())
    summary = feedparser.parse(await (await demo.get("/feeds/posts/summary")).read())
    assert all(e.get("content") for e in full.entries)
    assert not any(e.get("content") for e in summary.entries)
    assert all(len(e.summary) <= 300 for e in summary.entries)
    rss = feedparser.parse(await (await demo.get("/feeds/posts/full?alt=rss")).read())
    assert all(e.get("content") and e.summary for e in rss.entries)  # content:encoded + description


async def test_entries_carry_comment_counts_links_and_thumbnails(demo: Client) -> None:
    atom = (await (await demo.get("/feeds/posts/default?max-results=500")).read()).decode()
    rss = (await (await demo.get("/feeds/posts/default?max-results=500&alt=rss")).read()).decode()
    assert "<thr:total>" in atom and 'rel="replies"' in atom and "thr:count=" in atom
    assert "<slash:comments>" in rss and "<wfw:commentRss>" in rss and "<comments>" in rss
    assert "<media:thumbnail" in atom and "<media:thumbnail" in rss
    parsed = json.loads(await (await demo.get("/feeds/posts/default?alt=json&max-results=500")).read())
    assert any(item.get("image", "").startswith("http://blog.test/") for item in parsed["items"])


async def test_a_posts_comment_feed_is_valid_in_every_format(demo: Client) -> None:
    url = await _commented_post_feed(demo)
    body = await (await demo.get(url)).read()
    assert_atom_valid(body)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0 and parsed.entries
    assert "thr:in-reply-to" in body.decode()
    rss = feedparser.parse(await (await demo.get(_alt(url, "rss"))).read())
    assert rss.bozo == 0 and rss.entries
    assert assert_jsonfeed_valid(await (await demo.get(_alt(url, "json"))).read())["items"]


async def test_relative_links_and_images_are_made_absolute(demo: Client) -> None:
    doc = json.loads(await (await demo.get("/feeds/posts/full?alt=json&max-results=500")).read())
    for item in doc["items"]:
        tree = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
        for elem in tree.iter("a", "img"):
            url = elem.get("href") or elem.get("src")
            if url:
                assert urlsplit(url).scheme in ("http", "https", "mailto"), url
