"""Pure text and HTML helpers for feed entries: no I/O, no clock.

Everything that ends up in a feed passes through here: plain-text fields through
``clean_text``, entry bodies through ``sanitize_html``, and summaries/thumbnails are
derived from the sanitized body with ``summary_from_html`` and ``first_image``.
"""

from __future__ import annotations

import html as _html
import re
import threading
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import nh3

from feeds.players import (
    EMBED_ATTRS,
    EMBED_LINK,
    EMBED_LINK_TEXT,
    embed_attribute,
    embed_player_url,
    link_host,
    players_and_links,
)

__all__ = [
    "Sanitized", "clean_text", "first_image", "sanitize_body", "sanitize_html",
    "sanitize_with_image", "strip_xml_illegal", "summary_from_html",
]

# XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "a", "img", "figure", "figcaption", "picture", "source",
        "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "q", "cite", "pre", "code",
        "kbd", "samp", "var", "em", "strong", "b", "i", "u", "s", "del", "ins", "sub",
        "sup", "small", "mark", "abbr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
        "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
        "span", "div", "details", "summary", "audio", "video", "track", "time",
    }
)  # fmt: skip

_MEDIA_ATTRS = frozenset({"src", "controls", "poster", "width", "height"})
_CELL_ATTRS = frozenset({"colspan", "rowspan", "scope"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"lang", "dir"}),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height", "srcset", "loading"}),
    "source": frozenset({"src", "srcset", "type", "media"}),
    "audio": _MEDIA_ATTRS,
    "video": _MEDIA_ATTRS,
    "track": frozenset({"src", "kind", "srclang", "label"}),
    "td": _CELL_ATTRS,
    "th": _CELL_ATTRS,
    "abbr": frozenset({"title"}),
    "time": frozenset({"datetime"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "code": frozenset({"class"}),
    "pre": frozenset({"class"}),
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel"})
# Script/style must vanish with their content. Raw-text elements (iframe, noscript, ...)
# would otherwise leak their markup into the body as escaped "&lt;p&gt;" text.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "noscript", "noembed", "noframes", "template"}
)
_URL_ATTRS = frozenset({"href", "src", "poster", "cite"})

# Boundaries that read as a break; stripping them must not glue words together.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|br|hr|div|li|dt|dd|h[1-6]|tr|td|th|caption|figcaption|blockquote|pre"
    r"|ul|ol|dl|table|figure|details|summary|section|article|header|footer|audio|video)\b)",
    re.IGNORECASE,
)
# srcset candidate: a URL (no whitespace; a trailing comma ends it) then optional descriptors.
_SRCSET_CANDIDATE = re.compile(r"\s*([^\s,]\S*?)(?:,+(?=\s|$)|\s+([^,]*)(?:,|$)|$)")
_SRCSET_DESCRIPTOR = re.compile(r"\d+[wh]|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?x")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_IMAGE_PIECE = 1024
_TABLE = re.compile(r"<table", re.IGNORECASE)
_SUMMARY_MARGIN = 256
"""Characters of text past a summary's length that a prefix must hold (_leading_text)."""
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def strip_xml_illegal(text: str) -> str:
    """Drop characters XML 1.0 forbids; returns ``text`` itself when it is already clean."""
    if _XML_ILLEGAL.search(text) is None:
        return text
    return _XML_ILLEGAL.sub("", text)


def clean_text(text: str) -> str:
    """Single-line plain text for titles, names and labels."""
    # Collapse first so illegal *whitespace* (e.g. Word's \x0b line break) becomes a
    # space instead of gluing two words together; collapse again after stripping, when
    # anything was stripped. split() and re's \s agree on what whitespace is
    # (str.isspace); joining the split words was 6x faster than `\s+` -> " " on a
    # post's text, where every single space is a match (tests/feeds/test_content_shortcuts).
    spaced = " ".join(text.split())
    legal = strip_xml_illegal(spaced)
    return spaced if legal is spaced else " ".join(legal.split())


# An absolute http(s) URL that urljoin gives back unchanged whatever the base: lower-case
# scheme, an ASCII host without brackets, no whitespace or C0 anywhere (the WHATWG URL
# parser drops those, so urlsplit does too), no ';' (urlparse would split path parameters
# off), and no empty '?' or '#' (urlunparse drops them). Most links of a post look like
# this, and resolving each with urljoin was a third of the cost of storing a post.
# tests/feeds/test_content_shortcuts.py checks it against urljoin on generated URLs.
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9._~%!$&'()*+,=:@-]+(?:/[^\x00-\x20;?#]*)?(?:\?[^\x00-\x20;#]+)?"
    r"(?:#[^\x00-\x20;]+)?")


# A root-relative link ("/2024/05/post.html") that urljoin resolves to the base's origin
# followed by the link as it is: no "//" (a network-path reference, and urljoin drops empty
# segments), no "/." (dot segments are resolved), and the same characters as above. Most
# of a blog's internal links look like this; urljoin took ~10 us each.
_PLAIN_ROOT_PATH = re.compile(
    r"(?!.*//)(?!.*/\.)/[^\x00-\x20;?#]*(?:\?[^\x00-\x20;#]+)?(?:#[^\x00-\x20;]+)?")


