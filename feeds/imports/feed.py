"""Any feed as an import: RSS 0.9x/1.0/2.0 and Atom (through feedparser) or JSON Feed 1.0/1.1,
one page at a time (the caller follows `next_url`, RFC 5005 paging). The ids readers already
know (Atom id, RSS guid, JSON Feed id) become the entry ids, so subscribers see no duplicates
after the move. Pure: bytes in, items out."""

from __future__ import annotations

import calendar
import codecs
import html
import io
import json
import re
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import unquote
from xml.parsers import expat
from xml.sax import SAXParseException

import feedparser
from dateutil.parser import UnknownTimezoneWarning

from feeds.content import clean_text, summary_from_html
from feeds.errors import InvalidParameterError
from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem, Skipped
from feeds.imports.links import joined, split
from feeds.models import Author, Enclosure
from feeds.query import parse_date

_JSON_TYPES = ("application/feed+json", "application/json")
_JSON_VERSION = "https://jsonfeed.org/version/"
_NOT_A_FEED = "not an RSS, Atom or JSON Feed document"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_WXR_NAMESPACE = "http://wordpress.org/export/"  # 1.0, 1.1, 1.2 (feeds/imports/wordpress.py)
_WXR = ("a WordPress export, not a feed: import it as one (`syndic import wordpress`, the"
        " API's kind=wordpress), which keeps its drafts, private posts and pages out of sight")
_NO_TYPE = "application/octet-stream"
_TITLE_LENGTH = 60
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_EXTENSION = re.compile(r"(?<=.)\.[a-z][a-z0-9]{0,4}$", re.IGNORECASE)  # hello.html, not v2.0
_UNDEFINED_ENTITY = expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]
# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_ENCODING = re.compile(r"\A(<\?xml[^>]*?\bencoding\s*=\s*)(['\"])[^'\"]*\2")
_EXPAT_NOT_WELL_FORMED = re.compile(r"not well-formed \((.+)\)")


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[ImportItem]
    next_url: str | None
    """The page's RFC 5005 rel="next" link (JSON Feed: next_url), absolute; None on the last."""
    title: str


class _BadItem(Exception):
    """One entry cannot be imported: it becomes a Skipped with this reason."""


