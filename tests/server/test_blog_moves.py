"""A blogger moves their blog to a new address, or asks for longer summaries: the posts
already published follow, in every feed, not only the posts written afterwards."""

from __future__ import annotations

import feedparser

from tests.server.api_conftest import Api, until

BODY = ('<p>See <a href="/about">about</a> and <img src="pic.png" alt="a picture"> and '
        '<a href="https://elsewhere.example/">a friend</a>. '
        + " ".join(f"word{i}" for i in range(60)) + "</p>")


async def _blog(api: Api) -> tuple[int, int]:
    site = (await api.post("/api/sites", {"host": "moving.test", "title": "Moving",
                                          "summary_length": 80}, expect=201)).json
    post = (await api.post("/api/posts?site=moving.test",
                           {"title": "Before the move", "content_html": BODY},
                           expect=201)).json
    await until(lambda: api.feed(host="moving.test"),
                lambda r: "Before the move" in r.text)
    return int(site["id"]), int(post["id"])


async def test_a_blog_that_moves_to_a_new_address_takes_its_old_posts_links_along(
        api: Api) -> None:
    site_id, post_id = await _blog(api)
    old = (await api.get(f"/api/posts/{post_id}?site=moving.test")).json
    assert 'href="http://moving.test/about"' in old["content_html"]

    await api.patch(f"/api/sites/{site_id}", {"base_url": "https://moved.example/blog"},
                    expect=200)

    reply = await until(lambda: api.feed(host="moving.test"),
                        lambda r: "https://moved.example/blog/about" in r.text)
    assert "http://moving.test/" not in reply.text
    assert 'href="https://elsewhere.example/"' in reply.text
    entry = feedparser.parse(reply.text).entries[0]
    assert entry.link.startswith("https://moved.example/blog/")
    now = (await api.get(f"/api/posts/{post_id}?site=moving.test")).json
    assert now["version"] == old["version"] + 1  # its ETag changed: an editor must re-read
    assert now["updated"] == old["updated"]  # not news to a reader (RFC 4287 §4.2.15)


async def test_a_longer_summary_length_reaches_the_summary_feed_of_old_posts(
        api: Api) -> None:
    site_id, post_id = await _blog(api)
    summary = "/feeds/posts/summary"
    first = feedparser.parse((await api.feed(summary, "moving.test")).text).entries[0]
    assert len(first.summary) <= 80

    await api.patch(f"/api/sites/{site_id}", {"summary_length": 300}, expect=200)

    reply = await until(lambda: api.feed(summary, "moving.test"),
                        lambda r: "word30" in r.text)
    longer = feedparser.parse(reply.text).entries[0].summary
    assert 80 < len(longer) <= 300 and longer.startswith(first.summary.rstrip("…"))
    shown = (await api.get(f"/api/posts/{post_id}?site=moving.test")).json["summary"]
    assert shown == longer