def _origin(base_url: str) -> str | None:
    """``scheme://host`` of a plain absolute base, which a root-relative link is appended
    to (_PLAIN_ROOT_PATH); None when the base is anything else (urljoin then decides)."""
    if not _PLAIN_ABSOLUTE_URL.fullmatch(base_url):
        return None
    scheme, _, rest = base_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


def _absolute_url(value: str, base_url: str, origin: str | None = None) -> str | None:
    """Resolve ``value`` against ``base_url`` (whose ``_origin`` is ``origin``, when
    known); None if the result is not a safe URL."""
    if _PLAIN_ABSOLUTE_URL.fullmatch(value):
        return value
    if origin is not None and _PLAIN_ROOT_PATH.fullmatch(value):
        return origin + value
    # Browsers ignore tabs/newlines anywhere and C0/space at the ends ("java\tscript:").
    url = _TAB_OR_NEWLINE.sub("", value).strip(_C0_OR_SPACE)
    try:
        joined = urljoin(base_url, url)
        scheme = urlsplit(joined).scheme.lower()
    except ValueError:  # e.g. "http://[broken"
        return None
    if scheme and scheme not in URL_SCHEMES:
        return None
    return joined


def absolute_url(value: str, base_url: str) -> str | None:
    """``value`` resolved against ``base_url`` as a link of a body is; None when it is empty
    or its scheme is not one a link may have (URL_SCHEMES)."""
    return _absolute_url(value, base_url, _origin(base_url)) if value else None


def _absolute_srcset(value: str, base_url: str) -> str | None:
    candidates: list[str] = []
    for match in _SRCSET_CANDIDATE.finditer(value):
        url = _absolute_url(match.group(1), base_url, _TARGET.origin)
        descriptors = (match.group(2) or "").split()
        if url is None or not all(map(_SRCSET_DESCRIPTOR.fullmatch, descriptors)):
            continue  # browsers drop such candidates too; we just don't ship them
        candidates.append(" ".join([url, *descriptors]))
    return ", ".join(candidates) or None


class _Target(threading.local):
    """The post a sanitizer call is working on, for the attribute filter: a Cleaner is made
    once (its options cost more to convert than a short comment costs to clean), so the
    filter cannot close over the post's URL."""

    base_url = ""
    origin: str | None = None
    """_origin(base_url), worked out once per call."""
    image: str | None = None
    """The first <img src> kept, in document order (ammonia walks the tree in order)."""
    embeds = False
    """Whether the body held an iframe, object or embed (each has its _EMBED_MARK filtered):
    players_and_links."""


_TARGET = _Target()


def _absolutize(tag: str, attr: str, value: str) -> str | None:
    # nh3 checks href/src/poster schemes *before* calling this, but not cite or
    # srcset, and never re-checks what we return: so every URL is checked here too.
    if tag in _EMBED_URL_ATTR:
        _TARGET.embeds = True
        if attr == _EMBED_URL_ATTR[tag]:
            return _embed_url(tag, value)
        return embed_attribute(attr, value) if tag == "iframe" else None
    if attr in _URL_ATTRS:
        url = _absolute_url(value, _TARGET.base_url, _TARGET.origin)
        if url and tag == "img" and attr == "src" and _TARGET.image is None:
            _TARGET.image = url
        return url
    if attr == "srcset":
        return _absolute_srcset(value, _TARGET.base_url)
    return value


def _embed_url(tag: str, value: str) -> str | None:
    """What an embed's URL attribute keeps: a player's URL (an iframe's only), or the
    absolute http(s) URL that players_and_links puts a link to; else nothing. An iframe's
    URL that reads as a player's only once resolved (tabs in it, or relative to a player's
    host) was never kept as a player, and gets no link either: it stays gone, as before.
    Nor does an empty URL: it is no embed, not one of the post's own page (an iframe with
    an empty src shows about:blank, HTML §4.8.5)."""
    if tag == "iframe" and (player := embed_player_url(value)) is not None:
        return player
    if not value.strip(_C0_OR_SPACE):
        return None
    url = _absolute_url(value, _TARGET.base_url, _TARGET.origin)
    if url is None or link_host(url) is None:
        return None
    if tag == "iframe" and embed_player_url(url) is not None:
        return None
    return url


