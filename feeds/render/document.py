"""What a renderer is handed: a feed and its entries as plain data, URLs resolved.

Renderers are pure functions of these objects, so the same data renders to the same bytes.
An EntryDoc is hashable: it keys the cache of rendered entry fragments."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from feeds.models import Author, Enclosure, FeedFormat

GENERATOR_NAME = "syndic"
GENERATOR_URI = "https://github.com/syndic/syndic"
GENERATOR_VERSION = "0.1"


@dataclass(frozen=True, slots=True)
class EntryDoc:
    entry_id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    summary: str
    content_html: str | None
    """None in summary feeds: the entry carries its summary only."""
    authors: tuple[Author, ...] = ()
    labels: tuple[str, ...] = ()
    label_scheme: str | None = None
    thumbnail: str | None = None
    enclosures: tuple[Enclosure, ...] = ()
    comment_count: int | None = None
    """None for entries that take no comments (comments themselves)."""
    replies_atom_url: str | None = None
    replies_rss_url: str | None = None
    comments_page_url: str | None = None
    in_reply_to: tuple[str, str] | None = None
    """(entry id, page URL) of the post a comment answers: RFC 4685 §3."""
    atom_id: str | None = None
    """The atom:id when the entry id is not an IRI (RFC 4287 §4.2.6 wants one): an RSS guid
    or JSON Feed id kept from an import. RSS and JSON Feed write the entry id as it is."""
    atom_in_reply_to: str | None = None
    """in_reply_to's entry id as an IRI (thr:in-reply-to/@ref), when it is not one."""
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # Computed once: an EntryDoc keys the fragment cache, and hashing its eighteen
        # fields on every lookup cost more than the lookup (docs/benchmarks.md).
        if not self._hash:
            object.__setattr__(self, "_hash", hash(self._fields()) or 1)
        return self._hash

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, f.name) for f in fields(self) if f.compare)


@dataclass(frozen=True, slots=True)
class FeedDoc:
    format: FeedFormat
    feed_id: str
    title: str
    subtitle: str
    updated: datetime
    site_url: str
    self_url: str
    language: str
    author: Author
    entries: tuple[EntryDoc, ...]
    hub_url: str | None = None
    paging: tuple[tuple[str, str], ...] = ()
    """(rel, href) pairs of RFC 5005 paging links for this format."""
    total_results: int = 0
    start_index: int = 1
    items_per_page: int = 25
    entry_document: bool = False
    """Atom: the entry alone (RFC 4287 §4.1.2), not a feed of it (FeedKind.ENTRY)."""
    update_period: str = "hourly"
    update_frequency: int = 1

    @property
    def atom_entry(self) -> bool:
        """Whether this document is an Atom Entry Document (in RSS and JSON Feed, one post
        alone is a feed of that one item)."""
        return self.entry_document and self.format is FeedFormat.ATOM
