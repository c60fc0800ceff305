"""An HTML entity outside CDATA (`Caf&eacute;`) in a WordPress or Blogger export is an
undefined entity: the file is refused, as before, but the error names the entity and its
line (it said "line 1: not well-formed XML: no element found"), and the items before it come
in whole, none after it. What was accepted stays accepted: an entity the DOCTYPE declares, or
one an external DTD may declare."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import pytest

from feeds.imports.blogger import parse_blogger
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem
from feeds.imports.reader import Batch, ProcessReader, ThreadReader
from feeds.imports.wordpress import parse_wxr
from feeds.imports.xml_stream import CHUNK

Parse = Callable[..., Iterator[ImportItem]]

WXR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/">\n'
    "<channel>\n"
)
BLOGGER_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<feed xmlns='http://www.w3.org/2005/Atom' "
    "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n"
    "<id>tag:blogger.com,1999:blog-7001</id>\n"
)
BLOG = "tag:blogger.com,1999:blog-7001"


def wxr_item(n: int, title: str = "") -> str:
    return (
        f"<item><title>{title or f'Post {n}'}</title><guid>https://old.example/?p={n}</guid>"
        f"<content:encoded><![CDATA[<p>Caf&eacute; {n}</p>]]></content:encoded>"
        f"<wp:post_id>{n}</wp:post_id><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type></item>\n"
    )


def blogger_entry(n: int, title: str = "") -> str:
    return (
        f"<entry><id>{BLOG}.post-{n}</id><blogger:type>POST</blogger:type>"
        f"<blogger:status>LIVE</blogger:status><title>{title or f'Post {n}'}</title>"
        "<content type='html'>&lt;p&gt;Caf&amp;eacute;&lt;/p&gt;</content>"
        "<published>2024-01-02T03:04:05Z</published></entry>\n"
    )


def wxr(body: str, head: str = WXR_HEAD) -> bytes:
    return f"{head}{body}</channel>\n</rss>\n".encode()


def blogger(body: str) -> bytes:
    return f"{BLOGGER_HEAD}{body}</feed>\n".encode()


def read(parse: Parse, data: bytes) -> tuple[list[ImportItem], ImportFormatError]:
    got: list[ImportItem] = []
    with pytest.raises(ImportFormatError) as caught:
        got.extend(parse(io.BytesIO(data), UTC))
    return got, caught.value


def titles(items: list[ImportItem]) -> list[str]:
    return [i.title for i in items if isinstance(i, ImportedPost)]


def line_of(data: bytes, text: str) -> str:
    newlines = data[: data.index(text.encode())].count(b"\n")
    return f"line {newlines + 1}"


# WordPress


def test_a_wxr_title_with_html_entities_names_line_4_and_the_first_entity() -> None:
    data = wxr("<title>Caf&eacute; cr&egrave;me&nbsp;x</title>\n" + wxr_item(1))

    got, error = read(parse_wxr, data)

    assert (error.where, error.problem) == (
        "line 4",
        "not well-formed XML: undefined entity &eacute;",
    )
    assert str(error) == "line 4: not well-formed XML: undefined entity &eacute;"
    assert got == []


def test_the_posts_before_the_entity_come_in_and_none_after_it() -> None:
    data = wxr(wxr_item(1) + wxr_item(2, "Cr&egrave;me") + wxr_item(3))

    got, error = read(parse_wxr, data)

    assert titles(got) == ["Post 1"]
    assert (error.where, error.problem) == (
        "line 5",
        "not well-formed XML: undefined entity &egrave;; item 2 (line 5) 'Cr' is cut off:"
        " not imported",  # (its title as far as it was read)
    )


def test_an_entity_in_an_attribute_is_named_too() -> None:
    data = wxr(wxr_item(1) + '<wp:term slug="caf&eacute;"/>\n' + wxr_item(2))

    got, error = read(parse_wxr, data)

    assert titles(got) == ["Post 1"]
    assert (error.where, error.problem) == (
        "line 5",
        "not well-formed XML: undefined entity &eacute;",
    )


@pytest.mark.parametrize("offset", [-20, -6, -3, 0, 5])
def test_an_entity_far_into_a_large_export_names_its_own_line(offset: int) -> None:
    """Many chunks in, and the entity cut in two by a chunk's end, or just after one: lxml
    had started a new document at the next chunk ("line 1: Start tag expected")."""
    before = "".join(wxr_item(n) for n in range(1, 700))
    assert len(WXR_HEAD) + len(before) > 2 * CHUNK
    pad = 3 * CHUNK - len(WXR_HEAD) - len(before) - len("<item><title>Caf") + offset
    data = wxr(
        before + "<!--" + "x" * (pad - 8) + "-->\n" + wxr_item(700, "Caf&nbsp;") + wxr_item(701)
    )
    assert data.index(b"&nbsp;") - 3 * CHUNK == offset

    got, error = read(parse_wxr, data)

    assert titles(got) == [f"Post {n}" for n in range(1, 700)]
    assert (error.where, error.problem) == (
        line_of(data, "Caf&nbsp;"),
        f"not well-formed XML: undefined entity &nbsp;; item 700 ({line_of(data, 'Caf&nbsp;')})"
        " 'Caf' is cut off: not imported",
    )


def test_a_bare_ampersand_and_an_unclosed_tag_are_worded_as_libxml2_says_with_the_column(
) -> None:
    _, amp = read(parse_wxr, wxr("<title>Salt & pepper</title>\n"))
    _, tag = read(parse_wxr, wxr("<title>Salt</titl>\n"))

    assert (amp.where, amp.problem) == (
        "line 4",
        "not well-formed XML: xmlParseEntityRef: no name (column 14)",  # line 4 once
    )
    assert tag.where == "line 4"
    assert tag.problem.startswith("not well-formed XML: Opening and ending tag mismatch")


def test_entities_that_were_accepted_still_are() -> None:
    declared = WXR_HEAD.replace("\n<rss", '\n<!DOCTYPE rss [<!ENTITY eacute "BIG">]>\n<rss')
    external = WXR_HEAD.replace(
        "\n<rss", '\n<!DOCTYPE rss SYSTEM "http://example.invalid/x.dtd">\n<rss'
    )
    for head in (declared, external):
        items = list(
            parse_wxr(io.BytesIO(wxr(wxr_item(1, "Caf&eacute;") + wxr_item(2), head)), UTC)
        )
        assert len(titles(items)) == 2
        assert "BIG" not in titles(items)[0]  # still not resolved
    numeric = wxr(wxr_item(1, "Caf&#233; &amp; &lt;cr&#xE8;me&gt;"))
    assert titles(list(parse_wxr(io.BytesIO(numeric), UTC))) == ["Café & <crème>"]


# Blogger


def test_a_blogger_export_with_an_html_entity_names_its_line_and_the_entity() -> None:
    data = blogger(
        blogger_entry(1) + blogger_entry(2, "Caf&eacute; cr&egrave;me") + blogger_entry(3)
    )

    got, error = read(parse_blogger, data)

    assert titles(got) == ["Post 1"]
    assert (error.where, error.problem) == (
        "line 5", "not well-formed XML: undefined entity &eacute;; entry 2 (line 5) is cut off:"
                  " not imported")


def test_a_blogger_feed_title_with_an_entity_on_line_4() -> None:
    data = blogger("<title>Caf&eacute; cr&egrave;me&nbsp;x</title>\n" + blogger_entry(1))

    got, error = read(parse_blogger, data)

    assert got == []
    assert (error.where, error.problem) == (
        "line 4", "not well-formed XML: undefined entity &eacute;")


# As `syndic import` reads it: in a process of its own (and the server: in a thread)


@pytest.mark.parametrize(("parse", "data"), [
    (parse_wxr, wxr(wxr_item(1) + wxr_item(2, "Caf&eacute;"))),
    (parse_blogger, blogger(blogger_entry(1) + blogger_entry(2, "Caf&eacute;"))),
], ids=["wordpress", "blogger"])  # fmt: skip
async def test_a_process_and_a_thread_report_the_same_line_and_entity(
    parse: Parse,
    data: bytes,
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    out: list[Batch] = []
    with path.open("rb") as stream:
        for reader in (
            ProcessReader(parse, path, "UTC", False, 10),
            ThreadReader(parse(stream, UTC), 10),
        ):
            try:
                out.append(await reader.next_batch())
            finally:
                reader.close()

    (there, there_error), (here, here_error) = out
    assert titles(there) == titles(here) == ["Post 1"]
    assert there_error is not None and here_error is not None
    assert (there_error.where, there_error.problem) == (here_error.where, here_error.problem)
    assert there_error.where == "line 5" and there_error.problem.endswith(
        " 2 (line 5) is cut off: not imported" if parse is parse_blogger else
        " 2 (line 5) 'Caf' is cut off: not imported"
    ) and "undefined entity &eacute;; " in there_error.problem
