"""The players whose <iframe> a post keeps, and the pass that keeps only theirs and leaves a
link where any other embed was.

feeds/content.py lets <iframe>, <object> and <embed> through nh3 with a few attributes; its
attribute filter asks `embed_attribute` what an iframe may keep, and leaves the URL attribute
(`src`, an object's `data`) only a player's URL or an absolute http(s) one. `players_and_links`
then keeps each player's iframe, empty, and puts a link in place of every other embed with
such a URL; the content of every iframe goes, an object's fallback content stays (as it did
when objects were unwrapped), and nothing is left of the rest (docs/design-notes.md, "Players'
iframes kept by a pass over nh3's output", "Dropped embeds leave a link"). Pure: no I/O.
"""

from __future__ import annotations

import html as _html
import re
from types import MappingProxyType
from urllib.parse import urlsplit

__all__ = [
    "EMBED_ATTRS", "EMBED_LINK", "EMBED_LINK_TEXT", "EMBED_PLAYERS", "embed_attribute",
    "embed_player_url", "link_host", "players_and_links",
]

EMBED_PLAYERS: MappingProxyType[str, str] = MappingProxyType({
    "www.youtube.com": "/embed/",
    "youtube.com": "/embed/",
    "www.youtube-nocookie.com": "/embed/",
    "player.vimeo.com": "/video/",
    "www.dailymotion.com": "/embed/video/",
    "w.soundcloud.com": "/player/",
    "open.spotify.com": "/embed/",
    "bandcamp.com": "/EmbeddedPlayer/",
})  # fmt: skip
"""Host -> path prefix of the players whose <iframe> a body keeps (always as https); every
other iframe goes, with its content. Feed readers show these players' iframes."""
EMBED_ATTRS = frozenset({"src", "width", "height", "title", "allowfullscreen", "loading"})
# What a kept player URL may hold: printable ASCII, no space, no backslash (the WHATWG URL
# parser reads "\\" as "/", and drops tabs and newlines anywhere, which urlsplit mimics:
# so such a URL is refused before it is split, not repaired).
_EMBED_URL_CHARS = re.compile(r"[!-\[\]-~]+")
# HTML: the src of an iframe is "a valid non-empty URL potentially surrounded by spaces"
# (ASCII whitespace: tab, LF, FF, CR, space).
_ASCII_WHITESPACE = "\t\n\f\r "
_DIGITS = re.compile(r"[0-9]{1,5}")
# HTML: loading is an enumerated attribute with the keywords "lazy" and "eager".
_LOADING = frozenset({"lazy", "eager"})

def embed_player_url(src: str) -> str | None:
    """``src`` as the https URL of one of the EMBED_PLAYERS, or None when it is anything
    else. Compared on the parsed URL: the host lower-cased, no user info, no port but 443,
    the path under the player's prefix with no dot segment and no percent sign (the WHATWG
    URL parser reads "%2e%2e" as ".."); an http or protocol-relative URL becomes https."""
    value = src.strip(_ASCII_WHITESPACE)
    if not _EMBED_URL_CHARS.fullmatch(value):
        return None
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:  # e.g. "https://[broken/embed/x", "https://host:99999/"
        return None
    if not (url.scheme in ("https", "http") or (url.scheme == "" and value.startswith("//"))):
        return None
    host = url.hostname or ""
    # ...and the authority is that host and nothing else: no "user@", no "host:" either.
    if url.username is not None or port not in (None, 443):
        return None
    if url.netloc.lower() not in (host, f"{host}:443"):
        return None
    prefix = EMBED_PLAYERS.get(host)
    path = url.path
    if prefix is None or not path.startswith(prefix) or "%" in path:
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    query = f"?{url.query}" if url.query else ""
    fragment = f"#{url.fragment}" if url.fragment else ""
    return f"https://{host}{path}{query}{fragment}"


def embed_attribute(attr: str, value: str) -> str | None:
    """What an iframe keeps of an attribute other than its src (feeds/content.py decides that
    one): a size in pixels, a title, two keywords. Every other attribute (srcdoc, sandbox,
    allow, lang, ...) goes."""
    if attr in ("width", "height"):
        return value if _DIGITS.fullmatch(value) else None
    if attr == "title":
        return value
    if attr == "allowfullscreen":
        return ""  # HTML boolean attribute: present means true
    if attr == "loading":
        keyword = value.lower()
        return keyword if keyword in _LOADING else None
    return None


# The link left in place of an embed: an absolute http(s) URL whose host is plain ASCII
# (letters, digits, dots, hyphens, underscores) followed by nothing but a port and then a path,
# query or fragment start. So the host the link text names is the host a browser goes to: no
# user info ("https://good.example@evil.example/"), no backslash (the WHATWG URL parser reads
# "https://evil.example\@good.example/" as host evil.example, urlsplit as good.example), no
# percent-encoded or non-ASCII host (which browsers decode or map, UTS #46). No space or
# control character anywhere, nor one XML forbids (the output is stripped of those, which would
# change the href after the URL was reported).
_LINK_URL = re.compile(
    r"https?://([A-Za-z0-9][A-Za-z0-9._-]*)(?::[0-9]{0,5})?"
    r"(?:[/?#][^\x00-\x20\x7f\\\ud800-\udfff\ufffe\uffff]*)?")


