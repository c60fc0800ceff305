"""A writer's draft made into a storable post: text cleaned, HTML sanitized and made
absolute, summary and thumbnail derived, entry id made once at creation. Pure: `now` is
an argument."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feeds.content import (
    absolute_url,
    clean_text,
    sanitize_body,
    sanitize_html,
    summary_from_html,
)
from feeds.errors import InvalidPostError
from feeds.models import (
    Author,
    Comment,
    CommentDraft,
    Enclosure,
    Post,
    PostDraft,
    PostKind,
    PostStatus,
    Site,
)
from feeds.query import slugify

MAX_LABEL = 200
MAX_SLUG = 200
MAX_TITLE = 1000
MAX_NAME = 200
"""An author's name, and an enclosure's media type."""
MAX_URL = 2000
MAX_EMAIL = 320
"""The longest values the API takes (server/api_schemas.py reads these). What an import
brings past them is cut (a title, a name) or left out (a URL, an address, an enclosure):
an import stores what the API would, and a value of megabytes in a feed makes the whole
feed unreadable to libxml2 and the readers built on it (10 MB at most in one attribute or
text node without XML_PARSE_HUGE)."""
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)
"""Dates a post or comment may carry (also the API's: server/api_dates.date_field): a day and more
short of datetime's range at either end, so every time zone can show them. A post dated
0001-01-01 UTC is year 0 in New York: its URL, its feeds and `post list` would overflow."""


def post_url(site: Site, slug: str, published: datetime, kind: PostKind = PostKind.POST
             ) -> str:
    """Blogger's permalink shapes: a post's /YYYY/MM/slug.html, in the site's time zone; a
    page's /p/slug.html (Blogger's pages have no date in their URL)."""
    if kind is PostKind.PAGE:
        return f"{site.base_url}/p/{slug}.html"
    return _permalink(site.base_url, site.timezone, slug, published)


def link_of(site: Site, post: Post) -> str:
    """Where the post (or page) is shown: its entries' alternate link."""
    return post_url(site, post.slug, post.published, post.kind)


@lru_cache(maxsize=8192)
def _permalink(base_url: str, timezone: str, slug: str, published: datetime) -> str:
    # Asked for every entry of every feed a regeneration renders: remembered.
    local = published.astimezone(ZoneInfo(timezone))
    return f"{base_url}/{local:%Y}/{local:%m}/{slug}.html"


def old_post_path(url: str) -> str:
    """The url_aliases key of a post's former URL (or path), whose target is the post's
    entry id: "post:/YYYY/MM/slug.html", whatever path the base URL has, kept apart from an
    import's keys of old blog paths."""
    return "post:/" + "/".join(url.rsplit("/", 3)[-3:])


def new_entry_id(site: Site, slug: str, published: datetime) -> str:
    """RFC 4151 tag URI, made once and never changed: readers key their state on it."""
    return f"tag:{site.host.split(':')[0]},{published:%Y-%m-%d}:post-{slug}"


def comment_entry_id(site: Site, post_id: int, published: datetime, n: int) -> str:
    return f"tag:{site.host.split(':')[0]},{published:%Y-%m-%d}:comment-{post_id}-{n}"


def label_name(text: str) -> str:
    """A label as posts carry it: one line of clean text, in Unicode's composed form (NFC).
    "été" typed on macOS (e + U+0301) and on Windows (U+00E9) look alike: one label."""
    return unicodedata.normalize("NFC", clean_text(text))


def checked_date(moment: datetime, field: str) -> datetime:
    """`moment` if it is aware and in [EARLIEST, LATEST], else InvalidPostError(field)."""
    if moment.tzinfo is None:
        raise InvalidPostError(field, "must carry a time zone")
    if not EARLIEST <= moment <= LATEST:
        raise InvalidPostError(field, f"date out of range: {moment.isoformat()} (years 2 to 9998)")
    return moment


def _authors(authors: tuple[Author, ...]) -> tuple[Author, ...]:
    cleaned = []
    for i, a in enumerate(authors):
        name = clean_text(a.name)
        if not name:
            raise InvalidPostError(f"authors[{i}].name", "must not be empty")
        # A new Author: its `feed` is the store's to give (this may be another author now).
        cleaned.append(Author(_cut(name, MAX_NAME), _within(clean_text(a.uri or ""), MAX_URL),
                              _within(clean_text(a.email or ""), MAX_EMAIL), a.account or None))
    return tuple(cleaned)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _within(text: str, limit: int) -> str | None:
    return text if text and len(text) <= limit else None


