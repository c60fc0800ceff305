"""Hypothesis strategies that break the fixture exports the ways real files break (cut off,
bits flipped, tags lost or doubled, other namespaces, other encodings) and the ways hostile
or hand-merged ones do (entity bombs, external entities, NUL and surrogate references, dates
no calendar has, ids that collide, comment threads that loop or cross posts, labels of
10,000 characters), for tests/feeds/imports/test_import_mutations.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

Mutation = Callable[[bytes], bytes]

ENTITIES = (
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">'
    '<!ENTITY secret SYSTEM "file:///etc/passwd">'
    '<!ENTITY remote SYSTEM "http://127.0.0.1:9/dtd">]>\n'
)
"""A billion laughs (&h; is 10^8 characters) and two external entities: none may be
expanded, read or fetched."""
PASSWD = "root:x:0:0"

SNIPPETS = [b"\x00", b"&#0;", b"&#x1;", b"&#xD800;", b"&#xFFFE;", b"\xff", b"\xc3", b"\xed\xa0\x80",
            b"<", b"&", b"]]>", b"<![CDATA[", b"<!--", b"</entry>", b"</item>", b"<entry>",
            b"<item>", b"</channel>", b"</feed>", b"&undefined;", b'"', b"\r", b"\xef\xbb\xbf"]
DATES = [b"0000-00-00 00:00:00", b"99999-01-01T00:00:00Z", b"2020-01-01T00:00:00+25:00",
         b"2020-02-30T00:00:00Z", b"9999-12-31T23:59:59-23:59", b"0001-01-01T00:00:00+14:00",
         b"Mon, 30 Nov -0001 00:00:00 +0000", b"Sat, 01 Jan 99999 00:00:00 GMT", b"", b"NaN"]
_DATE = re.compile(rb"\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?"
                   rb"|\w{3}, \d\d \w{3} \d{4} [\d:]+ [+-]\d{4}")
_CLOSE = re.compile(rb"</[A-Za-z_:][\w:.-]*>")
_NAMESPACE = re.compile(rb"""xmlns(?::\w+)?=["']([^"']+)""")
_ID = re.compile(rb"<(?:id|wp:post_id|wp:comment_id|blogger:parent|wp:comment_parent)>([^<]+)<")
_BLOGGER_COMMENT = re.compile(rb"<id>([^<]+)</id>\s*<blogger:parent>([^<]*)</blogger:parent>"
                              rb"\s*<blogger:inReplyTo(?:/>|>[^<]*</blogger:inReplyTo>)")
_WP_PARENT = re.compile(rb"<wp:comment_id>(\d+)</wp:comment_id>.*?"
                        rb"<wp:comment_parent>(\d+)</wp:comment_parent>", re.S)


def _at(data: bytes, what: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """`what` inserted at an offset."""
    return st.tuples(st.integers(0, len(data)), what).map(
        lambda t: data[: t[0]] + t[1] + data[t[0]:])


def _one_of_matches(data: bytes, pattern: re.Pattern[bytes],
                    change: Callable[[re.Match[bytes]], bytes]) -> st.SearchStrategy[bytes]:
    found = list(pattern.finditer(data))
    if not found:
        return st.just(data)
    return st.sampled_from(found).map(lambda m: data[: m.start()] + change(m) + data[m.end():])


def _with_entities(data: bytes) -> bytes:
    body = re.sub(rb"^\s*(<\?xml[^>]*\?>)?", b"", data, count=1)
    body = re.sub(rb"<title([^>]*)>", rb"<title\1>&h;&secret;&remote;", body)
    body = re.sub(rb"<content([^>]*)>", rb"<content\1>&secret;", body)
    return b'<?xml version="1.0"?>\n' + ENTITIES.encode() + body


def _encoded(data: bytes, encoding: str) -> bytes:
    text = data.decode("utf-8", "replace")
    return ("\ufeff" + text).encode(encoding)


def _threads(data: bytes, how: str, a: int, b: int) -> bytes:
    """Comment `a` answers itself, loops with `b`, or answers `b` that sits on another post."""
    blogger = list(_BLOGGER_COMMENT.finditer(data))
    if blogger:
        first, second = blogger[a % len(blogger)], blogger[b % len(blogger)]
        parent = {"self": first[1], "loop": second[1], "cross": second[1]}[how]
        out = data[: first.start()] + first[0].split(b"<blogger:inReplyTo")[0] + (
            b"<blogger:inReplyTo>" + parent + b"</blogger:inReplyTo>") + data[first.end():]
        if how == "loop":
            out = out.replace(second[0], second[0].split(b"<blogger:inReplyTo")[0] + (
                b"<blogger:inReplyTo>" + first[1] + b"</blogger:inReplyTo>"), 1)
        return out
    wp = list(_WP_PARENT.finditer(data))
    if not wp:
        return data
    first, second = wp[a % len(wp)], wp[b % len(wp)]
    parent = first[1] if how == "self" else second[1]
    out = data[: first.start()] + first[0][: -len(b"</wp:comment_parent>") - len(first[2])] + (
        parent + b"</wp:comment_parent>") + data[first.end():]
    if how == "loop":
        out = out.replace(second[0], second[0][: -len(b"</wp:comment_parent>") - len(second[2])]
                          + first[1] + b"</wp:comment_parent>", 1)
    return out


def mutation(data: bytes) -> st.SearchStrategy[bytes]:
    """One way of breaking `data`."""
    n = len(data)
    return st.one_of(
        st.integers(0, n).map(lambda cut: data[:cut]),
        st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, 7)).map(
            lambda t: data[: t[0]] + bytes([data[t[0]] ^ (1 << t[1])]) + data[t[0] + 1:]
            if n else data),
        _at(data, st.sampled_from(SNIPPETS)),
        _one_of_matches(data, _CLOSE, lambda m: b""),
        _one_of_matches(data, _CLOSE, lambda m: m[0] + m[0]),
        _one_of_matches(data, _NAMESPACE, lambda m: m[0].replace(m[1], b"urn:elsewhere")),
        st.tuples(st.sampled_from(DATES), st.integers(0, 3)).map(  # count 0: every date
            lambda t: _DATE.sub(t[0], data, count=t[1])),
        st.tuples(st.sampled_from(list(_ID.findall(data)) or [b"x"]),
                  st.sampled_from(list(_ID.findall(data)) or [b"x"])).map(
            lambda t: data.replace(b">" + t[0] + b"<", b">" + t[1] + b"<")),
        st.just(re.sub(rb"<title([^>]*)>[^<]*</title>", rb"<title\1></title>", data)),
        st.sampled_from(["x" * 10_000, "é" * 300, "a\u202eb", "%2F", "a/b"]).map(
            lambda label: re.sub(rb"""term=(['"])[^'"]*\1""",
                                 b"term='" + label.encode() + b"'", data, count=2)),
        st.just(_with_entities(data)),
        st.sampled_from(["utf-16", "utf-16-be", "utf-32"]).map(lambda e: _encoded(data, e)),
        st.tuples(st.sampled_from(["self", "loop", "cross"]), st.integers(0, 20),
                  st.integers(0, 20)).map(lambda t: _threads(data, *t)),
    )


