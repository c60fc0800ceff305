"""WordPress eXtended RSS (WXR 1.2 and 1.1; 1.0 where it is the same) -> import items.

The format is what WordPress's exporter writes (wordpress-develop
src/wp-admin/includes/export.php, `export_wp`) and what its importer reads
(WordPress/wordpress-importer src/class-wxr-parser-simplexml.php and class-wxr-parser-xml.php):
an RSS 2.0 <channel> holding the blog's wp:author, wp:category and wp:tag lists, then one
<item> per post, page, attachment, menu item, ... with its wp:post_id, wp:post_type,
wp:status, dates, <category domain="category|post_tag" nicename="slug"> terms, wp:postmeta
and wp:comment children. Text is CDATA; a "]]>" inside is written "]]]]><![CDATA[>", which
XML itself joins back.

What becomes what:
- wp:author -> LabelAlias("author", login, display name, author id); dc:creator (a login)
  -> Author.
- wp:category / wp:tag (and item terms not listed there) -> LabelAlias with the term id;
  item terms of domain category, post_tag (tag in 1.0) -> labels, with each category's
  ancestors (feeds/imports/wp_terms.py).
- wp:post_type post -> kind "post"; page -> "page" only with include_pages (else Skipped,
  PAGE_LEFT_OUT); any other type (attachment, nav_menu_item, revision, custom) ->
  Skipped ("attachment: not a post").
- wp:status publish -> PUBLISHED, future -> SCHEDULED, draft/pending/private -> DRAFT (and
  so is a post with a wp:post_password); trash, auto-draft, inherit, unknown -> Skipped.
- Every item left behind is reported, and so is each of its comments (they have no post to
  go to): an import's report accounts for everything in the file.
- <guid> -> entry_id (WordPress's own feeds used it as RSS guid and Atom id), else <link>.
- Dates: the *_gmt field (UTC); "0000-00-00 00:00:00" or garbage falls back to the
  site-local field (read in `tz`), then to <pubDate> (whose draft value, "-0001", is
  refused); but a draft's or pending post's zero *_gmt is "not dated yet": no date.
- content:encoded as WordPress shows it: block comments out, core shortcodes ([caption],
  [gallery], [audio], [video], [embed], Jetpack's [youtube] ...) and bare video URLs
  expanded, wpautop's paragraphs where the text has none (feeds/imports/wp_content.py).
  Attachment items are not imported but kept for [gallery] and [playlist]; a post that
  has either waits until the end of the file, where its attachments have been read. A
  shortcode that cannot be shown (a gallery's image missing from the export) -> Note.
  Comments get the paragraphs only, as on WordPress. excerpt:encoded (HTML) -> summary, as
  plain text (entities decoded, tags out), as every summary is.
- Comments: comment_approved 1 -> APPROVED, 0 -> PENDING, spam -> SPAM, else Skipped;
  comment_type "", comment, pingback, trackback come in (a ping as a comment by the pinging
  site), its author's name unescaped once; other types (6.9's "note", plugin logs) Skipped.
  entry_id is "<post guid>#comment-<comment_id>", stable across runs (spam: left out lately).
- wp:postmeta "enclosure" ("url\\nlength\\ntype\\n") -> Enclosure.
- old_paths: <link>'s path (percent-decoded, with its query if any), "?p=<post_id>" and for
  a page "?page_id=<post_id>", the forms feeds/imports/legacy_urls.py looks up.

The file is streamed (feeds/imports/xml_stream.py, processed elements cleared), so its size
does not matter. Entities are not resolved and nothing is fetched.
"""

from __future__ import annotations

import dataclasses
import html
import re
import sys
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any, BinaryIO
from urllib.parse import unquote

from lxml import etree

from feeds.content import summary_from_html
from feeds.imports.items import (
    PAGE_LEFT_OUT,
    PROTECTED_AS_DRAFT,
    ImportedComment,
    ImportedPost,
    ImportFormatError,
    ImportItem,
    LabelAlias,
    Note,
    Skipped,
)
from feeds.imports.links import split
from feeds.imports.wp_content import Attachment, has_attachment_shortcodes, render
from feeds.imports.wp_dates import Dates
from feeds.imports.wp_terms import Terms
from feeds.imports.wpautop import autop
from feeds.imports.xml_stream import XmlEvents, element_children, forget, syntax_problem
from feeds.models import Author, CommentStatus, Enclosure, PostStatus

_WP_NAMESPACES = tuple(f"http://wordpress.org/export/{v}/" for v in ("1.2", "1.1", "1.0"))
_CHANNEL_LISTS = ("author", "category", "tag")
_TAGS = ["rss", "item", *(f"{{{ns}}}{name}" for ns in _WP_NAMESPACES for name in _CHANNEL_LISTS)]
_TAGS.append("{http://www.w3.org/2005/Atom}entry")  # a Blogger export, say: refused at once
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"