# <iframe>, <object> and <embed> pass nh3 so that a player's iframe can be kept and the
# others replaced by a link, but nh3 cannot drop or replace an element from its attribute
# filter: the filter leaves a player's iframe its src and any other embed only an absolute
# http(s) URL (_embed_url), and players_and_links then keeps the players, puts a link where
# each other embed with a URL was, and drops the rest, each iframe with its content. It
# runs only for a body that held one: nh3 gives every such element _EMBED_MARK and passes it
# to the filter (which drops it), so even one with no attribute of its own is seen. (Looking
# for "<iframe" in every output instead cost 3-4 us a post, 3 % of sanitizing it.)
_EMBED_URL_ATTR = {"iframe": "src", "object": "data", "embed": "src"}
_EMBED_MARK = "data-syndic-embed"
_SANITIZER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS | _EMBED_URL_ATTR.keys()),
    clean_content_tags=set(_DROP_WITH_CONTENT - {"iframe"}),
    attributes={
        **{tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        "iframe": set(EMBED_ATTRS),
        "object": {"data"},
        "embed": {"src"},
    },
    attribute_filter=_absolutize,
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
    set_tag_attribute_values={tag: {_EMBED_MARK: ""} for tag in _EMBED_URL_ATTR},
)
# A summary is the post's prose: a player's fallback text and the captions under images and
# players go with their element (WordPress's excerpt drops [caption] and the players'
# shortcodes whole too).
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=set(
    _DROP_WITH_CONTENT | {"audio", "video", "figcaption"}))


class Sanitized(NamedTuple):
    html: str
    """The body, sanitized (sanitize_html)."""
    image: str | None
    """Its first_image."""
    links: tuple[str, ...]
    """The URLs of the embeds (iframe, object, embed) it lost to a link, in order: for an
    import's report."""


def sanitize_html(html: str, base_url: str) -> str:
    """Allow-list sanitize an entry body and make its URLs absolute against ``base_url``."""
    return sanitize_body(html, base_url).html


def sanitize_with_image(html: str, base_url: str) -> tuple[str, str | None]:
    """``sanitize_html`` and the ``first_image`` of what it returns."""
    body = sanitize_body(html, base_url)
    return body.html, body.image


def sanitize_body(html: str, base_url: str) -> Sanitized:
    """``sanitize_html``, with the ``first_image`` of what it returns and the embeds it left
    as links, found while sanitizing (parsing the output again for the image was a tenth of
    the cost of storing a post)."""
    target = _TARGET
    target.base_url, target.origin, target.image = base_url, _origin(base_url), None
    target.embeds = False
    try:
        cleaned: str = _SANITIZER.clean(strip_xml_illegal(html))
        image, embeds = target.image, target.embeds
    finally:
        target.base_url, target.origin, target.image = "", None, None
    links: tuple[str, ...] = ()
    if embeds:
        cleaned, links = players_and_links(cleaned)
    # Character references such as &#11; or &#xFFFE; are decoded by the parser and
    # written back raw, so the output needs the same treatment as the input. (A linked URL
    # holds none: link_host.)
    return Sanitized(strip_xml_illegal(cleaned), strip_xml_illegal(image) if image else None,
                     links)


def summary_from_html(html: str, length: int) -> str:
    """Plain-text summary of at most ``length`` characters, cut at a word boundary."""
    text = _leading_text(html, length)
    if len(text) <= length:
        return text
    if length <= 0:
        return ""
    room = length - 1  # the ellipsis counts within length
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > 0 else text[:room]
    return head.rstrip() + "…"


def _text_of(html: str) -> str:
    if EMBED_LINK_TEXT in html:
        # A link left for an embed (players.py) is no more the post's prose than a
        # player's fallback text is.
        html = EMBED_LINK.sub("", html)
    spaced = _BLOCK_TAG.sub(" <", html)
    text_only: str = _TEXT_ONLY.clean(spaced)
    return clean_text(_html.unescape(text_only))


def _leading_text(html: str, length: int) -> str:
    """The plain text of ``html``, or of a prefix of it when that prefix already holds
    more than ``length`` characters and a margin: a summary needs no more, and taking the
    text of a whole long post was a fifth of the cost of storing it. The margin keeps
    whatever a cut makes of the prefix's end (half a tag, an entity, a word) out of reach
    of the summary, which is cut at the last space within ``length``. Not past a table:
    text misplaced inside one moves before it (HTML's foster parenting), from anywhere
    after the cut."""
    size = max(2 * (length + _SUMMARY_MARGIN), 1024)
    while size < len(html):
        if _TABLE.search(html, 0, size):
            break
        text = _text_of(html[:size])
        if len(text) > length + _SUMMARY_MARGIN:
            return text
        size *= 4
    return _text_of(html)


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.src is None and tag == "img":
            self.src = next((value for name, value in attrs if name == "src" and value), None)


def first_image(html: str) -> str | None:
    """``src`` of the first ``<img>`` (that has one) in already-sanitized HTML."""
    if "<img" not in html.lower():
        return None
    parser = _FirstImage()
    # Fed a piece at a time, and no further than the image: parsing the whole of a long
    # post for it cost a tenth of storing the post. (HTMLParser keeps what a piece cuts.)
    for start in range(0, len(html), _IMAGE_PIECE):
        parser.feed(html[start : start + _IMAGE_PIECE])
        if parser.src is not None:
            return parser.src
    parser.close()
    return parser.src
