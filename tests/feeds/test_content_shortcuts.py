"""The shortcuts feeds/content.py takes to store a post faster give exactly what the long
way gives: a plain absolute link is what urljoin would make of it, text collapsed by split()
is what a regex collapses it to, and the thumbnail found while sanitizing is the first image
of the sanitized body."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import content as content_module
from feeds.content import (
    clean_text,
    first_image,
    sanitize_html,
    sanitize_with_image,
    strip_xml_illegal,
)
from feeds.query import _fold, slugify

_BASES = ["https://blog.example.com/2024/05/my-post.html", "http://blog.example/", "https://b.example"]

_URL_PIECES = st.sampled_from([
    "http://", "https://", "HTTP://", "ftp://", "javascript:", "//", "/", "a", "B", "0", ".",
    "..", "-", "_", "~", "%20", "%", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=",
    ":", "@", "[", "]", "?", "#", " ", "\t", "\n", "\x00", "\x1f", "é", "日本", "\u3000",
    "x.org", "example.com:8080", "user@host", "/path/to/file.png", "?q=1&r=2", "#frag",
])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_URL_PIECES, max_size=12), st.sampled_from(_BASES))
def test_a_link_taken_as_it_is_is_the_link_urljoin_makes(pieces: list[str], base: str) -> None:
    value = "".join(pieces)
    if content_module._PLAIN_ABSOLUTE_URL.fullmatch(value):
        assert urljoin(base, value) == value


@settings(max_examples=2000, deadline=None)
@given(st.lists(_URL_PIECES, max_size=12), st.sampled_from(_BASES))
def test_a_root_relative_link_joined_to_the_origin_is_the_link_urljoin_makes(
    pieces: list[str], base: str
) -> None:
    value = "/" + "".join(pieces)
    origin = content_module._origin(base)
    assert origin is not None
    if content_module._PLAIN_ROOT_PATH.fullmatch(value):
        assert urljoin(base, value) == origin + value
    assert content_module._absolute_url(value, base, origin) == \
        content_module._absolute_url(value, base)


def test_root_relative_links_take_the_shortcut_unless_urljoin_would_change_them() -> None:
    for url in ["/2024/05/post.html", "/a/b?x=1#top", "/", "/search/label/Café"]:
        assert content_module._PLAIN_ROOT_PATH.fullmatch(url)
    for url in ["//cdn.example/x", "/a//b", "/a/./b", "/a/../b", "/a/..", "/a;p", "/a?",
                "/a#", "/a b", "a/b"]:
        assert not content_module._PLAIN_ROOT_PATH.fullmatch(url)
    assert content_module._origin("https://Blog.example:8080/2024/x.html?q=1") == \
        "https://Blog.example:8080"
    assert content_module._origin("https://[::1]/x") is None
    assert content_module._origin("HTTPS://x.org/") is None


def test_common_links_take_the_shortcut() -> None:
    for url in ["https://example.com/a/b.png", "http://x.org/?p=1&q=2#top",
                "https://cdn.example.com/wp-content/uploads/2024/05/photo-1024x768.jpg"]:
        assert content_module._PLAIN_ABSOLUTE_URL.fullmatch(url)
    for url in ["HTTP://x.org/", "https://x.org/a?", "https://x.org/a#", "https://x.org/a;p",
                "https://[::1]/", "https://x.org/a b", "https://bücher.example/"]:
        assert not content_module._PLAIN_ABSOLUTE_URL.fullmatch(url)


_HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "text ", "<img>", '<img src="">', '<img src="a.png">',
    '<img src="https://x.org/b.png?w=1&amp;h=2">', "<img src='c.png'>",
    '<img src="javascript:alert(1)">', '<img src="&#11;d.png">', '<img alt="x" src=" e.png ">',
    '<img srcset="f.png 1x">', '<a href="g.png">link</a>', '<a title="<img src=h.png>">t</a>',
    "<script><img src='i.png'></script>", "<table>", "</table>", "<tr><td>", "</td></tr>",
    "stray text in a table", '<img src="https://x.org/&#xFFFE;j.png">', "<picture>",
    '<source srcset="k.png">', "</picture>", "<!-- <img src='l.png'> -->", "<br>",
    '<img src="data:image/png;base64,AAAA">', "<IMG SRC=m.png>", '<video poster="n.png">',
])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_HTML_PIECES, max_size=30), st.sampled_from(_BASES))
def test_the_image_found_while_sanitizing_is_the_first_image_of_the_result(
    pieces: list[str], base: str,
) -> None:
    html = "".join(pieces)
    cleaned, image = sanitize_with_image(html, base)
    assert cleaned == sanitize_html(html, base)
    assert image == first_image(cleaned)


@given(st.text(max_size=40))
def test_a_title_slugs_as_it_did_when_every_character_was_folded(text: str) -> None:
    folded = "".join(_fold(c) for c in unicodedata.normalize("NFC", text))
    assert slugify(text) == ("-".join(re.findall(r"\w+", folded.lower())) or "x")


_TEXT_PIECES = st.sampled_from([
    "a", "Word", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\x85",
    "\xa0", "\u2028", "\u3000", "\ufffe", "\ud800", "é", "日本", "😀", "&amp;", "-",
])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_TEXT_PIECES, max_size=16))
def test_clean_text_is_what_collapsing_with_a_regex_gives(pieces: list[str]) -> None:
    # The long way, as clean_text was written before it joined split() words instead.
    text = "".join(pieces)
    spaced = re.sub(r"\s+", " ", text)
    assert clean_text(text) == re.sub(r"\s+", " ", strip_xml_illegal(spaced)).strip()