@st.composite
def broken(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` broken one to three times over."""
    for _ in range(draw(st.integers(1, 3))):
        data = draw(mutation(data))
    return data


def found_before(fixtures: Path) -> list[tuple[str, bytes]]:
    """(kind, export) of what broke the importer once: kept as explicit examples."""
    rss, atom = (fixtures / "feed/rss2.xml").read_bytes(), (fixtures / "feed/atom.xml").read_bytes()
    wxr = (fixtures / "wordpress/export-1.2.xml").read_bytes()
    takeout = (fixtures / "blogger/takeout.atom").read_bytes()
    return [
        ("feed", _DATE.sub(b"9999-12-31T23:59:59-23:59", rss)),  # a ValueError: a 500
        ("feed", _DATE.sub(b"0001-01-01T00:00:00+14:00", atom)),
        ("feed", atom.replace(b"<summary>", b"<summary>&#xD800;", 1)),  # UnicodeEncodeError
        ("feed", _encoded(rss, "utf-16")),  # "not a feed"
        ("feed", re.sub(rb"<link>[^<]*</link>", b"<link>http://[87]/x</link>", rss)),
        ("feed", atom.replace(b'encoding="utf-8"', b'encoding="utf\x00-8"', 1)),  # ValueError
        ("wordpress", wxr.replace(b"<link>https://", b"<link>http://[87]/", 3)),  # a skip
        ("wordpress", _threads(wxr, "self", 1, 1)),  # "its post is not in the export"
        ("wordpress", _threads(wxr, "loop", 0, 1)),
        ("blogger", _threads(takeout, "cross", 0, 2)),  # a reply on another post
    ]