def parse_feed(data: bytes, tz: tzinfo, base_url: str = "", content_type: str = "") -> FeedPage:
    """One page of a feed as import items. `tz` is for dates written without a zone,
    `base_url` (where the page came from) resolves relative links. ImportFormatError when
    the document is not a readable feed."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if (utf_8 := _utf_8(data)) is not data:  # and a charset the HTTP answer gave is not
        data, content_type = utf_8, f"{mime}; charset=utf-8" if mime else ""
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{") or (mime in _JSON_TYPES and not head.startswith(b"<")):
        return _parse_json(data, tz, base_url)
    return _parse_xml(data, tz, base_url, content_type)


def _utf_8(data: bytes) -> bytes:
    """A document that begins with a UTF-16 or UTF-32 byte order mark, in UTF-8 (its XML
    declaration saying so). XML needs no encoding declaration after a BOM (XML 1.0 §4.3.3,
    F.1), but feedparser then reads the bytes as UTF-8: "not a feed". ImportFormatError
    when the bytes are not in the encoding their BOM names."""
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if bom is None:
        return data
    try:
        text = data.decode(bom).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFormatError("document", f"not {bom.upper()}, as its byte order mark says: "
                                f"{exc.reason} at byte {exc.start}") from None
    return _XML_ENCODING.sub(r"\1\2utf-8\2", text, count=1).encode()


def _parse_xml(data: bytes, tz: tzinfo, base_url: str, content_type: str) -> FeedPage:
    headers = {"content-location": base_url, "content-type": content_type}
    # A stream, not the bytes: given bytes that name a local file, feedparser reads the file.
    # Not feedparser's sanitizer: it drops every iframe, players too. Every post is sanitized
    # when it is stored (feeds/content.py), which keeps well-known players only.
    try:
        doc = feedparser.parse(
            io.BytesIO(data), response_headers={k: v for k, v in headers.items() if v},
            resolve_relative_uris=True, sanitize_html=False,
        )  # fmt: skip
    except ValueError as exc:
        # Past expat, feedparser's loose parser encodes what a character reference names,
        # and half a surrogate pair (&#xD800;) cannot be: XML forbids it (XML 1.0 §4.1,
        # WFC: Legal Character). An encoding declared with a NUL in its name fails in its
        # codec lookup. Expat says what is wrong, on its line.
        _check_well_formed(data, "utf-8")
        raise ImportFormatError("document", f"not well-formed XML: {exc}") from None
    if not doc.get("version"):
        raise ImportFormatError("document", _NOT_A_FEED)
    if any(uri.startswith(_WXR_NAMESPACE) for uri in (doc.get("namespaces") or {}).values()):
        # An RSS 2.0 document to feedparser, but its items are every post, page, draft,
        # private and trashed post, attachment and menu item of the blog, their status in
        # wp:status, which only the WordPress importer reads (the Blogger importer refuses
        # it too). As a feed, all of them went out as published.
        raise ImportFormatError("document", _WXR)
    if isinstance(doc.get("bozo_exception"), SAXParseException):
        _check_well_formed(data, doc.get("encoding") or "utf-8")
    # Any other bozo is benign: an encoding or content type other than the one declared.
    # Atom: an entry without authors has the feed's (RFC 4287 4.2.1).
    inherited = _xml_authors(doc.feed) if doc.version.startswith("atom") else ()
    items: list[ImportItem] = []
    for i, entry in enumerate(doc.entries, 1):
        try:
            items.append(_xml_entry(entry, f"entry {i}", tz, inherited))
        except _BadItem as exc:
            title = clean_text(dict.get(entry, "title") or "")
            items.append(Skipped(f"entry {i}", str(exc), title))
    nexts = [link.get("href") for link in doc.feed.get("links", ()) if link.get("rel") == "next"]
    next_url = joined(base_url, nexts[0]) if nexts and nexts[0] else None
    return FeedPage(items, next_url, _xml_text(doc.feed, "title") or "")


def _check_well_formed(data: bytes, encoding: str) -> None:
    """ImportFormatError("line N", "not well-formed XML: ...") (the WordPress and Blogger
    importers' words) before any entry is taken: past a break, feedparser's loose parser
    makes entries of the pieces (a title cut off was "skipped: no title and no text").

    Called when feedparser's strict parser (expat) stopped at its first error, which may be
    one feedparser reads past, as real feeds need, hiding a break further on. So expat reads
    the text again, as feedparser decoded it, forgiving those: an HTML entity no DTD declares
    (&eacute;; as if an external DTD did, for XML 1.0 makes it an error only without one), a
    prefix no xmlns declares (dc:; no namespaces), blank lines before <?xml. What it still
    finds is an error of XML itself, on the file's line (feedparser rewrites the DOCTYPE)."""
    try:
        text = data.decode(encoding, "replace")
    except (LookupError, ValueError):  # no such codec; a NUL in its name
        text = data.decode("utf-8", "replace")
    body = text.removeprefix("\ufeff").lstrip()
    skipped_lines = text[: len(text) - len(body)].count("\n")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # nothing is fetched
    parser.UseForeignDTD(True)
    try:
        parser.Parse(body, True)  # a str is read as UTF-8, whatever the declaration says
    except expat.ExpatError as exc:
        if exc.code == _UNDEFINED_ENTITY:
            return  # standalone="yes" forbids the external DTD: read past, as feedparser does
        message = expat.errors.messages[exc.code]
        said = _EXPAT_NOT_WELL_FORMED.fullmatch(message)  # "not well-formed (invalid token)"
        problem = f"not well-formed XML: {said[1] if said else message}"
        raise ImportFormatError(f"line {exc.lineno + skipped_lines}", problem) from None


def _xml_entry(entry: Any, where: str, tz: tzinfo, inherited: tuple[Author, ...]) -> ImportItem:
    # dict.get throughout: FeedParserDict.get("updated") answers `published` when there is
    # no updated (and warns), which would hide a missing date.
    contents, summary = dict.get(entry, "content") or [], dict.get(entry, "summary_detail")
    body = ([c for c in contents if c.get("type") in _HTML_TYPES] or contents or [summary])[0]
    value = (body := body or {}).get("value", "")
    content = _paragraphs(value) if body.get("type") == "text/plain" else value
    differs = body is not summary and summary is not None and summary.get("value") != value
    enclosures = tuple(
        Enclosure(link["href"], link.get("type") or _NO_TYPE, _length(link.get("length")))
        for link in dict.get(entry, "links") or ()
        if link.get("rel") == "enclosure" and link.get("href")
    )
    labels = (tag.get("label") or tag.get("term") or "" for tag in dict.get(entry, "tags") or ())
    published, updated = (
        _date(dict.get(entry, key), dict.get(entry, f"{key}_parsed"), tz, key)
        for key in ("published", "updated")
    )
    return _post(
        where, entry_id=dict.get(entry, "id"), link=dict.get(entry, "link"),
        title=_xml_text(entry, "title"), content=content,
        summary=_xml_text(entry, "summary") if differs else None,
        published=published, updated=updated, authors=_xml_authors(entry) or inherited,
        labels=labels, enclosures=enclosures,
    )  # fmt: skip


def _xml_text(context: Any, key: str) -> str | None:
    """A title or summary as plain text (feedparser keeps Atom's type="html" as markup)."""
    value = dict.get(context, key)
    if not value:
        return None
    kind = (dict.get(context, f"{key}_detail") or {}).get("type", "")
    text = summary_from_html(value, sys.maxsize) if kind in _HTML_TYPES else clean_text(value)
    return text or None


def _xml_authors(context: Any) -> tuple[Author, ...]:
    authors: list[Author] = []
    previous_email = None
    for raw in dict.get(context, "authors") or ():
        email = raw.get("email") or None
        # feedparser 6 copies an Atom author's email into the next author that has none.
        if authors and email == previous_email and raw.get("name") != authors[-1].name:
            email = None
        previous_email = raw.get("email") or None
        if name := clean_text(raw.get("name") or "") or email:
            authors.append(Author(name, raw.get("href") or None, email))
    return tuple(authors)


def _parse_json(data: bytes, tz: tzinfo, base_url: str) -> FeedPage:
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError("document", f"not UTF-8: {exc.reason}") from None
    if not isinstance(doc, dict) or not _text(doc, "version").startswith(_JSON_VERSION):
        raise ImportFormatError("document", _NOT_A_FEED)
    if not isinstance(raw_items := doc.get("items"), list):
        raise ImportFormatError("document", "a JSON Feed needs an items list")
    inherited = _json_authors(doc)  # JSON Feed 1.1: the feed's authors are its items'
    items: list[ImportItem] = []
    for i, item in enumerate(raw_items, 1):
        if not isinstance(item, dict):
            items.append(Skipped(f"entry {i}", "not a JSON object"))
            continue
        try:
            items.append(_json_item(item, f"entry {i}", tz, base_url, inherited))
        except _BadItem as exc:
            items.append(Skipped(f"entry {i}", str(exc), clean_text(_text(item, "title"))))
    next_url = _text(doc, "next_url")
    return FeedPage(items, joined(base_url, next_url) if next_url else None, _text(doc, "title"))


def _json_item(
    item: dict[str, Any], where: str, tz: tzinfo, base_url: str, inherited: tuple[Author, ...]
) -> ImportItem:
    raw_id = item.get("id")
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)  # JSON Feed 1.0 feeds in the wild use numbers
    summary, full = _text(item, "summary"), _text(item, "content_html")
    content = full or _paragraphs(_text(item, "content_text") or summary)
    full = full or _text(item, "content_text")
    summary = clean_text(summary) if full and full != summary else ""
    enclosures = tuple(
        Enclosure(joined(base_url, url), _text(a, "mime_type") or _NO_TYPE,
                  _length(a.get("size_in_bytes")))
        for a in item.get("attachments") or ()
        if isinstance(a, dict) and (url := _text(a, "url"))
    )  # fmt: skip
    tags = item.get("tags")
    url = _text(item, "url")
    return _post(
        where, entry_id=raw_id.strip() if isinstance(raw_id, str) else None,
        link=joined(base_url, url) if url else None, title=clean_text(_text(item, "title")),
        content=content, summary=summary or None,
        published=_date(item.get("date_published"), None, tz, "date_published"),
        updated=_date(item.get("date_modified"), None, tz, "date_modified"),
        authors=_json_authors(item) or inherited,
        labels=(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        enclosures=enclosures,
    )  # fmt: skip


def _json_authors(obj: Mapping[str, Any]) -> tuple[Author, ...]:
    raw = obj.get("authors")  # 1.1; 1.0 has one `author`
    return tuple(
        Author(clean_text(_text(a, "name")), _text(a, "url") or None)
        for a in (raw if isinstance(raw, list) else [obj.get("author")])
        if isinstance(a, dict) and clean_text(_text(a, "name"))
    )


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _post(
    where: str, *, entry_id: str | None, link: str | None, title: str | None, content: str,
    summary: str | None, published: datetime | None, updated: datetime | None,
    authors: tuple[Author, ...], labels: Iterable[str], enclosures: tuple[Enclosure, ...],
) -> ImportItem:  # fmt: skip
    """What every format shares: id and title fallbacks, the slug, the date fallback."""
    entry_id = entry_id or link
    if not entry_id:
        return Skipped(where, "no id and no link", title or "")
    if not title:  # a microblog post: its text begins the title
        text = summary_from_html(content, sys.maxsize)
        if not text:
            return Skipped(where, "no title and no text")
        cut = len(text) > _TITLE_LENGTH
        title = text[:_TITLE_LENGTH].rstrip() + "…" if cut else text
    segment = unquote(split(link).path.rstrip("/").rsplit("/", 1)[-1]) if link else ""
    return ImportedPost(
        source_id=entry_id, entry_id=entry_id, title=title, content_html=content,
        published=published or updated, updated=updated, summary=summary,
        slug=_EXTENSION.sub("", segment) or None, authors=authors,
        labels=tuple(dict.fromkeys(filter(None, map(clean_text, labels)))),
        enclosures=enclosures, where=where,
    )  # fmt: skip


def _date(raw: object, parsed: Any, tz: tzinfo, field: str) -> datetime | None:
    """The date as written (a zone-less one takes `tz`), else feedparser's reading of it
    (UTC; it knows RFC 822 zone names such as EST, which dateutil only warns about)."""
    unread = f"{field}: not a date: {raw!r}"
    if isinstance(raw, str) and raw.strip():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", UnknownTimezoneWarning)
                return parse_date(raw.strip(), field, tz)
        except InvalidParameterError as exc:
            unread = str(exc)  # "date out of range: ..." says more than "not a date"
        except UnknownTimezoneWarning:
            pass
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        except (ValueError, OverflowError):  # feedparser reads 9999-12-31T23:59-05:00 too,
            pass  # as a time tuple in the year 10000, which no datetime holds
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    raise _BadItem(unread)


def _paragraphs(text: str) -> str:
    """Plain text as HTML: blank lines part paragraphs, a single newline is a <br>."""
    paragraphs = _BLANK_LINE.split(text.replace("\r\n", "\n").strip())
    escaped = (html.escape(p.strip(), quote=False).replace("\n", "<br>") for p in paragraphs)
    return "".join(f"<p>{p}</p>" for p in escaped if p)


def _length(value: object) -> int:
    try:
        return max(int(str(value or 0).strip()), 0)
    except ValueError:
        return 0
