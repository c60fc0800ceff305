"""The comments on a post's page, as a reader sees them: dated on the blog's clock (the
site's time zone, with its abbreviation), with the instant in <time datetime> for machines,
and threaded as WordPress and Blogger show them: a reply under the comment it answers, in a
nested list, at most five levels deep. Real HTTP on loopback, behind the fast path."""

from __future__ import annotations

from typing import Any

import lxml.html
from yarl import URL

from tests.server.api_conftest import Api
from tests.server.test_api_comments import comment


async def page(api: Api, post: dict[str, Any]) -> Any:
    reply = await api.feed(URL(post["url"]).path)
    assert reply.status == 200, reply.text[:300]
    return lxml.html.fromstring(reply.text)


def said(li: Any) -> str:
    """The words of one comment (its own paragraph, not its replies')."""
    return " ".join(p.text_content() for p in li.xpath("p[not(time)]"))


def thread(doc: Any) -> list[Any]:
    """The comment list as it nests: [(words, [replies...]), ...]."""
    def items(ol: Any) -> list[Any]:
        return [(said(li), items(li.find("ol")) if li.find("ol") is not None else [])
                for li in ol.xpath("li")]
    (top,) = doc.xpath("//section[@id='comments']/ol")
    return items(top)


async def test_a_reader_in_new_york_sees_the_comments_time_in_new_york_time(api: Api) -> None:
    await api.patch("/api/sites/1", {"timezone": "America/New_York"}, expect=200)
    post = await api.create_post(title="Frost")
    winter = await comment(api, post["id"], author="Ann")  # now: 2026-11-24 12:00 UTC
    summer = await comment(api, post["id"], author="Bo", published="2026-07-04T16:00:00Z")

    doc = await page(api, post)

    (ann,) = doc.xpath("//li[@id=$i]/p/time", i=f"comment-{winter['id']}")
    assert ann.text == "24 November 2026, 07:00 EST"
    assert ann.get("datetime") == "2026-11-24T12:00:00Z"
    (bo,) = doc.xpath("//li[@id=$i]/p/time", i=f"comment-{summer['id']}")
    assert (bo.text, bo.get("datetime")) == ("4 July 2026, 12:00 EDT", "2026-07-04T16:00:00Z")
    assert "UTC" not in doc.xpath("string(//section[@id='comments'])")

    # The blog moves to Paris: the same comment, on Paris's clock.
    await api.patch("/api/sites/1", {"timezone": "Europe/Paris"}, expect=200)
    doc = await page(api, post)
    (ann,) = doc.xpath("//li[@id=$i]/p/time", i=f"comment-{winter['id']}")
    assert (ann.text, ann.get("datetime")) == ("24 November 2026, 13:00 CET",
                                               "2026-11-24T12:00:00Z")


async def test_a_reply_is_shown_under_the_comment_it_answers(api: Api) -> None:
    post = await api.create_post(title="Tomatoes")
    first = await comment(api, post["id"], author="Ann", content_html="<p>First!</p>")
    await comment(api, post["id"], author="Cy", content_html="<p>Second.</p>")
    reply = await comment(api, post["id"], author="Bo", content_html="<p>Re first.</p>",
                          parent_id=first["id"])
    await comment(api, post["id"], author="Di", content_html="<p>Re re.</p>",
                  parent_id=reply["id"])
    await comment(api, post["id"], author="Ed", content_html="<p>Also re first.</p>",
                  parent_id=first["id"])
    held = await comment(api, post["id"], author="Fay", status="pending",
                         content_html="<p>Held.</p>")
    await comment(api, post["id"], author="Gus", content_html="<p>Re held.</p>",
                  parent_id=held["id"])

    doc = await page(api, post)

    assert thread(doc) == [
        ("First!", [("Re first.", [("Re re.", [])]), ("Also re first.", [])]),
        ("Second.", []),
        ("Re held.", []),  # what it answers is not shown: it answers the post
    ]
    (item,) = doc.xpath("//li[@id=$i]", i=f"comment-{reply['id']}")
    assert item.xpath("ancestor::li[1]/@id") == [f"comment-{first['id']}"]

    # The comment answered is deleted: its replies answer the post (the API's rule).
    await api.delete(f"/api/comments/{first['id']}", expect=204)
    assert thread(await page(api, post)) == [
        ("Second.", []), ("Re first.", [("Re re.", [])]), ("Also re first.", []),
        ("Re held.", [])]


async def test_a_long_exchange_stays_five_levels_deep_and_names_are_text(api: Api) -> None:
    post = await api.create_post(title="Argument")
    parent = None
    for i in range(8):
        made = await comment(api, post["id"], author=f"<b>R{i}</b> & co",
                             content_html=f"<p>Turn {i}.</p>", parent_id=parent)
        parent = made["id"]

    doc = await page(api, post)

    items = doc.xpath("//section[@id='comments']//li")
    assert [said(li) for li in items] == [f"Turn {i}." for i in range(8)]
    assert [len(li.xpath("ancestor::ol")) for li in items] == [1, 2, 3, 4, 5, 5, 5, 5]
    assert doc.xpath("//section[@id='comments']//b") == []
    assert items[0].xpath("string(p[time])").startswith("<b>R0</b> & co, ")


async def test_a_new_comment_changes_the_pages_etag(api: Api) -> None:
    post = await api.create_post(title="Cached")
    path = URL(post["url"]).path
    first = await api.client.get(path)
    tag = first.headers["ETag"]
    assert (await api.client.get(path, headers={"If-None-Match": tag})).status == 304

    await comment(api, post["id"], author="Ann")

    again = await api.client.get(path, headers={"If-None-Match": tag})
    assert again.status == 200 and again.headers["ETag"] != tag
    assert (await api.client.get(path, headers={"If-None-Match": again.headers["ETag"]})
            ).status == 304
