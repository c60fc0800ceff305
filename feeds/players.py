"""The players whose <iframe> a post keeps, and the pass that keeps only theirs.

feeds/content.py lets <iframe> through nh3 with a few attributes, its attribute filter asks
`embed_attribute` what each may keep (a `src` only when it is a player's), and
`players_only` then removes every iframe left without a `src`, and the content of every one
(docs/design-notes.md, "Players' iframes kept by a pass over nh3's output"). Pure: no I/O.
"""

from __future__ import annotations

import html as _html
import re
from types import MappingProxyType
from urllib.parse import urlsplit

__all__ = ["EMBED_ATTRS", "EMBED_PLAYERS", "embed_attribute", "embed_player_url", "players_only"]

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
    """What an iframe keeps of an attribute: a player's src, a size in pixels, a title,
    two keywords. Every other attribute (srcdoc, sandbox, allow, lang, ...) goes."""
    if attr == "src":
        return embed_player_url(value)
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


# The post-pass reads nh3's own serialization (html5ever's), never the author's markup,
# and that is canonical (docs/design-notes.md; tests/feeds/test_content_embeds.py):
# - a start tag is "<iframe", then ` name="value"` per attribute, then ">"; a value has
#   & " < > written as references;
# - "<iframe" appears nowhere else but inside an iframe's content: text is escaped ("&lt;"),
#   comments are stripped, every other raw-text element is dropped or unwrapped into text;
# - an iframe holds one text node, written raw (HTML §13.3), which cannot hold "</iframe>":
#   the tokenizer ends an iframe's RAWTEXT at the first "</iframe" followed by whitespace,
#   "/" or ">" (HTML §13.2.5.12-14), and the serializer writes "</iframe>". An iframe in
#   SVG or MathML (which may hold elements) is removed by nh3 (ammonia 3.1.2, #142).
# So an iframe runs from "<iframe" to the first "</iframe>" after it, whatever it holds;
# one that does not read as expected is dropped (fail closed).
_IFRAME_START = re.compile(r'<iframe((?: [a-z]+="[^"<>]*")*)>')
_IFRAME_ATTR = re.compile(r' ([a-z]+)="([^"<>]*)"')
_IFRAME_END = "</iframe>"


def players_only(html: str) -> str:
    """``html`` (nh3's output) with every iframe that has no player's src removed, and the
    content of every other one: a player is emitted as ``<iframe ...></iframe>``."""
    kept: list[str] = []
    pos = 0
    while (start := html.find("<iframe", pos)) != -1:
        kept.append(html[pos:start])
        end = html.find(_IFRAME_END, start)
        if end == -1:  # cannot happen (the serializer closes every element): drop it all
            return "".join(kept)
        tag = _IFRAME_START.match(html, start)
        if tag is not None and tag.end() <= end and _is_player(tag.group(1)):
            kept.append(f"{tag.group(0)}{_IFRAME_END}")
        pos = end + len(_IFRAME_END)
    kept.append(html[pos:])
    return "".join(kept)


def _is_player(attrs: str) -> bool:
    """Whether an iframe's serialized attributes hold a player's src (the filter left no
    other src; checked again, the check being cheap and the stake high)."""
    src = next((v for name, v in _IFRAME_ATTR.findall(attrs) if name == "src"), None)
    if src is None:
        return False
    url = _html.unescape(src)
    return embed_player_url(url) == url
