"""Blogger's JSON, as a widget written for a Blogger blog reads it: the Atom feed mapped
element by element (GData JSON), with the links and comment counts Blogger's scripts look
for."""

from __future__ import annotations

import json

import pytest

from feeds.render.gdata_json import gdata_json, script, valid_callback

ATOM = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:thr="http://purl.org/syndication/thread/1.0"
 xmlns:openSearch="http://a9.com/-/spec/opensearch/1.1/"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom"
 xml:lang="en"><id>tag:blog.test,2026:site-1</id><title>A blog</title>\
<updated>2026-11-20T16:30:00+00:00</updated><link href="http://blog.test/" type="text/html"/>\
<openSearch:totalResults>2</openSearch:totalResults>\
<entry><id>tag:blog.test,2026:post-1</id><title>First \xe2\x80\xa8 line</title>\
<author><name>Kenji</name></author><content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>\
<link href="http://blog.test/2026/11/first.html"/>\
<link href="http://blog.test/feeds/1/comments/default" rel="replies" \
type="application/atom+xml" thr:count="3"/><thr:total>3</thr:total>\
<category term="travel"/><media:thumbnail url="http://blog.test/a.jpg"/></entry>\
<entry><id>tag:blog.test,2026:post-2</id><title></title>\
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content>\
</entry></feed>"""


def test_a_widget_reads_titles_links_and_counts_where_blogger_puts_them() -> None:
    doc = json.loads(gdata_json(ATOM))
    assert doc["version"] == "1.0" and doc["encoding"] == "UTF-8"
    feed = doc["feed"]
    assert feed["xmlns"] == "http://www.w3.org/2005/Atom"
    assert feed["xmlns$openSearch"] == "http://a9.com/-/spec/opensearch/1.1/"
    assert feed["xml$lang"] == "en"
    assert feed["title"] == {"$t": "A blog"}
    assert feed["openSearch$totalResults"] == {"$t": "2"}
    # An absent rel is "alternate" (RFC 4287 §4.2.7.2), spelled out as Blogger does.
    assert feed["link"] == [{"href": "http://blog.test/", "type": "text/html",
                             "rel": "alternate"}]

    first, second = feed["entry"]
    assert first["title"]["$t"] == "First \u2028 line"
    assert first["author"] == [{"name": {"$t": "Kenji"}}]  # always an array
    assert first["category"] == [{"term": "travel"}]
    assert first["content"] == {"type": "html", "$t": "<p>Hi</p>"}
    assert first["thr$total"] == {"$t": "3"}
    assert first["media$thumbnail"] == {"url": "http://blog.test/a.jpg"}
    alternate, replies, comments_page = first["link"]
    assert alternate == {"href": "http://blog.test/2026/11/first.html", "rel": "alternate",
                         "type": "text/html", "title": "First \u2028 line"}
    assert replies["thr$count"] == "3"
    assert comments_page == {"rel": "replies", "type": "text/html", "title": "3 Comments",
                             "href": "http://blog.test/2026/11/first.html#comments"}
    # An empty title still has its text; xhtml content is its markup as text.
    assert second["title"] == {"$t": ""}
    assert second["content"]["$t"].startswith("<div") and "<p>x</p>" in second[
        "content"]["$t"]


def test_a_feed_with_no_entries_has_no_entry_property() -> None:
    """Scripts test `"entry" in json.feed` (Blogger leaves it out)."""
    empty = ATOM.split(b"<entry>")[0] + b"</feed>"
    assert "entry" not in json.loads(gdata_json(empty))["feed"]


def test_the_json_is_a_script_every_browser_parses() -> None:
    """U+2028 ended a JavaScript string before ES2019: it goes out escaped."""
    body = gdata_json(ATOM)
    assert "\u2028".encode() not in body and b"\\u2028" in body
    wrapped = script("showPosts", body)
    assert wrapped.startswith(b"// API callback\nshowPosts({") and wrapped.endswith(b"});")
    assert gdata_json(ATOM) == body  # the same bytes every time


@pytest.mark.parametrize("name", ["showPosts", "jQuery1124_1733", "ns.widget.$show", "_"])
def test_a_callback_is_a_dotted_javascript_name(name: str) -> None:
    assert valid_callback(name)


@pytest.mark.parametrize("name", ["", "a;alert(1)", "a(1)", "1abc", "a..b", "a.", "a b",
                                  "</script>", "é", "a" * 129])
def test_a_callback_that_could_run_more_than_a_call_is_refused(name: str) -> None:
    assert not valid_callback(name)