def _enclosures(enclosures: tuple[Enclosure, ...], url: str) -> tuple[Enclosure, ...]:
    """Cleaned, with URLs made absolute against the post's `url` as the links of its body
    are (RSS 2.0's enclosure url is where a podcast client downloads from: a relative one
    leads nowhere); one whose scheme the body's links could not have is dropped."""
    # One XML-illegal character anywhere makes the whole feed unrenderable (design.md).
    out = []
    for e in enclosures:
        link = absolute_url(clean_text(e.url), url)
        if link is not None and len(link) <= MAX_URL:
            kind = clean_text(e.type)
            out.append(Enclosure(link, kind if 0 < len(kind) <= MAX_NAME else
                                 "application/octet-stream", max(0, e.length)))
    return tuple(out)


class PreparedPost(NamedTuple):
    post: Post
    links: tuple[str, ...]
    """The URLs of the embeds its body lost to a link (feeds/content.py, Sanitized.links)."""


def prepare_post(site: Site, draft: PostDraft, now: datetime, existing: Post | None = None) -> Post:
    """The post to store for `draft` (new when `existing` is None)."""
    return prepare_post_with_links(site, draft, now, existing).post


def prepare_post_with_links(site: Site, draft: PostDraft, now: datetime,
                            existing: Post | None = None) -> PreparedPost:
    """`prepare_post`, and the embeds its body lost to a link (an import reports them)."""
    title = _cut(clean_text(draft.title), MAX_TITLE)
    if not title:
        raise InvalidPostError("title", "must not be empty")
    for name in ("published", "updated"):
        moment = getattr(draft, name)
        if moment is not None:
            checked_date(moment, name)
    # Long slugs are cut: they are URL path segments and index keys on both engines.
    slug = slugify(draft.slug or title)[:MAX_SLUG].rstrip("-")
    url = post_url(site, slug, draft.published, draft.kind)
    content, thumbnail, links = sanitize_body(draft.content_html, url)
    summary = (
        clean_text(draft.summary)
        if draft.summary
        else summary_from_html(content, site.summary_length)
    )
    labels = tuple(dict.fromkeys(lb for lb in (label_name(x) for x in draft.labels) if lb))
    for i, label in enumerate(labels):
        if len(label) > MAX_LABEL:
            raise InvalidPostError(f"labels[{i}]", f"longer than {MAX_LABEL} characters")
    status = draft.status
    if status is PostStatus.SCHEDULED and draft.published <= now:
        status = PostStatus.PUBLISHED
    elif status is PostStatus.PUBLISHED and draft.published > now:
        # Published with a date ahead, whoever says so (the API, a post file, an import):
        # scheduled for that date, as WordPress makes such a post "future" and Blogger
        # "scheduled". Left "published", it showed at its date all the same (the
        # regeneration reads what came due), but the API and `post list` called it
        # published while it was in no feed, and no list of the scheduled had it.
        status = PostStatus.SCHEDULED
    updated = draft.updated or (now if existing else draft.published)
    if updated < draft.published:
        updated = draft.published
    post = Post(
        id=existing.id if existing else 0,
        site_id=site.id,
        entry_id=existing.entry_id
        if existing
        else (clean_text(draft.entry_id or "") or new_entry_id(site, slug, draft.published)),
        slug=slug,
        title=title,
        summary=summary,
        content_html=content,
        status=status,
        published=draft.published,
        updated=updated,
        authors=_authors(draft.authors),
        labels=labels,
        enclosures=_enclosures(draft.enclosures, url),
        thumbnail=thumbnail,
        version=existing.version + 1 if existing else 1,
        kind=draft.kind,
    )
    return PreparedPost(post, links)


def comment_author(author: Author) -> Author:
    name = clean_text(author.name)
    if not name:
        raise InvalidPostError("author.name", "must not be empty")
    return Author(_cut(name, MAX_NAME), _within(clean_text(author.uri or ""), MAX_URL),
                  _within(clean_text(author.email or ""), MAX_EMAIL))


def prepare_comment(
    site: Site, post_id: int, draft: CommentDraft, entry_id: str, now: datetime
) -> Comment:
    """The comment to store for `draft` (id 0: not stored yet)."""
    published = checked_date(draft.published or now, "published")
    return Comment(
        id=0, post_id=post_id, site_id=site.id, entry_id=entry_id,
        author=comment_author(draft.author),
        content_html=sanitize_html(draft.content_html, f"{site.base_url}/"),
        published=published, updated=published, status=draft.status, parent_id=draft.parent_id,
    )


def deleted(post: Post, now: datetime) -> Post:
    return replace(post, status=PostStatus.DELETED, updated=now, version=post.version + 1)


def comment_title(comment: Comment, length: int = 80) -> str:
    text = summary_from_html(comment.content_html, length)
    return text or f"Comment by {comment.author.name}"
