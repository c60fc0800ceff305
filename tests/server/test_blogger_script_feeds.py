"""A "recent posts" widget written for a Blogger blog keeps working after the move: it loads
/feeds/posts/default?alt=json-in-script&callback=NAME with a <script> tag and reads
Blogger's JSON (feeds/render/gdata_json.py). Served by a running syndic, through aiohttp and
behind the fast path (the `demo` fixture)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import feedparser

from tests.atom_rules import assert_atom_entry_valid, assert_atom_valid
from tests.server.conftest import Client

PREFIX = b"// API callback\n"


async def _called(demo: Client, url: str, callback: str) -> tuple[Any, Any]:
    """The argument the script passes to `callback`, and the response."""
    resp = await demo.get(url)
    assert resp.status == 200, await resp.text()
    body = await resp.read()
    assert body.startswith(PREFIX + callback.encode() + b"(") and body.endswith(b");")
    return json.loads(body[len(PREFIX) + len(callback) + 1:-2]), resp


async def test_a_recent_posts_widget_gets_the_posts_the_atom_feed_has(demo: Client) -> None:
    url = "/feeds/posts/default?alt=json-in-script&callback=showrecentposts&max-results=5"
    doc, resp = await _called(demo, url, "showrecentposts")
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"

    atom = feedparser.parse(await (await demo.get(
        "/feeds/posts/default?max-results=5")).read())
    assert atom.bozo == 0
    entries = doc["feed"]["entry"]
    assert [e["title"]["$t"] for e in entries] == [e.title for e in atom.entries]
    assert [e["id"]["$t"] for e in entries] == [e.id for e in atom.entries]
    # What such widgets read: the post's link, its date, its comment count.
    for entry, parsed in zip(entries, atom.entries, strict=True):
        [alternate] = [link for link in entry["link"] if link["rel"] == "alternate"]
        assert alternate["href"] == parsed.link
        assert entry["published"]["$t"] == parsed.published
        assert entry["thr$total"]["$t"].isdigit()
    assert doc["feed"]["openSearch$totalResults"]["$t"] == str(atom.feed.opensearch_totalresults)


async def test_label_and_comment_feeds_have_the_script_form_too(demo: Client) -> None:
    doc, _ = await _called(demo, "/feeds/posts/summary/-/travel?alt=json-in-script&callback=t",
                           "t")
    assert doc["feed"]["entry"] and all(
        any(c["term"] == "travel" for c in e["category"]) for e in doc["feed"]["entry"])
    assert all("summary" in e and "content" not in e for e in doc["feed"]["entry"])
    doc, _ = await _called(demo, "/feeds/comments/default?alt=JSON-IN-SCRIPT&callback=c", "c")
    assert doc["feed"]["entry"]


async def test_without_a_callback_the_script_calls_bloggers_loader(demo: Client) -> None:
    await _called(demo, "/feeds/posts/default?alt=json-in-script", "gdata.io.handleScriptLoaded")


async def test_a_widget_polling_with_its_etag_gets_a_304_and_gzip_when_it_asks(
    demo: Client,
) -> None:
    url = "/feeds/posts/default?alt=json-in-script&callback=showrecentposts"
    first = await demo.get(url, headers={"Accept-Encoding": "identity"})
    etag, body = first.headers["ETag"], await first.read()
    atom_etag = (await demo.get("/feeds/posts/default")).headers["ETag"]
    assert etag != atom_etag  # another representation, another validator

    again = await demo.get(url, headers={"If-None-Match": etag,
                                         "Accept-Encoding": "identity"})
    assert again.status == 304
    zipped = await demo.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await zipped.read()) == body
    other = await demo.get(url.replace("showrecentposts", "other"),
                           headers={"If-None-Match": etag})
    assert other.status == 200  # another callback is another body


async def test_a_callback_that_is_not_a_name_is_refused_naming_it(demo: Client) -> None:
    resp = await demo.get("/feeds/posts/default?alt=json-in-script&callback=x;alert(1)//")
    assert resp.status == 400
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert (await resp.json())["field"] == "callback"


async def test_the_rss_and_json_aliases_are_not_wrapped(demo: Client) -> None:
    """/feed.rss names RSS: json-in-script is made from Atom, so it names the URL to use."""
    resp = await demo.get("/feed.rss?alt=json-in-script")
    assert resp.status == 400
    problem = await resp.json()
    assert problem["field"] == "alt" and "/feeds/posts/default?alt=json-in-script" in problem[
        "detail"]
    doc, _ = await _called(demo, "/feed.atom?alt=json-in-script&callback=f", "f")
    assert doc["feed"]["entry"]


async def test_alt_json_stays_json_feed(demo: Client) -> None:
    doc = await (await demo.get("/feeds/posts/default?alt=json")).json(content_type=None)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"


async def test_an_unknown_label_is_a_404_as_in_atom(demo: Client) -> None:
    resp = await demo.get("/feeds/posts/default/-/no-such-label?alt=json-in-script")
    assert resp.status == 404


async def test_a_post_count_widget_asks_for_no_entries_and_reads_the_total(
    demo: Client,
) -> None:
    """Label clouds and "N posts" widgets ask max-results=0: the counts, no entry."""
    atom = await (await demo.get("/feeds/posts/default?max-results=500")).read()
    total = len(feedparser.parse(atom).entries)
    doc, _ = await _called(
        demo, "/feeds/posts/summary?alt=json-in-script&max-results=0&callback=count", "count")
    assert "entry" not in doc["feed"]
    assert doc["feed"]["openSearch$totalResults"]["$t"] == str(total)
    assert doc["feed"]["openSearch$itemsPerPage"]["$t"] == "0"

    for alt in ("", "&alt=rss", "&alt=json"):
        resp = await demo.get(f"/feeds/posts/default/-/travel?max-results=0{alt}")
        assert resp.status == 200, alt
        body = await resp.read()
        if alt == "&alt=json":
            assert json.loads(body)["items"] == []
            continue
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0 and parsed.entries == []
        assert int(parsed.feed.opensearch_totalresults) > 0
        if not alt:
            assert_atom_valid(body)


async def test_a_featured_post_widget_loads_one_post_by_its_id(demo: Client) -> None:
    """Blogger answers /feeds/posts/default/POSTID with that post alone: an Atom entry
    document (RFC 4287 §4.1.2), and in the script form `json.entry`."""
    site = feedparser.parse(await (await demo.get("/feeds/posts/default?max-results=1")).read())
    [newest] = site.entries
    # The post's id is in its comment feed's URL (the replies link).
    replies = next(link.href for link in newest.links if link.rel == "replies")
    post_id = replies.split("/feeds/", 1)[1].split("/", 1)[0]

    resp = await demo.get(f"/feeds/posts/default/{post_id}")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/atom+xml; type=entry; charset=utf-8"
    body = await resp.read()
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<entry ")
    assert_atom_entry_valid(body)
    alone = feedparser.parse(body)
    assert alone.bozo == 0
    assert [e.id for e in alone.entries] == [newest.id]

    doc, _ = await _called(demo, f"/feeds/posts/summary/{post_id}?alt=json-in-script&callback=f",
                           "f")
    entry = doc["entry"]
    assert entry["id"]["$t"] == newest.id and "summary" in entry
    assert [link["href"] for link in entry["link"] if link["rel"] == "alternate"] == [
        newest.link]

    for alt in ("rss", "json"):
        resp = await demo.get(f"/feeds/posts/default/{post_id}?alt={alt}")
        body = await resp.read()
        items = json.loads(body)["items"] if alt == "json" else feedparser.parse(body).entries
        assert len(items) == 1, alt


async def test_a_post_that_is_not_there_is_a_404(demo: Client) -> None:
    for url in ("/feeds/posts/default/987654321", "/feeds/posts/default/1?start-index=2",
                "/feeds/posts/default/1?published-max=2000-01-01"):
        assert (await demo.get(url)).status == 404, url