def link_host(url: str) -> str | None:
    """The host (lower-cased) the link left for an embed of ``url`` names, or None when
    ``url`` (unescaped, already made absolute) gets no link."""
    plain = _LINK_URL.fullmatch(url)
    return plain.group(1).lower() if plain else None


# The post-pass reads nh3's own serialization (html5ever's), never the author's markup,
# and that is canonical (docs/design-notes.md; tests/feeds/test_content_embeds.py):
# - a start tag is "<iframe" (or "<object", "<embed"), then ` name="value"` per attribute,
#   then ">"; a value has & " < > written as references, so the first ">" ends the tag;
# - "<iframe" (and "<object", "<embed", "</object>") appears nowhere else but inside an
#   iframe's content: text is escaped ("&lt;"), comments are stripped, every other raw-text
#   element is dropped or unwrapped into text, and no allowed tag's name starts so;
# - an iframe holds one text node, written raw (HTML §13.3), which cannot hold "</iframe>":
#   the tokenizer ends an iframe's RAWTEXT at the first "</iframe" followed by whitespace,
#   "/" or ">" (HTML §13.2.5.12-14), and the serializer writes "</iframe>". An iframe in
#   SVG or MathML (which may hold elements) is removed by nh3 (ammonia 3.1.2, #142);
# - <embed> is void (no end tag); <object> holds elements, not raw text, and ends at its
#   "</object>" (nested ones inside it).
# So an iframe runs from "<iframe" to the first "</iframe>" after it, whatever it holds;
# one that does not read as expected is dropped (fail closed), and so is the start tag of an
# object or embed that does not.
_EMBED_TAG = re.compile(r"<(iframe|object|embed)[ >]|</object>")
_IFRAME_START = re.compile(r'<iframe((?: [a-z]+="[^"<>]*")*)>')
_FALLBACK_START = re.compile(r'<(?:object|embed)((?: [a-z]+="[^"<>]*")*)>')
_EMBED_ATTR = re.compile(r' ([a-z]+)="([^"<>]*)"')
_IFRAME_END = "</iframe>"
# An inline link, not a <p>: an iframe, object or embed is phrasing content, so it may stand
# in a <p>, a <li> or a <td> mid-sentence, and so may an <a>; a <p> there would end the
# paragraph around it (HTML §13.2.6.4.7) and leave an empty one after it. Feed readers show
# the link where the embed would have been; its text says what it was and where it goes
# (readers that show the URL on hover or long press get the rest). Its markup is what nh3
# writes for `<a href="URL">` (href only, as every link; no rel: link_rel is None), the URL
# escaped as nh3 escaped it.
_LINK = '<a href="{}">Embedded content: {}</a>'
# Those links as they stand in a stored body, for a summary to leave out (content.py).
EMBED_LINK = re.compile(r'<a href="[^"<>]*">Embedded content: [^<>]*</a>')
EMBED_LINK_TEXT = "Embedded content: "


def players_and_links(html: str) -> tuple[str, tuple[str, ...]]:
    """``html`` (nh3's output) with each player's iframe kept, emptied, as
    ``<iframe ...></iframe>``, a link in place of every other iframe, object or embed with a
    URL for one (link_host), nothing left of the others, and the URLs linked, in order. An
    iframe's content goes with it; an object's fallback content stays, and an embed or object
    inside an object linking the same URL (the same film for another plug-in) gets no link of
    its own."""
    kept: list[str] = []
    linked: list[str] = []
    objects: list[str | None] = []  # the URL of each <object> open here (None: no link)
    pos = 0
    while (found := _EMBED_TAG.search(html, pos)) is not None:
        start = found.start()
        kept.append(html[pos:start])
        name = found.group(1)
        if name is None:  # "</object>": the object went at its start tag
            if objects:
                objects.pop()
            pos = found.end()
            continue
        if name == "iframe":
            end = html.find(_IFRAME_END, start)
            if end == -1:  # cannot happen (the serializer closes every element): drop it all
                return "".join(kept), tuple(linked)
            pos = end + len(_IFRAME_END)
            tag = _IFRAME_START.match(html, start)
            src = _url_attribute(tag.group(1), "src") if tag and tag.end() <= end else None
            url = _html.unescape(src) if src is not None else None
            if url is not None and (player := embed_player_url(url)) is not None:
                # The filter left no other src but an absolute http(s) one; checked again,
                # the check being cheap and the stake high. A URL that reads as a player's
                # only once made so (http, spaces around it) is neither player nor link.
                if tag is not None and player == url:
                    kept.append(f"{tag.group(0)}{_IFRAME_END}")
                continue
        else:
            close = html.find(">", start)
            pos = len(html) if close == -1 else close + 1
            tag = _FALLBACK_START.match(html, start)
            attr = "data" if name == "object" else "src"
            src = _url_attribute(tag.group(1), attr) if tag and tag.end() == pos else None
            url = _html.unescape(src) if src is not None else None
        if url is not None and (host := link_host(url)) and url not in objects:
            kept.append(_LINK.format(src, host))
            linked.append(url)
        if name == "object":
            objects.append(url)
    kept.append(html[pos:])
    return "".join(kept), tuple(linked)


def _url_attribute(attrs: str, name: str) -> str | None:
    """The value (as serialized) of attribute ``name`` in a start tag's ``attrs``."""
    return next((v for n, v in _EMBED_ATTR.findall(attrs) if n == name), None)
