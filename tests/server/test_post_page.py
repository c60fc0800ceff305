"""A post's own page, as a person and a feed reader given its URL see it: who wrote it and
when, its labels leading to their feeds, and in its head the feeds to subscribe to
(discovery: HTML <link rel="alternate">) and its canonical URL."""

from __future__ import annotations

import json

import lxml.html

from tests.server.conftest import Client


async def _newest(demo: Client) -> dict[str, object]:
    doc = json.loads(await (await demo.get("/feeds/posts/default?alt=json&max-results=1")).read())
    item: dict[str, object] = doc["items"][0]
    return item


async def test_a_reader_given_a_posts_url_finds_the_site_feed_and_its_comment_feed(
    demo: Client,
) -> None:
    item = await _newest(demo)
    url = str(item["url"])
    page = lxml.html.fromstring(await (await demo.get("/" + url.split("/", 3)[3])).read())
    alternates = {(link.get("type"), link.get("href").split("/", 3)[3])
                  for link in page.xpath("//head/link[@rel='alternate']")}
    assert ("application/atom+xml", "feeds/posts/default") in alternates
    assert ("application/rss+xml", "feeds/posts/default?alt=rss") in alternates
    assert ("application/feed+json", "feeds/posts/default?alt=json") in alternates
    assert any(t == "application/atom+xml" and h.endswith("/comments/default")
               for t, h in alternates)
    assert page.xpath("//head/link[@rel='canonical']/@href") == [url]
    assert page.xpath("//head/meta[@name='description']/@content") == [item["summary"]]


async def test_the_post_says_who_wrote_it_and_when_and_its_labels_lead_to_their_feeds(
    demo: Client,
) -> None:
    item = await _newest(demo)
    page = lxml.html.fromstring(await (await demo.get("/" + str(item["url"]).split("/", 3)[3]
                                                      )).read())
    [byline] = page.xpath("//article/p[@class='byline']")
    names = [a.text for a in byline.xpath("a")]
    assert names == [a["name"] for a in item["authors"]]  # type: ignore[attr-defined]
    assert all("/feeds/authors/" in href for href in byline.xpath("a/@href"))
    [when] = byline.xpath("time/@datetime")
    assert when == str(item["date_published"]).replace("+00:00", "Z")
    labels = page.xpath("//article/p[@class='labels']/a")
    assert [a.text for a in labels] == item["tags"]
    for a in labels:
        resp = await demo.get("/" + a.get("href").split("/", 3)[3])
        assert resp.status == 200 and item["id"] in (await resp.text())
