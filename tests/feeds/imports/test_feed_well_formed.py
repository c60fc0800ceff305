"""Stories about a feed file that is not XML: a download cut off, a tag closed by another.
The import stops at once, naming the line as the WordPress and Blogger importers do, and
yields no entry (feedparser reads on past the break and made entries of the pieces). The
real-world mess feedparser reads past, and readers expect read, still imports as before."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feeds.imports.feed import parse_feed
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem

FIXTURES = Path(__file__).parent / "fixtures" / "feed"
WARSAW = ZoneInfo("Europe/Warsaw")
RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>\n'
ATOM_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
             '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>\n')


def refusal(data: bytes, content_type: str = "") -> str:
    with pytest.raises(ImportFormatError) as caught:
        parse_feed(data, WARSAW, "", content_type)
    return str(caught.value)


def titles(items: list[ImportItem]) -> list[str]:
    assert all(isinstance(i, ImportedPost) for i in items), items
    return [i.title for i in items if isinstance(i, ImportedPost)]


# --- what is not XML stops the import -----------------------------------------------------------


def test_a_truncated_rss_file_stops_the_import_naming_its_line() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n"
            "<item><guid>g2</guid><title>Two</tit").encode()
    assert refusal(data) == "line 4: not well-formed XML: unclosed token"


def test_a_tag_closed_by_another_stops_the_import_naming_its_line() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n"
            "<item><guid>g4</guid><title>Four</wrong></item>\n</channel></rss>").encode()
    assert refusal(data) == "line 4: not well-formed XML: mismatched tag"


def test_a_truncated_atom_file_stops_the_import_naming_its_line() -> None:
    data = (ATOM_HEAD + "<entry><id>a1</id><title>One</title></entry>\n"
            "<entry><id>a2</id><title>Tw").encode()
    assert refusal(data) == "line 4: not well-formed XML: no element found"


def test_a_feed_served_as_html_or_text_is_still_refused_when_broken() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</tit").encode()
    for content_type in ("text/html", "text/plain", "application/rss+xml"):
        assert refusal(data, content_type) == "line 3: not well-formed XML: unclosed token"


def test_a_break_after_an_html_entity_is_still_found() -> None:
    # feedparser's strict parser stops at the entity (which it then reads past): the cut
    # further on must not go unseen.
    data = (RSS_HEAD + "<item><guid>g1</guid><title>Caf&eacute;</title></item>\n"
            "<item><guid>g2</guid><title>Two</tit").encode()
    assert refusal(data) == "line 4: not well-formed XML: unclosed token"


def test_a_break_after_a_prefix_no_xmlns_declares_is_still_found() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</title><dc:creator>Ann</dc:creator>"
            "</item>\n<item><guid>g2</guid><title>Two</wrong></item></channel></rss>").encode()
    assert refusal(data) == "line 4: not well-formed XML: mismatched tag"


def test_a_break_is_named_by_the_files_own_line_under_a_doctype() -> None:
    # feedparser rewrites a DOCTYPE (dropping entities that name entities), which moves its
    # line numbers; the line named is the file's.
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "x">\n<!ENTITY b "&a;">\n\n]>\n'
        b'<rss version="2.0"><channel><title>T &b;</title>\n'
        b"<item><guid>g1</guid><title>One</title></item>\n<item><guid>g2</guid><title>Tw"
    )
    assert refusal(data) == "line 9: not well-formed XML: no element found"


def test_a_utf16_feed_cut_off_names_its_line() -> None:
    data = (RSS_HEAD.replace("utf-8", "utf-16") + "<item><guid>g1</guid><title>Café</title>"
            "</item>\n<item><guid>g2</guid><title>Tw").encode("utf-16")
    assert refusal(data) == "line 4: not well-formed XML: no element found"


@pytest.mark.parametrize(("inner", "problem"), [
    ("<title>Fish & chips</title>", "invalid token"),  # an ampersand not written &amp;
    ("<title>Tab\x0b</title>", "invalid token"),  # a character XML 1.0 forbids
])
def test_text_that_xml_forbids_is_named_like_the_wordpress_importer_names_it(
    inner: str, problem: str,
) -> None:
    data = (RSS_HEAD + f"<item><guid>g1</guid>{inner}</item>\n</channel></rss>").encode()
    assert refusal(data) == f"line 3: not well-formed XML: {problem}"


def test_junk_after_the_end_of_a_feed_stops_the_import() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n</channel></rss>\n"
            "<b>Warning</b>: something in feed.php").encode()
    assert refusal(data) == "line 5: not well-formed XML: junk after document element"


def test_a_json_feed_is_not_judged_as_xml() -> None:
    data = b'{"version": "https://jsonfeed.org/version/1.1", "title": "<b>", "items": []}'
    assert parse_feed(data, WARSAW, content_type="application/feed+json").items == []


# --- what feedparser reads past still imports ---------------------------------------------------


def test_html_entities_no_dtd_declares_still_import() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>Caf&eacute; &ndash; open</title>"
            '<link>https://old.example/?a=1&amp;b=&nbsp;</link>'
            "<description>&lt;p&gt;Na&iuml;ve&lt;/p&gt;</description></item>\n"
            "</channel></rss>").encode()
    (item,) = parse_feed(data, WARSAW).items
    assert titles([item]) == ["Café – open"]


def test_a_declared_encoding_that_is_not_the_real_one_still_imports() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>Café</title></item>\n"
            "</channel></rss>").encode("cp1252")  # declared utf-8, written in Windows-1252
    assert titles(parse_feed(data, WARSAW).items) == ["Café"]


@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/octet-stream"])
def test_a_feed_served_with_a_content_type_that_is_not_xml_still_imports(
    content_type: str,
) -> None:
    page = parse_feed((FIXTURES / "rss2.xml").read_bytes(), WARSAW, "", content_type)
    assert page.items == parse_feed((FIXTURES / "rss2.xml").read_bytes(), WARSAW).items


def test_a_prefix_no_xmlns_declares_still_imports() -> None:
    data = (RSS_HEAD + "<item><guid>g1</guid><title>One</title><dc:creator>Ann</dc:creator>"
            "</item>\n</channel></rss>").encode()
    assert titles(parse_feed(data, WARSAW).items) == ["One"]


def test_blank_lines_before_the_xml_declaration_still_import() -> None:
    # A PHP file ending in a blank line puts one before <?xml: expat refuses the document.
    data = ("\n\n" + RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n"
            "</channel></rss>").encode()
    assert titles(parse_feed(data, WARSAW).items) == ["One"]
    assert refusal(data.replace(b"</title></item>", b"</item>")) == (
        "line 5: not well-formed XML: mismatched tag")  # the file's line, blank lines too


def test_an_rss_0_91_doctype_with_html_entities_still_imports() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE rss PUBLIC "-//Netscape '
        'Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        '<rss version="0.91"><channel><title>T</title><link>https://old.example/</link>\n'
        "<item><title>Caf&eacute;</title><link>https://old.example/1</link></item>\n"
        "</channel></rss>"
    ).encode("latin-1")
    assert titles(parse_feed(data, WARSAW).items) == ["Café"]


def test_a_messy_feed_imports_the_same_items_as_its_clean_twin() -> None:
    # The fixture's CDATA, entities and odd zones, written the way careless feeds write
    # them: HTML entities undeclared, dc: never declared, blank lines first.
    clean = (FIXTURES / "rss2.xml").read_bytes()
    messy = b"\n" + clean.replace(b"&#8217;", b"&rsquo;").replace(
        b'\n     xmlns:dc="http://purl.org/dc/elements/1.1/"', b"")
    assert messy != clean
    assert parse_feed(messy, WARSAW).items == parse_feed(clean, WARSAW).items


@pytest.mark.parametrize(("name", "count"), [("rss2.xml", 5), ("atom.xml", 2)])
def test_the_fixture_feeds_still_import_whole(name: str, count: int) -> None:
    assert len(parse_feed((FIXTURES / name).read_bytes(), WARSAW).items) == count
