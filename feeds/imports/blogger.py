"""Blogger exports -> import items: posts, pages and comments, streamed entry by entry.

Two formats, told apart entry by entry:
* Google Takeout's `Blogger/Blogs/<name>/feed.atom`: `blogger:type` (POST, PAGE, COMMENT) and
  `blogger:status` (LIVE, DRAFT, SCHEDULED, SOFT_TRASHED; comments also SPAM_COMMENT…), the
  post's path in `blogger:filename`, a comment's post in `blogger:parent` and the comment it
  answers in `blogger:inReplyTo` (empty when it answers the post). `<blogger:trashed/>` is on
  every entry and holds a date only for one in the trash.
* The older "Back up content" blog-*.xml: the kind is a category of scheme
  http://schemas.google.com/g/2005#kind (…/blogger/2008/kind#post, #page, #comment, #settings,
  #template); drafts carry <app:control><app:draft>yes</app:draft></app:control>; a comment
  names its post in `thr:in-reply-to ref=` (RFC 4685) and links the comment it answers with
  `link rel="related"` (…/feeds/BLOG/POST/comments/default/COMMENT).
Both keep Blogger's ids (tag:blogger.com,1999:blog-B.post-P; comments are `.post-C` too).

Sources: getpelican/pelican tools/pelican_import.py (blogger2fields: kinds, app:draft, label
scheme); nschloe/drupal2blogger (comment ids, thr:in-reply-to, rel="related" for the parent
comment, noreply@blogger.com); Takeout converters on GitHub (blogger:type/status/parent/
filename/created/metaDescription, SPAM_COMMENT, the dated <blogger:trashed>, labels "joined
with newlines in one term"); Blogger API v3 reference for the status words (posts LIVE, DRAFT,
SCHEDULED, SOFT_TRASHED; comments LIVE, EMPTIED, PENDING, SPAM).
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO
from urllib.parse import unquote

from lxml import etree

from feeds.errors import InvalidInputError
from feeds.imports.items import (
    PAGE_LEFT_OUT,
    ImportedComment,
    ImportedPost,
    ImportFormatError,
    ImportItem,
    Note,
    Skipped,
)
from feeds.imports.links import split
from feeds.imports.xml_stream import XmlEvents, syntax_problem
from feeds.models import Author, CommentStatus, Enclosure, PostStatus
from feeds.query import parse_date

ATOM = "{http://www.w3.org/2005/Atom}"
BLOGGER = "{http://schemas.google.com/blogger/2018}"
THR = "{http://purl.org/syndication/thread/1.0}"
# Old exports use the pre-RFC APP namespace; accept the RFC 5023 one as well.
APP = ("{http://purl.org/atom/app#}", "{http://www.w3.org/2007/app}")
XHTML = "{http://www.w3.org/1999/xhtml}"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
NOT_CONTENT = frozenset({"settings", "template", "layout"})
NOREPLY = "noreply@blogger.com"
TITLE_FROM_TEXT = 60
_POST_STATUS = {
    "LIVE": PostStatus.PUBLISHED,
    "SCHEDULED": PostStatus.SCHEDULED,
    "DRAFT": PostStatus.DRAFT,
}
_GONE_WORDS = ("TRASH", "DELET", "EMPTIED", "REMOVED")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)
_LEGACY_ID = re.compile(r"\.(?:post|page)-(\d+)$")
_BLOG = re.compile(r"^(tag:blogger\.com,1999:blog-\d+)\.")
_PATH_MONTH = re.compile(r"^/(\d{4})/(\d{2})/")

Element = Any  # lxml has no type stubs here


def parse_blogger(
    source: BinaryIO, tz: tzinfo, *, include_pages: bool = False
) -> Iterator[ImportItem]:
    """Read a Blogger export (Takeout feed.atom or the older blog-*.xml) as a stream of items.

    `tz` is taken by dates written without a zone. Raises ImportFormatError naming the line
    for a file that is not XML or not an Atom feed, also part-way through."""
    events = XmlEvents(
        source, events=("start", "end"), huge_tree=True, resolve_entities=False, no_network=True
    )
    depth = index = 0
    cut = ""  # the entry the file's break cut off, if any
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1 and element.tag != ATOM + "feed":
                    name = etree.QName(element).localname
                    raise ImportFormatError(
                        f"line {element.sourceline}",
                        f"not an Atom feed (the root element is <{name}>)",
                    )
                continue
            depth -= 1
            if depth != 1 or element.tag != ATOM + "entry":
                continue
            index += 1
            where = f"entry {index} (line {element.sourceline})"
            if event == "cut":  # never stored half (xml_stream)
                cut = where
                yield Skipped(where, "cut off where the file breaks")
                continue
            dates = _Dates(tz)
            try:
                item = _entry(element, where, dates, include_pages)
            except ValueError as exc:
                item = Skipped(where, f"malformed entry: {exc}")
            # Streaming: drop the entry and everything before it, so memory stays flat.
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
            if item is not None:
                yield item
                yield from dates.notes(item)
    except etree.XMLSyntaxError as exc:
        lost = f"; {cut} is cut off: not imported" if cut else ""
        raise ImportFormatError(f"line {max(exc.lineno or 1, 1)}", syntax_problem(exc) + lost
                                ) from None


def _entry(entry: Element, where: str, dates: _Dates, include_pages: bool
           ) -> ImportItem | None:
    kind, status = _kind_and_status(entry)
    if kind in NOT_CONTENT:
        return None  # blog settings and the theme: not content, nothing to report
    entry_id = _text(entry, ATOM + "id")
    content = _content(entry)
    title = _title(entry)
    if not entry_id:
        return Skipped(where, "malformed entry: no <id>", title)
    if kind == "comment":
        return _comment(entry, entry_id, content, status, where, dates)
    if kind not in ("post", "page"):
        return Skipped(where, f"not a post, page or comment (type {kind or 'missing'!r})", title)
    if not title:
        text = _plain_text(content)
        cut = len(text) > TITLE_FROM_TEXT
        title = text[:TITLE_FROM_TEXT].rstrip() + "…" if cut else text
    if any(word in status for word in _GONE_WORDS):
        return Skipped(where, f"trashed or deleted on Blogger ({status})", title, entry_id)
    if not title:
        return Skipped(where, "no title and no text", source_id=entry_id)
    if kind == "page" and not include_pages:
        return Skipped(where, PAGE_LEFT_OUT, title, entry_id)
    path = _path(entry)
    slug = unquote(path.rstrip("/").rsplit("/", 1)[-1]).removesuffix(".html") if path else ""
    match = _LEGACY_ID.search(entry_id)
    legacy_id = int(match[1]) if match and int(match[1]) < 2**63 else None
    published = dates.first(entry, ATOM + "published", ATOM + "updated", BLOGGER + "created")
    return ImportedPost(
        source_id=entry_id,
        entry_id=entry_id,
        title=title,
        content_html=content,
        published=published or dates.of_path(path),
        updated=dates.first(entry, ATOM + "updated"),
        # A status Blogger may add later is kept out of sight rather than published.
        status=_POST_STATUS.get(status, PostStatus.DRAFT),
        slug=slug or None,
        summary=_text(entry, BLOGGER + "metaDescription") or _summary(entry) or None,
        authors=tuple(a for a in map(_author, entry.iterfind(ATOM + "author")) if a.name),
        labels=_labels(entry),
        enclosures=_enclosures(entry),
        legacy_id=legacy_id,
        kind="page" if kind == "page" else "post",
        old_paths=(path,) if path else (),
        where=where,
    )


def _comment(
    entry: Element, entry_id: str, content: str, status: str, where: str, dates: _Dates
) -> ImportItem:
    takeout = entry.find(BLOGGER + "type") is not None
    if takeout:
        post_id = _text(entry, BLOGGER + "parent")
        parent = _text(entry, BLOGGER + "inReplyTo")
    else:
        reply_to = entry.find(THR + "in-reply-to")
        post_id = reply_to.get("ref", "").strip() if reply_to is not None else ""
        related = [link.get("href", "") for link in entry.iterfind(ATOM + "link")
                   if link.get("rel") == "related"]
        parent = split(related[0]).path.rstrip("/").rsplit("/", 1)[-1] if related else ""
    blog = _BLOG.match(entry_id)
    if parent.isdigit() and blog:
        # The old export links the parent comment's feed URL, not its id; ids are .post-N.
        parent = f"{blog[1]}.post-{parent}"
    if not post_id:
        return Skipped(where, "comment names no post")
    if any(word in status for word in _GONE_WORDS):
        return Skipped(where, f"comment trashed or deleted on Blogger ({status})")
    if not content.strip():
        return Skipped(where, "comment has no content")
    authors = [_author(a) for a in entry.iterfind(ATOM + "author")]
    author = authors[0] if authors else Author("Anonymous")
    return ImportedComment(
        source_id=entry_id,
        entry_id=entry_id,
        post_source_id=post_id,
        author=Author(author.name or "Anonymous", author.uri, author.email),
        content_html=content,
        published=dates.first(entry, ATOM + "published", ATOM + "updated", BLOGGER + "created"),
        status=_comment_status(status),
        parent_source_id=parent if parent and parent != post_id else None,
        where=where,
    )


def _comment_status(status: str) -> CommentStatus:
    if "SPAM" in status:
        return CommentStatus.SPAM
    if status == "LIVE":
        return CommentStatus.APPROVED
    # PENDING, awaiting moderation, or a word we do not know: held back, not shown.
    return CommentStatus.PENDING


def _kind_and_status(entry: Element) -> tuple[str, str]:
    """('post' | 'page' | 'comment' | 'settings' | …, Blogger's status word in capitals)."""
    # find() looks at children only: the author's own blogger:type (BLOGGER, ANONYMOUS) is
    # one level down and not mistaken for the entry's.
    kind = entry.find(BLOGGER + "type")
    if kind is not None:
        status = _text(entry, BLOGGER + "status").upper() or "LIVE"
        if _text(entry, BLOGGER + "trashed"):
            status = "SOFT_TRASHED"
        return (kind.text or "").strip().lower(), status
    draft = any(_text(entry, f"{app}control/{app}draft").lower() == "yes" for app in APP)
    status = "DRAFT" if draft else "LIVE"
    for category in entry.iterfind(ATOM + "category"):
        if category.get("scheme") == KIND_SCHEME:
            return category.get("term", "").rpartition("#")[2].strip().lower(), status
    return "", status


def _text(entry: Element, path: str) -> str:
    found = entry.find(path)
    return (found.text or "").strip() if found is not None else ""


def _title(entry: Element) -> str:
    title = entry.find(ATOM + "title")
    if title is None:
        return ""
    # Takeout escapes titles once more for HTML (&amp;#39; in the file): undo that too.
    return _atom_text(title, lambda text: " ".join(html.unescape(text).split()))


def _summary(entry: Element) -> str:
    """atom:summary as plain text, as a title is (a type="html" one was "&amp;amp;")."""
    summary = entry.find(ATOM + "summary")
    return "" if summary is None else _atom_text(summary, lambda text: text.strip())


def _atom_text(element: Element, text: Callable[[str], str]) -> str:
    """An Atom text construct as plain text (RFC 4287 3.1.1): xhtml's text, html's markup
    and entities undone; a type="text" one as `text` reads it."""
    kind = element.get("type", "text")
    if kind == "xhtml":
        return " ".join("".join(element.itertext()).split())
    if kind == "html":
        return _plain_text(element.text or "")
    return text(element.text or "")


def _content(entry: Element) -> str:
    content = entry.find(ATOM + "content")
    if content is None:
        return ""
    kind = content.get("type", "html")  # Blogger writes HTML even where it leaves out type
    if kind == "xhtml":
        div = content.find(XHTML + "div")
        if div is None:
            return ""
        div = copy.deepcopy(div)  # a copy leaves the Atom namespace behind when serialized
        for element in div.iter():
            if isinstance(element.tag, str):
                element.tag = etree.QName(element).localname
        etree.cleanup_namespaces(div)
        inner = (etree.tostring(child, method="html", encoding="unicode") for child in div)
        return html.escape(div.text or "", quote=False) + "".join(inner)
    if kind == "text":
        return html.escape(content.text or "", quote=False)
    # type="html": lxml has already undone the XML escaping and merged any CDATA.
    return str(content.text or "")


def _plain_text(markup: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", markup)).split())


class _Dates:
    """An entry's dates, read as they are asked for, and the notes on them: a date that is
    no date (left out for the next one the entry has), a post dated by its path."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        """The blog's zone, for a date without one, and the month a path names."""
        self.unread: dict[str, None] = {}
        self.path = ""
        """The path a date was taken from (of_path)."""

    def first(self, entry: Element, *paths: str) -> datetime | None:
        """The first of `paths` that holds a readable date, as aware UTC."""
        for path in paths:
            value = _text(entry, path)
            if value:
                try:
                    return parse_date(value, etree.QName(path).localname, self.tz)
                except InvalidInputError:
                    self.unread[value] = None
        return None

    def of_path(self, path: str) -> datetime | None:
        """For a post the export gives no date: the first of the month its Blogger path
        names (/2016/02/slug.html), in the blog's zone. Not the import's time: that made a
        post of 2016 the newest of every feed, and moved its link to this month's."""
        month = _PATH_MONTH.match(path)
        if month is None or not 1 <= int(month[2]) <= 12 or int(month[1]) < 1:
            return None
        self.path = path
        return datetime(int(month[1]), int(month[2]), 1, tzinfo=self.tz).astimezone(UTC)

    def notes(self, item: ImportItem) -> list[Note]:
        """What the report says of the entry's dates (a draft without one is no news)."""
        if isinstance(item, ImportedComment):
            post, title = None, ""
        elif isinstance(item, ImportedPost):
            post, title = item, item.title
        else:
            return []
        said = []
        if self.unread:
            taken = item.published.isoformat() if item.published else "none"
            said.append("not a date, left out: " + ", ".join(map(repr, self.unread))
                        + f" (published: {taken})")
        if post is not None and post.published is not None and self.path:
            day = post.published.astimezone(self.tz)
            said.append(f"no date in the export: dated {day:%Y-%m-%d}, the month its path "
                        f"{self.path} names")
        elif post is not None and post.published is None and post.status != PostStatus.DRAFT:
            said.append("no date in the export: dated at the import (a post already stored "
                        "keeps its date)")
        return [Note(item.where, note, title) for note in said]


def _author(element: Element) -> Author:
    email = _text(element, ATOM + "email")
    return Author(
        name=" ".join(_text(element, ATOM + "name").split()),
        uri=_text(element, ATOM + "uri") or None,
        # Blogger writes noreply@blogger.com for anyone whose address it will not show.
        email=email if email and email.lower() != NOREPLY else None,
    )


def _path(entry: Element) -> str:
    """The post's path on the old blog: Takeout's filename, or the old export's permalink."""
    filename = _text(entry, BLOGGER + "filename")
    if filename:
        return filename if filename.startswith("/") else "/" + filename
    for link in entry.iterfind(ATOM + "link"):
        if link.get("rel") == "alternate" and link.get("type", "text/html") == "text/html":
            return str(split(link.get("href", "")).path)
    return ""


def _labels(entry: Element) -> tuple[str, ...]:
    labels: dict[str, None] = {}
    for category in entry.iterfind(ATOM + "category"):
        if category.get("scheme") == KIND_SCHEME:
            continue
        # Takeout has been seen joining all of a post's labels in one term with newlines.
        for term in (category.get("term") or "").split("\n"):
            if term.strip():
                labels[term.strip()] = None
    return tuple(labels)


def _enclosures(entry: Element) -> tuple[Enclosure, ...]:
    found = []
    for link in entry.iterfind(ATOM + "link"):
        href = link.get("href", "").strip()
        if link.get("rel") == "enclosure" and href:
            length = link.get("length", "").strip()
            kind = link.get("type") or "application/octet-stream"
            found.append(Enclosure(href, kind, int(length) if length.isdigit() else 0))
    return tuple(found)
