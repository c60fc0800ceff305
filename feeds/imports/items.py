"""What a parser yields: posts, comments, and items it skipped with the reason.

A parser never stops for one bad item: it yields `Skipped` naming where the item is (entry
number and line) and why, and goes on. Only a file that cannot be read at all (not XML, not
the format named) raises ImportFormatError, naming the line or entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from feeds.errors import FeedsError
from feeds.models import Author, CommentStatus, Enclosure, PostStatus

PAGE_LEFT_OUT = "page (pages come in with --pages, or ?pages=true through the API)"
"""The reason a page is skipped: the command line's option and the API's parameter, for the
report reaches both."""

PROTECTED_AS_DRAFT = ("password-protected on WordPress: imported as a draft (a feed has no"
                      " password: publish it to show it to everyone)")
"""The note on a WordPress post that had a password: the feeds would give anyone what
WordPress showed only to those who knew it."""


class ImportFormatError(FeedsError, ValueError):
    """The file is not a readable export of the kind named: `where` says where it broke
    ("line 12", "entry 7 (line 340)")."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
        self.field = "body"
        """What held the export, for an API answer: the request's body, or (set by the
        handler that fetched it) the `url` it came from."""


@dataclass(frozen=True, slots=True)
class ImportedPost:
    source_id: str
    """The export's own id of the item; comments name their post by it."""
    entry_id: str
    """The id readers already know (Blogger's tag:blogger.com,1999:blog-N.post-M, WordPress's
    <guid>, a feed's entry id): kept, so readers see no duplicates."""
    title: str
    content_html: str
    """As exported (the applier sanitizes it)."""
    published: datetime | None
    """Aware. None when the export has no date: the applier uses the import time for a new
    post and keeps the stored date of a known one."""
    updated: datetime | None = None
    status: PostStatus = PostStatus.PUBLISHED
    slug: str | None = None
    """The post's slug on the old blog, when the export says it (Blogger's filename,
    WordPress's post_name)."""
    slug_given: bool = False
    """The slug is the writer's own (a bulk create's `slug`): a new post whose slug another
    post has is refused, naming it, rather than given the first free "-N" form as an
    export's slug is (links the writer kept would lead elsewhere without a word)."""
    summary: str | None = None
    authors: tuple[Author, ...] = ()
    labels: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    legacy_id: int | None = None
    """Blogger's numeric post id: it becomes the post's id, so /feeds/POSTID/comments/default
    answers as it did on Blogger."""
    kind: Literal["post", "page"] | None = "post"
    """None: a post stored already keeps its kind (an API bulk item that names none)."""
    old_paths: tuple[str, ...] = ()
    """Paths of the item on the old blog (e.g. WordPress's /2019/03/05/slug/), for
    redirects."""
    where: str = ""
    """Where the item is in the file ("entry 7 (line 340)"), for reports."""


@dataclass(frozen=True, slots=True)
class ImportedComment:
    source_id: str
    entry_id: str
    """Kept from the export (Blogger) or made stable from the export's ids (WordPress), so
    a second import finds the same comment."""
    post_source_id: str
    """The `source_id` of the post it belongs to."""
    author: Author
    content_html: str
    published: datetime | None
    status: CommentStatus = CommentStatus.APPROVED
    parent_source_id: str | None = None
    """The `source_id` of the comment it answers (threading), None for the post itself."""
    where: str = ""
    name: str = ""
    """How a report names the comment beside `where` ("comment 18": a WordPress item holds
    its post and its comments); empty where `where` names it alone (a Blogger entry)."""


@dataclass(frozen=True, slots=True)
class LabelAlias:
    """A name the old blog used in URLs for a label or author (WordPress category and tag
    slugs, author logins), for its old feed URLs."""

    kind: Literal["category", "tag", "author"]
    slug: str
    name: str
    """The label's name (for an author: the display name)."""
    legacy_id: str | None = None
    """WordPress's numeric term id (for ?cat=ID), or an author's user id (?author=ID)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    where: str
    reason: str
    title: str = ""
    source_id: str = ""
    """The export's id of a post it skipped (in the trash, a page without --pages): its
    comments are reported as those of a post not imported, not of one missing."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something an item came in with that the export did not quite say: reported, the
    item stored (e.g. a date that is no date, and the one used instead)."""

    where: str
    note: str
    title: str = ""


ImportItem = ImportedPost | ImportedComment | LabelAlias | Skipped | Note