_POST_STATUS = {
    "publish": PostStatus.PUBLISHED, "future": PostStatus.SCHEDULED,
    "draft": PostStatus.DRAFT, "pending": PostStatus.DRAFT, "private": PostStatus.DRAFT,
}  # fmt: skip
_SKIPPED_STATUS = {
    "trash": "in the trash", "auto-draft": "an auto-draft (never saved)",
    "inherit": "a revision (status inherit)",
}  # fmt: skip
_COMMENT_STATUS = {
    "1": CommentStatus.APPROVED, "0": CommentStatus.PENDING, "spam": CommentStatus.SPAM,
}  # fmt: skip
_COMMENT_TYPES = frozenset({"", "comment", "pingback", "trackback"})

_NOT_RSS = "not a WordPress export: the root is not <rss>"
_UNDATED = ("draft", "pending")  # a zero post_date_gmt: not dated yet (wp_insert_post)
# A character reference or named entity written out in full (";" included): "AT&T" and
# "Tom & Jerry" are names, not references (html.unescape reads "&copy" without its ";").
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def parse_wxr(source: BinaryIO, tz: tzinfo, *, include_pages: bool = False) -> Iterator[ImportItem]:
    """The export's aliases, posts (each followed by its comments) and skips, in file order.

    `tz` is the blog's time zone, for the site-local dates WordPress writes when the UTC ones
    are missing. Raises ImportFormatError("line N", problem) when the file is not XML, not a
    WXR export, or breaks off (also after items were yielded)."""
    wxr = _Wxr(tz, include_pages)
    events = XmlEvents(
        source, events=("start", "end"), tag=_TAGS, huge_tree=True, resolve_entities=False,
        no_network=True, remove_comments=True, remove_pis=True,
    )  # fmt: skip
    try:
        for event, elem in events:
            if event == "start":
                if elem.tag == "rss" and elem.getparent() is None:
                    wxr.begin(elem)
                continue
            if not wxr.wp:
                raise ImportFormatError(f"line {elem.sourceline}", _NOT_RSS)
            if event == "cut":
                yield from wxr.cut(elem)
                continue
            yield from wxr.element(elem)
            forget(elem)
        yield from wxr.waited()
    except etree.XMLSyntaxError as exc:
        # The posts kept back for their attachments came before the break: stored whole,
        # with the attachments read (xml_stream: what came before it is delivered).
        yield from wxr.waited()
        where = f"line {max(exc.lineno or 1, 1)}"  # an empty file says line 0
        lost = f"; {wxr.cut_off} is cut off: not imported" if wxr.cut_off else ""
        raise ImportFormatError(where, syntax_problem(exc) + lost) from None
    if not wxr.wp:
        root = events.root
        line = root.sourceline if root is not None else 1
        raise ImportFormatError(f"line {line}", _NOT_RSS)


