"""Stories about moving a blog in from any feed: RSS, Atom or JSON Feed pages become import
items, the ids readers know are kept, and what cannot be read is refused naming where."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feeds.imports.feed import FeedPage, parse_feed
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem, Skipped
from feeds.models import Author, Enclosure
from tests.feeds.imports.conftest import Blog

FIXTURES = Path(__file__).parent / "fixtures" / "feed"
WARSAW = ZoneInfo("Europe/Warsaw")


def parse(name: str, base_url: str = "", content_type: str = "") -> FeedPage:
    return parse_feed((FIXTURES / name).read_bytes(), WARSAW, base_url, content_type)


def post(item: ImportItem) -> ImportedPost:
    assert isinstance(item, ImportedPost), item
    return item


def rss_item(inner: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><guid>urn:x:1</guid><title>One</title>{inner}</item></channel></rss>"
    ).encode()


# --- RSS ----------------------------------------------------------------------------------------


def test_an_rss_feeds_guids_become_entry_ids() -> None:
    items = parse("rss2.xml").items
    assert [post(i).entry_id for i in items[:4]] == [
        "tag:old.example.net,2024:post-1",  # isPermaLink="false": kept as written
        "https://old.example.net/2024/06/fish-and-chips/",
        "https://old.example.net/notes/undated",
        "micro-2024-07-01",
    ]
    assert all(post(i).source_id == post(i).entry_id for i in items[:4])
    wheres = [i.where for i in items if isinstance(i, ImportedPost | Skipped)]
    assert wheres == [f"entry {n}" for n in range(1, 6)]


def test_an_rss_item_keeps_its_content_creator_categories_and_enclosure() -> None:
    page = parse("rss2.xml")
    hello = post(page.items[0])
    assert page.title == "Kathmandu & Back"
    assert hello.title == "Hello world"
    assert hello.content_html == "<p>Caf&eacute; in <b>Thamel</b> &mdash; first day.</p>"
    assert hello.summary == "A short teaser."  # the description, as content:encoded is full
    assert hello.authors == (Author("Asha Gurung"),)
    assert hello.labels == ("travel", "nepal")
    assert hello.enclosures == (
        Enclosure("https://old.example.net/audio/ep1.mp3", "audio/mpeg", 12345678),
    )
    assert (hello.slug, hello.kind, hello.old_paths) == ("hello-world", "post", ())


def test_an_rss_description_alone_is_the_content_and_entities_are_decoded() -> None:
    fish = post(parse("rss2.xml").items[1])
    assert fish.title == "Fish & chips in St. John’s"
    assert fish.content_html == "<p>Newfoundland &amp; Labrador, day two.</p>"
    assert fish.summary is None
    assert fish.slug == "fish-and-chips"


def test_dates_in_odd_time_zones_come_out_utc() -> None:
    items = parse("rss2.xml").items
    assert post(items[0]).published == datetime(2024, 5, 14, 3, 30, tzinfo=UTC)  # +0545
    assert post(items[1]).published == datetime(2024, 6, 1, 22, 0, tzinfo=UTC)  # -0330
    assert post(items[3]).published == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)  # GMT


def test_an_item_without_a_date_has_none_and_no_borrowed_updated() -> None:
    items = parse("rss2.xml").items
    assert post(items[2]).published is None
    # feedparser answers `updated` with `published`; the parser must not.
    assert post(items[0]).updated is None


def test_a_microblog_item_without_title_takes_the_start_of_its_text() -> None:
    micro = post(parse("rss2.xml").items[3])
    assert micro.title == "Just landed in Pokhara after a bumpy twenty-five minute flig…"
    assert len(micro.title) == 61


def test_an_item_with_neither_id_nor_link_is_skipped_with_the_reason() -> None:
    assert parse("rss2.xml").items[4] == Skipped("entry 5", "no id and no link", "Orphan item")


def test_an_rss_next_link_is_made_absolute_against_the_page_url() -> None:
    page = parse("rss2.xml", base_url="https://old.example.net/feed.xml")
    assert page.next_url == "https://old.example.net/feed?page=2"


def test_a_date_without_zone_takes_the_site_zone() -> None:
    data = rss_item("<pubDate>2024-05-14T09:15:00</pubDate>")
    assert post(parse_feed(data, WARSAW).items[0]).published == datetime(
        2024, 5, 14, 7, 15, tzinfo=UTC
    )


def test_an_rfc822_zone_name_is_read_by_feedparser() -> None:
    data = rss_item("<pubDate>Mon, 01 Jul 2024 07:00:00 EST</pubDate>")
    assert post(parse_feed(data, WARSAW).items[0]).published == datetime(
        2024, 7, 1, 12, 0, tzinfo=UTC
    )


def test_an_item_with_a_date_nobody_can_read_is_skipped() -> None:
    (item,) = parse_feed(rss_item("<pubDate>the day after tomorrow</pubDate>"), WARSAW).items
    assert isinstance(item, Skipped)
    assert (item.where, item.title) == ("entry 1", "One")
    assert item.reason == "published: not a date: 'the day after tomorrow'"


def test_an_item_with_no_title_and_no_text_is_skipped() -> None:
    data = b'<rss version="2.0"><channel><item><guid>urn:x</guid></item></channel></rss>'
    assert parse_feed(data, WARSAW).items == [Skipped("entry 1", "no title and no text")]


# --- Atom ---------------------------------------------------------------------------------------


def test_an_atom_feeds_next_link_is_followed_from_the_page() -> None:
    page = parse("atom.xml", base_url="https://atom.example.com/blog/feed.atom")
    assert page.title == "Two Hands"
    assert page.next_url == "https://atom.example.com/blog/feed.atom?page=2"


def test_an_atom_entry_keeps_xhtml_authors_labels_and_enclosures() -> None:
    entry = post(parse("atom.xml").items[0])
    assert entry.entry_id == "tag:atom.example.com,2020:post-42"
    assert entry.title == "Working together"  # type="html" title, as plain text
    assert entry.content_html == (
        '<p>We write <strong>together</strong>.</p><img alt="desk" '
        'src="https://atom.example.com/blog/img/desk.jpg" />'
    )
    assert entry.summary == "How we write together."
    # feedparser copies Ana's email into Ben's author: it must not stick.
    assert entry.authors == (
        Author("Ana Silva", "https://ana.example.com/", "ana@example.com"),
        Author("Ben Okafor"),
    )
    assert entry.labels == ("Collaboration", "writing")  # the label when there is one
    assert entry.enclosures == (
        Enclosure("https://atom.example.com/blog/files/notes.pdf", "application/pdf", 2048),
    )
    assert entry.published == datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    assert entry.updated == datetime(2024, 3, 2, 8, 30, tzinfo=UTC)
    assert entry.slug == "working-together"


def test_atom_text_content_becomes_escaped_paragraphs() -> None:
    entry = post(parse("atom.xml").items[1])
    assert entry.content_html == (
        "<p>First line &lt;not a tag&gt; &amp; more.</p><p>Second paragraph.</p>"
    )
    assert entry.summary is None  # feedparser's copy of the content is no summary
    assert entry.authors == (Author("Feed Owner"),)  # inherited from the feed
    assert entry.published == entry.updated == datetime(2024, 2, 10, 12, 0, tzinfo=UTC)


# --- JSON Feed ----------------------------------------------------------------------------------


def test_a_json_feed_item_keeps_html_authors_tags_and_attachments() -> None:
    page = parse("feed.json", base_url="https://json.example.org/feed.json")
    assert page.title == "Jay's Microblog"
    assert page.next_url == "https://json.example.org/feed.json?page=2"
    item = post(page.items[0])
    assert (item.entry_id, item.title) == ("2347259", "Summer reading")
    assert item.content_html == "<p>Three books & a <em>hammock</em>.</p>"
    assert item.summary == "Three books."
    assert item.published == datetime(2024, 8, 1, 21, 30, tzinfo=UTC)
    assert item.updated == datetime(2024, 8, 2, 7, 0, tzinfo=UTC)
    assert item.authors == (Author("Jay Feed", "https://json.example.org/about"), Author("Kim"))
    assert item.labels == ("books", "summer")
    assert item.enclosures == (
        Enclosure("https://json.example.org/ep/summer.m4a", "audio/x-m4a", 89970236),
        Enclosure("https://json.example.org/files/list.txt", "text/plain", 0),
    )
    assert item.slug == "summer-reading"


def test_a_json_feed_item_with_only_text_becomes_escaped_paragraphs() -> None:
    item = post(parse("feed.json").items[1])
    assert item.content_html == (
        "<p>Rain again &lt;sigh&gt; &amp; the cat wants out.</p><p>Later: sun.</p>"
    )
    assert item.title == "Rain again <sigh> & the cat wants out. Later: sun."
    assert item.authors == (Author("Jay Feed"),)  # the feed's authors are its items'


def test_json_feed_items_without_id_or_text() -> None:
    items = parse("feed.json").items
    assert post(items[2]).entry_id == "https://json.example.org/2024/08/no-id/"
    assert items[3] == Skipped("entry 4", "no id and no link", "Nowhere")
    assert items[4] == Skipped("entry 5", "no title and no text")


def test_a_json_feed_1_0_has_one_author() -> None:
    page = parse("feed-1.0.json")
    first, second = map(post, page.items)
    assert first.authors == (Author("Item Author", "https://v1.example.org/item-author"),)
    assert second.authors == (Author("Feed Author", "https://v1.example.org/me"),)
    assert second.content_html == "<p>Two.</p>"
    assert second.published == second.updated == datetime(2019, 5, 6, 8, 0, tzinfo=UTC)
    assert page.next_url is None


def test_a_json_feed_is_known_by_its_content_type_too() -> None:
    data = b'\n  {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}'
    page = parse_feed(data, WARSAW, content_type="application/feed+json; charset=utf-8")
    assert page == FeedPage([], None, "J")


@pytest.mark.parametrize(
    "data", [b'{"title": "no version", "items": []}', b"[1, 2]", b'{"version": "1.1"}']
)
def test_json_that_is_no_json_feed_is_refused(data: bytes) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW, content_type="application/json")
    assert (caught.value.where, caught.value.problem) == (
        "document",
        "not an RSS, Atom or JSON Feed document",
    )


# --- what cannot be read ------------------------------------------------------------------------


def test_a_malformed_feed_names_the_line() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse("broken.xml")
    assert caught.value.where == "line 8"
    assert caught.value.problem == "not well-formed XML: unclosed token"


def test_a_malformed_json_feed_names_the_line() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse("broken.json")
    assert caught.value.where == "line 6"
    assert caught.value.problem == "not valid JSON: Expecting ',' delimiter"


def test_an_html_page_is_refused() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse("not-a-feed.html", content_type="text/html")
    assert str(caught.value) == "document: not an RSS, Atom or JSON Feed document"


def test_a_feed_broken_after_its_entries_yields_none_of_them() -> None:
    data = rss_item("<description>fine</description>") + b"<oops"
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW)
    assert str(caught.value) == "line 1: not well-formed XML: junk after document element"


def test_bytes_naming_a_file_are_not_read_as_the_file() -> None:
    path = str(FIXTURES / "rss2.xml").encode()
    with pytest.raises(ImportFormatError, match="not an RSS, Atom or JSON Feed document"):
        parse_feed(path, WARSAW)


async def test_a_feeds_video_players_come_in_and_its_scripts_do_not(blog: Blog) -> None:
    # feedparser's own sanitizer drops every iframe; the import leaves sanitizing to ours
    # (feeds/content.py), which keeps the players of well-known hosts only, and a link to
    # any other iframe.
    body = (
        "<p>Trip</p><iframe src='//www.youtube.com/embed/dQw4w9WgXcQ' width='560'></iframe>"
        "<iframe src='https://ads.example/x'>ad</iframe><script>alert(1)</script>"
        "<img src='https://old.example/a.jpg' onerror='alert(2)'>"
    )
    data = rss_item(f"<link>https://old.example/trip</link><description>{escape(body)}"
                    "</description>")
    await blog.import_bytes("feed", data)
    (stored,) = await blog.store.list_posts(blog.site.id)
    assert stored.content_html == (
        '<p>Trip</p><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560">'
        '</iframe><a href="https://ads.example/x">Embedded content: ads.example</a>'
        '<img src="https://old.example/a.jpg">'
    )


@pytest.mark.parametrize("written", [
    "9999-12-31T23:59:59-23:59",  # the year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # the year 0 in UTC
    "Fri, 31 Dec 9999 23:00:00 -0500",
])
def test_an_item_dated_past_what_a_date_can_hold_is_skipped_saying_so(written: str) -> None:
    (item,) = parse_feed(rss_item(f"<pubDate>{written}</pubDate>"), WARSAW).items
    assert isinstance(item, Skipped)
    assert (item.where, item.title) == ("entry 1", "One")
    assert item.reason == f"published: date out of range: {written!r}"


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#xDFFF;"])
def test_a_character_reference_to_half_a_surrogate_pair_is_refused_naming_the_line(
    reference: str,
) -> None:
    data = rss_item(f"<description>before\n{reference} after</description>")
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW)
    assert caught.value.where == "line 2"
    assert caught.value.problem == "not well-formed XML: reference to invalid character number"


def test_a_surrogate_reference_in_a_utf_16_feed_is_refused_naming_its_line() -> None:
    data = rss_item("<description>a\n\n&#xD800;</description>").decode().encode("utf-16")
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW)
    assert str(caught.value) == "line 3: not well-formed XML: reference to invalid character number"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("declared", ["", ' encoding="UTF-16"', " encoding='utf-8'"])
def test_a_feed_in_utf_16_or_32_with_its_byte_order_mark_is_read(encoding: str,
                                                                  declared: str) -> None:
    text = rss_item("<description>Café ☕ 田中</description>").decode()
    text = "\ufeff" + text.replace("<?xml version=\"1.0\"?>", f"<?xml version=\"1.0\"{declared}?>")
    for content_type in ("", "application/rss+xml; charset=utf-16"):
        (item,) = parse_feed(text.encode(encoding), WARSAW, content_type=content_type).items
        assert post(item).content_html == "Café ☕ 田中"


def test_a_json_feed_in_utf_16_with_its_byte_order_mark_is_read() -> None:
    data = (FIXTURES / "feed.json").read_text("utf-8")
    assert parse_feed(("\ufeff" + data).encode("utf-16"), WARSAW).items == parse("feed.json").items


def test_bytes_that_are_not_what_their_byte_order_mark_says_are_refused_saying_so() -> None:
    data = b"\xff\xfe<\x00r\x00" + b"\x00\xd8"  # a high surrogate with no low one after it
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW)
    assert str(caught.value) == ("document: not UTF-16, as its byte order mark says:"
                                 " unexpected end of data at byte 6")


@pytest.mark.parametrize("link", ["http://[87]/x", "http://[1.2.3.4]/x", "http://[::1/x"])
def test_an_item_linking_to_a_url_no_parser_reads_keeps_it_as_its_id_without_a_slug(
    link: str,
) -> None:
    rss = (f"<rss version='2.0'><channel><title>T</title><item><title>One</title>"
           f"<link>{link}</link></item></channel></rss>").encode()
    json_feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T",
                            "items": [{"title": "One", "content_html": "x", "url": link}]})
    for data, base_url in ((rss, ""), (json_feed.encode(), ""),
                           (json_feed.encode(), "https://old.example/feed")):
        (item,) = parse_feed(data, WARSAW, base_url).items
        assert (post(item).entry_id, post(item).slug) == (link, None)
    # Made absolute against the page's URL, feedparser drops it: no id then.
    (item,) = parse_feed(rss, WARSAW, "https://old.example/feed").items
    assert item == Skipped("entry 1", "no id and no link", "One")


def test_a_feed_whose_declared_encoding_holds_a_nul_is_refused_naming_line_1() -> None:
    data = rss_item("<description>x</description>").replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf\x00-8"?>')
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW)
    assert caught.value.where == "line 1"
    assert caught.value.problem.startswith("not well-formed XML: ")
