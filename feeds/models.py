"""The domain's data: frozen dataclasses and enums. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    DELETED = "deleted"


# A scheduled post is published when its time comes: visible from `published` on, like a
# published post dated in the future. Drafts and deleted posts never show.
VISIBLE_STATUSES = (PostStatus.PUBLISHED, PostStatus.SCHEDULED)


class PostKind(StrEnum):
    """A post, or a page: Blogger's and WordPress's pages ("About", "Contact") are stored as
    posts are, but shown in no posts feed (site, label, author): only in the pages feed
    (/feeds/pages/default, Blogger's), at /p/SLUG.html."""

    POST = "post"
    PAGE = "page"


class CommentStatus(StrEnum):
    """Moderation: only approved comments appear in comment feeds and counts."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"


class FeedFormat(StrEnum):
    ATOM = "atom"
    RSS = "rss"
    JSON = "json"


class FeedMode(StrEnum):
    """What an entry carries: the whole content, or the summary only."""

    FULL = "full"
    SUMMARY = "summary"


class FeedKind(StrEnum):
    POSTS = "posts"
    LABEL = "label"
    AUTHOR = "author"
    COMMENTS = "comments"
    POST_COMMENTS = "post-comments"
    ENTRY = "entry"
    """One post, as Blogger answers /feeds/posts/default/POSTID: in Atom an entry document
    (RFC 4287 §4.1.2), in RSS and JSON Feed a feed of that one item."""
    PAGES = "pages"


class OrderBy(StrEnum):
    PUBLISHED = "published"
    UPDATED = "updated"


CONTENT_TYPES: dict[FeedFormat, str] = {
    FeedFormat.ATOM: "application/atom+xml; charset=utf-8",
    FeedFormat.RSS: "application/rss+xml; charset=utf-8",
    FeedFormat.JSON: "application/feed+json",
}
ENTRY_CONTENT_TYPE = "application/atom+xml; type=entry; charset=utf-8"
"""An Atom Entry Document's (RFC 5023 §7.1: the type parameter tells it from a feed)."""


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    uri: str | None = None
    email: str | None = None
    account: str | None = None
    """Who the source knows the author as (a WordPress login), never shown: it tells two
    authors of one name apart, as `uri` and `email` do (feeds/authors.py)."""
    feed: str | None = field(default=None, compare=False)
    """The slug of the author's feed on the post's site (/feeds/authors/SLUG/default), as
    the store gave it; None until the post is stored. Not part of what the author is."""


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str
    length: int = 0


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    host: str
    title: str
    subtitle: str
    base_url: str
    timezone: str
    language: str
    default_feed: FeedMode
    summary_length: int
    created: datetime
    wordpress_urls: bool = False
    """Answer WordPress's feed URLs (/feed/, /category/X/feed/, ...) with 301s."""
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class Post:
    """A stored post. `content_html` is already sanitized and absolutized;
    `summary` and `thumbnail` are already derived (feeds/content.py)."""

    id: int
    site_id: int
    entry_id: str
    slug: str
    title: str
    summary: str
    content_html: str
    status: PostStatus
    published: datetime
    updated: datetime
    authors: tuple[Author, ...] = ()
    labels: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    thumbnail: str | None = None
    comment_count: int = 0
    version: int = 1
    created: datetime | None = field(default=None, compare=False)
    """When it was stored first (None: not read from the store). A draft whose `published`
    is still this instant was given no date: publishing it dates it then."""
    kind: PostKind = PostKind.POST


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    post_id: int
    site_id: int
    entry_id: str
    author: Author
    content_html: str
    published: datetime
    updated: datetime
    status: CommentStatus = CommentStatus.APPROVED
    parent_id: int | None = None
    """The comment this one answers (threading), None for a reply to the post."""


@dataclass(frozen=True, slots=True)
class PostDraft:
    """What a writer hands in: not yet cleaned, dates already aware UTC."""

    title: str
    content_html: str
    published: datetime
    updated: datetime | None = None
    slug: str | None = None
    summary: str | None = None
    authors: tuple[Author, ...] = ()
    labels: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    status: PostStatus = PostStatus.PUBLISHED
    entry_id: str | None = None
    kind: PostKind = PostKind.POST


@dataclass(frozen=True, slots=True)
class CommentDraft:
    """A comment as a writer or an import hands it in (HTML not yet sanitized)."""

    author: Author
    content_html: str
    published: datetime | None = None
    status: CommentStatus = CommentStatus.APPROVED
    parent_id: int | None = None
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """The reader-chosen part of a feed: paging, windows and order."""

    max_results: int
    start_index: int = 1
    published_min: datetime | None = None
    published_max: datetime | None = None
    updated_min: datetime | None = None
    updated_max: datetime | None = None
    orderby: OrderBy = OrderBy.PUBLISHED


@dataclass(frozen=True, slots=True)
class FeedKey:
    """Which feed: kind, its argument, full or summary, and the reader's query.

    `mode` None means "the site's default" (the /default URLs); it resolves at render time.
    """

    kind: FeedKind
    query: FeedQuery
    mode: FeedMode | None = None
    labels: tuple[str, ...] = ()
    author: str | None = None
    post_id: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Artifact:
    """One rendered representation of a feed, exactly as served."""

    site_id: int
    key: str
    format: FeedFormat
    body: bytes
    etag: str
    last_modified: datetime | None
    """When the feed's bytes became these (feeds/versions.py); None for a rendering that is
    not stored (a query variant)."""
    content_type: str
    self_url: str
    body_gzip: bytes = b""
    body_br: bytes = b""
    made_with: str | None = None
    """The fingerprint of the settings that shaped its bytes (feeds/versions.py
    settings_fingerprint); None: not recorded (a store made before revision 0010)."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A feed a subscriber can follow: one feed key in one format of one site, and the URL
    the subscriber named it by."""

    site_id: int
    feed_key: str
    format: FeedFormat
    url: str


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    topic: Topic
    callback: str
    secret: str | None = field(repr=False)  # never in a log line or traceback
    lease_seconds: int
    expires_at: datetime
    created: datetime
    verified_at: datetime


@dataclass(frozen=True, slots=True)
class Intent:
    """A subscription request waiting for verification of intent (or a denial to send)."""

    id: int
    mode: str
    """subscribe, unsubscribe, denied, or move (a label renamed: the subscription named by
    `moved_from` is asked to take `topic`'s URL, feeds/store/label_moves.py)."""
    topic: Topic
    callback: str
    secret: str | None = field(repr=False)
    lease_seconds: int
    reason: str | None
    attempts: int
    moved_from: str | None = None


class DeliveryKind(StrEnum):
    WEBSUB = "websub"
    """The new document, POSTed to a subscriber's callback (WebSub §7)."""
    HUB = "hub"
    """hub.mode=publish to an external hub."""
    PING = "ping"
    """weblogUpdates.extendedPing (XML-RPC) to a ping service."""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    kind: DeliveryKind
    topic: Topic
    subscription_id: int | None
    target: str
    etag: str
    state: str
    """pending, sending, delivered, failed, gone or superseded."""
    attempts: int
    next_attempt_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    secret: str | None = field(default=None, repr=False)
    """The subscription's secret (WebSub deliveries), for the signature; not in its repr."""


@dataclass(frozen=True, slots=True)
class Fanout:
    """Who hears of a changed feed besides its subscribers: external hubs (for every
    changed topic) and ping services (when a site's main feed changed)."""

    external_hubs: tuple[str, ...] = ()
    ping_services: tuple[str, ...] = ()
    main_feed_key: str = "/feeds/posts/default"
