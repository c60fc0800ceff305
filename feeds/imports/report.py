"""What an import did: counts, and every item it did not store with the reason (the
command line prints them, the API returns them, an import run keeps them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from feeds.content import clean_text
from feeds.imports.items import ImportedPost
from feeds.models import Post
from feeds.players import link_host
from feeds.posts import MAX_TITLE

DELETED_IN_SYNDIC = "deleted in syndic: an import does not bring it back"
CHANGED_IN_SYNDIC = "changed in syndic since import"
NO_IMPORT_RECORD = "no import record: syndic's version is kept"
FEEDS_OWN = ("feed", "import")
"""The posts a feed import may change: those a feed import made, and those an import made
before revision 0014 (which kind is not known; they were updated before)."""


def not_a_feeds(imported_by: str | None) -> str:
    """Why a feed import leaves a post alone that it did not make."""
    by = f"a {imported_by} import" if imported_by else "syndic (the API or the command line)"
    return f"made by {by}: a feed import does not change it"


LIBXML2_TEXT = 10_000_000
"""The longest text node libxml2 parses without XML_PARSE_HUGE, in bytes
(XML_MAX_TEXT_LENGTH): past it, readers built on libxml2 refuse the whole feed."""
_LINE = re.compile(r"\(line (\d+)\)")


def title_cut(length: int) -> str:
    """The note on a post whose title was past what the API takes (feeds/posts.py cuts it)."""
    return (f"its title of {length:,} characters is cut to {MAX_TITLE:,} (the longest"
            " syndic takes), ending in \"…\"")


def body_too_big(size: int) -> str:
    """The note on a post whose body no reader built on libxml2 reads."""
    return (f"its body is {size / 1_000_000:.1f} MB: readers built on libxml2 refuse a text"
            f" past {LIBXML2_TEXT // 1_000_000} MB, and with it every full feed that carries"
            " this post (the summary feeds read): shorten it, or split it into posts")


def comment_post_skipped(why: str) -> str:
    """Why a comment is skipped whose post the import skipped, `why`."""
    if why == DELETED_IN_SYNDIC:
        return "its post was deleted in syndic: an import does not bring it back"
    return f"its post is not imported ({why})"


def embeds_linked(urls: Sequence[str]) -> str:
    """The note on a post whose body lost embeds to links (feeds/content.py, Sanitized.links),
    naming their hosts."""
    hosts = ", ".join(dict.fromkeys(link_host(url) or url for url in urls))
    return (f"embedded content from {hosts} is a link now: a feed keeps the players of"
            " well-known video and audio sites only")


@dataclass(slots=True)
class ImportReport:
    posts_added: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    comments_added: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    aliases: int = 0
    items: int = 0
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, title, reason) of every item not stored."""

    notes: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, title, note) of items stored with something the export did not quite say."""

    def skip(self, where: str, title: str, reason: str) -> None:
        self.skipped.append((where, title, reason))

    def in_file_order(self) -> None:
        """Skips and notes sorted by the line each names: an import finds some only when
        it stores (a post kept back for its attachments, a comment's thread), and a
        report read top to bottom follows the file. Those naming no line keep their
        order, first."""

        def line(said: tuple[str, str, str]) -> int:
            found = _LINE.search(said[0])
            return int(found[1]) if found else 0

        self.skipped.sort(key=line)
        self.notes.sort(key=line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": {"added": self.posts_added, "updated": self.posts_updated,
                      "unchanged": self.posts_unchanged},
            "comments": {"added": self.comments_added, "updated": self.comments_updated,
                         "unchanged": self.comments_unchanged},
            "aliases": self.aliases, "items": self.items,
            "skipped": [{"where": w, "title": t, "reason": r} for w, t, r in self.skipped],
            "notes": [{"where": w, "title": t, "note": n} for w, t, n in self.notes],
        }


def size_notes(item: ImportedPost, post: Post) -> list[tuple[str, str, str]]:
    """A note on a title cut to the API's length, and on a body too big for readers built
    on libxml2 (stored whole: what to do with it is the writer's call)."""
    notes = []
    if len(item.title) > MAX_TITLE and (length := len(clean_text(item.title))) > MAX_TITLE:
        notes.append((item.where, item.title[:79].rstrip() + "…", title_cut(length)))
    if len(post.content_html) * 4 > LIBXML2_TEXT and (
            size := len(post.content_html.encode())) > LIBXML2_TEXT:
        notes.append((item.where, post.title, body_too_big(size)))
    return notes