class _Wxr:
    """What one export says before its items: namespaces, authors, known term slugs."""

    def __init__(self, tz: tzinfo, include_pages: bool) -> None:
        self.tz, self.include_pages = tz, include_pages
        self.wp = ""  # "{http://wordpress.org/export/1.2/}" once <rss> has said so
        self.excerpt = ""
        self.authors: dict[str, Author] = {}
        self.terms = Terms()
        self.items = 0
        self.cut_off = ""  # the item the file's break cut off, if any
        self.dates = Dates(tz)
        self.attachments: dict[str, Attachment] = {}
        """Uploaded files by wp:post_id, for galleries, playlists and media shortcodes."""
        self.waiting: list[list[ImportItem]] = []
        """Posts (with their comments) whose shortcodes need attachments: see `waited`."""

    def begin(self, rss: Any) -> None:
        declared = set(rss.nsmap.values())
        wp = next((ns for ns in _WP_NAMESPACES if ns in declared), None)
        if wp is None:
            problem = f"not a WordPress export: no {_WP_NAMESPACES[0]} (or 1.1) namespace"
            raise ImportFormatError(f"line {rss.sourceline}", problem)
        self.wp, self.excerpt = "{" + wp + "}", "{" + wp + "excerpt/}encoded"

    def element(self, elem: Any) -> list[ImportItem]:
        if elem.tag == "item":
            self.items += 1
            where = f"item {self.items} (line {elem.sourceline})"
            try:
                return self.item(elem, where)
            except ValueError as exc:
                return [Skipped(where, f"unreadable: {exc}")]
        name = elem.tag.rpartition("}")[2]
        f = {c.tag.rpartition("}")[2]: (c.text or "").strip() for c in element_children(elem)}
        if name == "category":
            return [*self.terms.channel_category(f)]
        if name == "tag":
            return [*self.terms.alias("tag", f.get("tag_slug", ""), f.get("tag_name", ""),
                                      f.get("term_id"))]
        login = f.get("author_login", "")
        if name != "author" or not login:
            return []  # (or <rss> itself, at the end)
        display = html.unescape(f.get("author_display_name", "")) or login
        # wp:author_email is the account's own address, which WordPress never publishes:
        # the posts' authors (and so the Atom feeds) are left without it. The login, never
        # shown either, tells two users of one display name apart (feeds/authors.py).
        self.authors[login] = Author(name=display, account=login)
        return [LabelAlias("author", login, display, f.get("author_id") or None)]

    def item(self, elem: Any, where: str) -> list[ImportItem]:
        wp = self.wp
        f: dict[str, str] = {}
        terms, metas, comments = [], [], []
        for child in element_children(elem):
            tag = child.tag
            if tag == "category":
                terms.append(child)
            elif tag == wp + "postmeta":
                metas.append(child)
            elif tag == wp + "comment":
                comments.append(child)
            else:
                f[tag] = child.text or ""

        def get(name: str) -> str:
            return f.get(wp + name, "").strip()

        title = html.unescape(f.get("title", "").strip())
        post_type = get("post_type") or "post"
        if post_type == "attachment":
            self.attachment(get("post_id"), f, metas)
        if post_type not in ("post", "page"):
            return self.left_behind(where, f"{post_type}: not a post", title, comments)
        if post_type == "page" and not self.include_pages:
            return self.left_behind(where, PAGE_LEFT_OUT, title, comments)
        raw_status = get("status") or "draft"
        status = _POST_STATUS.get(raw_status)
        if status is None:
            reason = _SKIPPED_STATUS.get(raw_status, f"unknown status {raw_status!r}")
            return self.left_behind(where, reason, title, comments)
        protected = bool(get("post_password")) and status is not PostStatus.DRAFT
        if protected:
            status = PostStatus.DRAFT  # password-protected: its content must not go public
        post_id, link = get("post_id"), f.get("link", "").strip()
        entry_id = f.get("guid", "").strip() or link
        if not post_id or not entry_id:
            reason = "no wp:post_id" if not post_id else "no guid or link"
            return self.left_behind(where, reason, title, comments)

        out: list[ImportItem] = []
        self.dates.unread.clear()
        labels, aliases = self.terms.labels(terms)
        out += aliases

        paths = []  # percent-decoded, as a request's path is; "?p=ID" for the query form
        url = split(link)  # a link that is no URL gives no path
        query = f"?{url.query}" if url.query else ""
        if old := query if url.path in ("", "/") else unquote(url.path) + query:
            paths.append(old)
        if (by_id := f"?p={post_id}") not in paths:
            paths.append(by_id)
        if post_type == "page" and (page_id := f"?page_id={post_id}") not in paths:
            paths.append(page_id)  # a page's own query form (its guid's)

        raw = f.get(_CONTENT, "")
        # A gallery shows attachments, which the export usually lists after the post (by
        # id, and uploads come after the post's draft): such a post is kept back to the end.
        waits = has_attachment_shortcodes(raw)
        content, problems = ("", []) if waits else render(raw, post_id, self.attachments)
        login = f.get(_CREATOR, "").strip()
        author = (self.authors.get(login) or Author(login, account=login)) if login else None
        post = ImportedPost(
            source_id=post_id,
            entry_id=entry_id,
            title=title,
            content_html=raw if waits else content,
            published=None if raw_status in _UNDATED and get("post_date_gmt").startswith(
                "0000-00-00") else self.dates.read(get("post_date_gmt"), get("post_date"),
                                                   f.get("pubDate", "")),
            updated=self.dates.read(get("post_modified_gmt"), get("post_modified"), ""),
            status=status,
            slug=unquote(get("post_name")) or None,
            summary=summary_from_html(f.get(self.excerpt, ""), sys.maxsize) or None,
            authors=(author,) if author else (),
            labels=tuple(labels),
            enclosures=tuple(e for m in metas if (e := self.enclosure(m)) is not None),
            kind="page" if post_type == "page" else "post",
            old_paths=tuple(paths),
            where=where,
        )
        out.append(post)
        if protected:
            out.append(Note(where, PROTECTED_AS_DRAFT, title))
        out += [Note(where, problem, title) for problem in problems]
        out += self.dates.notes(where, title, post.published)
        for c in comments:
            self.dates.unread.clear()
            comment = self.comment(c, post, f"item {self.items} (line {c.sourceline})")
            out.append(comment)
            if isinstance(comment, ImportedComment):
                out += self.dates.notes(comment.where, title, comment.published)
        if waits:
            self.waiting.append(out)
            return []
        return out

    def rendered(self, items: list[ImportItem]) -> list[ImportItem]:
        """`items` (one post kept back, its aliases before it) with the post's content as
        WordPress shows it (feeds/imports/wp_content.py), and a Note for each shortcode it
        could not show."""
        at, post = next((i, p) for i, p in enumerate(items) if isinstance(p, ImportedPost))
        content, problems = render(post.content_html, post.source_id, self.attachments)
        notes: list[ImportItem] = [Note(post.where, p, post.title) for p in problems]
        return [*items[:at], dataclasses.replace(post, content_html=content), *notes,
                *items[at + 1:]]

    def cut(self, elem: Any) -> list[ImportItem]:
        """An item the file breaks off in: reported, never stored half."""
        if elem.tag != "item":
            return []
        self.items += 1
        title = html.unescape((elem.findtext("title") or "").strip())
        where = f"item {self.items} (line {elem.sourceline})"
        self.cut_off = f"{where} {title!r}" if title else where
        return [Skipped(where, "cut off where the file breaks", title)]

    def waited(self) -> Iterator[ImportItem]:
        """The posts kept back for their attachments, now that the file has been read."""
        for items in self.waiting:
            yield from self.rendered(items)
        self.waiting.clear()

    def attachment(self, post_id: str, f: dict[str, str], metas: list[Any]) -> None:
        url = f.get(self.wp + "attachment_url", "").strip()
        if not post_id or not url:
            return
        order = f.get(self.wp + "menu_order", "").strip()
        alt = next((m.findtext(self.wp + "meta_value") or "" for m in metas
                    if (m.findtext(self.wp + "meta_key") or "").strip()
                    == "_wp_attachment_image_alt"), "")  # fmt: skip
        self.attachments[post_id] = Attachment(
            url=url,
            parent=f.get(self.wp + "post_parent", "").strip() or "0",
            order=int(order) if order.lstrip("-").isdigit() else 0,
            caption=f.get(self.excerpt, "").strip(),
            alt=alt.strip(),
            title=html.unescape(f.get("title", "").strip()),
        )

    def left_behind(self, where: str, reason: str, title: str, comments: list[Any]
                    ) -> list[ImportItem]:
        """An item not imported, and each of its comments with it. A comment's skip has no
        title: a report keyed by title still finds the item's own reason."""
        out: list[ImportItem] = [Skipped(where, reason, title)]
        for c in comments:
            comment_id = (c.findtext(self.wp + "comment_id") or "").strip()
            out.append(Skipped(f"item {self.items} (line {c.sourceline})",
                               f"comment {comment_id or '(no id)'}: its item is not imported"
                               f" ({reason})"))
        return out

    def comment(self, elem: Any, post: ImportedPost, where: str) -> ImportItem:
        f = {c.tag: c.text or "" for c in element_children(elem)}

        def get(name: str) -> str:
            return f.get(self.wp + name, "").strip()

        comment_id, kind, approved = get("comment_id"), get("comment_type"), get("comment_approved")
        status = _COMMENT_STATUS.get(approved)
        if not comment_id:
            return Skipped(where, "comment without wp:comment_id", post.title)
        if kind not in _COMMENT_TYPES:
            reason = f"comment {comment_id}: type {kind!r} is not a reader's comment"
            return Skipped(where, reason, post.title)
        if status is None:
            return Skipped(where, f"comment {comment_id}: status {approved!r}", post.title)
        url, parent = get("comment_author_url"), get("comment_parent")
        return ImportedComment(
            source_id=comment_id,
            entry_id=f"{post.entry_id}#comment-{comment_id}",
            post_source_id=post.source_id,
            author=Author(
                name=_REFERENCE.sub(lambda m: html.unescape(m[0]), get("comment_author"))
                or "Anonymous",
                uri=url if url not in ("", "http://", "https://") else None,
                email=get("comment_author_email") or None,
            ),
            content_html=autop(f.get(self.wp + "comment_content", "")),
            published=self.dates.read(get("comment_date_gmt"), get("comment_date"), ""),
            status=status,
            parent_source_id=parent if parent not in ("", "0") else None,
            where=where,
            name=f"comment {comment_id}",
        )

    def enclosure(self, meta: Any) -> Enclosure | None:
        if (meta.findtext(self.wp + "meta_key") or "").strip() != "enclosure":
            return None
        value = meta.findtext(self.wp + "meta_value") or ""
        url, size, kind = (part.strip() for part in [*value.split("\n"), "", ""][:3])
        if not url:
            return None
        length = int(size) if size.isdigit() else 0
        return Enclosure(url=url, type=kind or "application/octet-stream", length=length)
