"""A blogger moving a blog with one enormous post (a 3 MB photo diary, in CDATA, with
entities and characters from far outside ASCII): it is stored whole, and every feed that
shows it is a valid document that feedparser reads without complaint."""

from __future__ import annotations

import feedparser

from feeds.models import FeedFormat
from tests.atom_rules import assert_atom_valid
from tests.feeds.imports.conftest import Blog, entry_ids

PARAGRAPH = ("<p>Day 12 &amp; the fog lifts: <em>Ōtautahi</em> to 北京 — "
             "<a href=\"/2019/02/day-11.html\">yesterday</a>, "
             "<img src=\"https://img.example.net/diary/12.jpg\" alt=\"fog &lt;3\"></p>\n")
CONTENT = PARAGRAPH * (3_000_000 // len(PARAGRAPH) + 1)


def _wxr() -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Diary</title><wp:wxr_version>1.2</wp:wxr_version>
<item><title>A long diary</title><guid>https://old.example/?p=7</guid>
<link>https://old.example/2019/02/diary/</link>
<dc:creator><![CDATA[mara]]></dc:creator>
<content:encoded><![CDATA[{CONTENT}]]></content:encoded><wp:post_id>7</wp:post_id>
<wp:post_date_gmt>2019-02-12 06:30:00</wp:post_date_gmt><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
<item><title>A short note</title><guid>https://old.example/?p=8</guid>
<content:encoded><![CDATA[<p>Back home.</p>]]></content:encoded><wp:post_id>8</wp:post_id>
<wp:post_date_gmt>2019-02-13 06:30:00</wp:post_date_gmt><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
</channel></rss>""".encode()


async def test_an_enormous_post_is_stored_whole_and_its_feeds_stay_valid(blog: Blog) -> None:
    report = await blog.import_bytes("wordpress", _wxr(), "diary.xml")
    assert report.posts_added == 2 and not report.skipped
    (stored,) = [p for p in await blog.store.list_posts(blog.site.id)
                 if p.entry_id == "https://old.example/?p=7"]
    assert len(stored.content_html) > 3_000_000
    assert stored.content_html.count("<p>") == CONTENT.count("<p>")
    assert "https://blog.test/2019/02/day-11.html" in stored.content_html or \
        "http://blog.test/2019/02/day-11.html" in stored.content_html
    await blog.regenerate()
    feed = await blog.atom("/feeds/posts/default")
    assert entry_ids(feed) == ["https://old.example/?p=8", "https://old.example/?p=7"]
    for fmt in (FeedFormat.ATOM, FeedFormat.RSS):
        bodies = await blog.store.artifact_bodies(blog.site.id, "/feeds/posts/default", fmt)
        assert bodies is not None
        body = bodies[0]
        assert len(body) > 3_000_000
        if fmt is FeedFormat.ATOM:
            assert_atom_valid(body)
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [e.id for e in parsed.entries] == ["https://old.example/?p=8",
                                                   "https://old.example/?p=7"]
        assert "Ōtautahi" in parsed.entries[1].content[0].value
