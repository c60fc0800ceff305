"""Which feeds a site has, which a change touches, and a FeedDoc for one feed from what
the store selected. Pure: `now`, settings and data are arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import quote

from feeds.models import (
    VISIBLE_STATUSES,
    Author,
    Comment,
    FeedFormat,
    FeedKey,
    FeedKind,
    FeedMode,
    FeedQuery,
    Post,
    PostKind,
    Site,
)
from feeds.posts import comment_title, link_of
from feeds.query import feed_key_string, feed_path, feed_url, is_standard, paging_starts
from feeds.render.document import EntryDoc, FeedDoc


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What rendering needs besides the data: from settings."""

    default_max: int
    hub_url: str | None
    """A hub to advertise instead of our own."""
    own_hub: bool = False
    """syndic is the hub, at SITE/hub (when hub_url is not set)."""


def hub_for(site: Site, ctx: FeedContext) -> str | None:
    """The WebSub hub a site's feeds advertise (Link rel=hub, <link rel="hub">, hubs)."""
    if ctx.hub_url:
        return ctx.hub_url
    return f"{site.base_url}/hub" if ctx.own_hub else None


def standard_keys(
    labels: list[str], author_slugs: list[str], commented_posts: list[int], ctx: FeedContext
) -> list[FeedKey]:
    """The feeds rendered ahead of time: the site feed in each projection, each label's and
    each author's default feed, the site's comment feed, and each commented post's."""
    q = FeedQuery(max_results=ctx.default_max)
    keys = [FeedKey(FeedKind.POSTS, q, mode) for mode in (None, FeedMode.FULL, FeedMode.SUMMARY)]
    keys += [FeedKey(FeedKind.LABEL, q, labels=(lb,)) for lb in labels]
    keys += [FeedKey(FeedKind.AUTHOR, q, author=a) for a in author_slugs]
    keys.append(FeedKey(FeedKind.COMMENTS, q))
    keys += [FeedKey(FeedKind.POST_COMMENTS, q, post_id=p) for p in commented_posts]
    return keys


def touched_keys(before: Post | None, after: Post | None, ctx: FeedContext) -> set[str]:
    """The standard feeds that may show either version of a post. A new post's comment
    feeds are left out unless it comes with approved comments: they cannot show it yet,
    and rendering an empty comment feed ahead of time for every new post was most of the
    work after each create (it is rendered when asked for, as a variant, until the post
    is changed or commented on: comment changes pass the post as `before`)."""
    keys: set[str] = set()
    for post in (before, after):
        if post is None:
            continue
        if post.kind is PostKind.PAGE:
            # A page is in no posts feed: only the pages feed (and, below, comment feeds).
            keys.add(pages_key(ctx.default_max))
        else:
            keys.update(site_feed_keys(ctx.default_max))
            keys.update(_label_key(lb, ctx.default_max) for lb in post.labels)
            keys.update(author_keys(post))
        if before is not None or post.comment_count:
            # Comment entries carry their post's title and link.
            q = FeedQuery(max_results=ctx.default_max)
            keys.add(feed_key_string(FeedKey(FeedKind.COMMENTS, q), ctx.default_max))
            if post.id:  # a post not yet stored has no comment feed
                keys.add(feed_key_string(FeedKey(FeedKind.POST_COMMENTS, q, post_id=post.id),
                                         ctx.default_max))
    return keys


# Key strings are remembered: an import computes them for every post it stores, and making
# them (slugs, percent-encoding) was a fifth of the importing process's time.
@lru_cache(maxsize=8)
def site_feed_keys(default_max: int) -> frozenset[str]:
    """The site feed in each projection: what most readers poll."""
    q = FeedQuery(max_results=default_max)
    return frozenset(feed_key_string(FeedKey(FeedKind.POSTS, q, mode), default_max)
                     for mode in (None, FeedMode.FULL, FeedMode.SUMMARY))


@lru_cache(maxsize=8)
def pages_key(default_max: int) -> str:
    """The pages feed (/feeds/pages/default): rendered and stored once a page is written
    (touched_keys), rendered when asked for on a site that never had one."""
    return feed_key_string(FeedKey(FeedKind.PAGES, FeedQuery(max_results=default_max)),
                           default_max)


@lru_cache(maxsize=4096)
def _label_key(label: str, default_max: int) -> str:
    key = FeedKey(FeedKind.LABEL, FeedQuery(max_results=default_max), labels=(label,))
    return feed_key_string(key, default_max)


@lru_cache(maxsize=4096)
def author_key(slug: str) -> str:
    """The key of an author's standard feed (its path: a standard feed's query adds
    nothing to it, whatever feeds.default_max_results is)."""
    return feed_path(FeedKey(FeedKind.AUTHOR, FeedQuery(max_results=1), author=slug))


def author_keys(post: Post) -> set[str]:
    """The standard feeds of the post's authors: those the store linked them to (an author
    not yet stored has none; the store marks the feeds of the authors it links, in the
    write's transaction: feeds/store/writes.write_post_links). A page is in none."""
    if post.kind is PostKind.PAGE:
        return set()
    return {author_key(a.feed) for a in post.authors if a.feed}


def is_pushed(key: FeedKey) -> bool:
    """Whether a change reaches this feed's WebSub subscribers: the feeds regeneration keeps
    (touched_keys) are, the site feed in each projection and a label's, an author's and the
    comment feeds in the site's own. The others (a label's full or summary projection, two
    labels at once, a query's page) are rendered when asked and never stored, so nothing
    would push them: they name no hub, and the hub refuses them as topics (WebSub §4: a
    publisher advertises the hub for the topics it publishes through it)."""
    if not is_standard(key) or key.kind is FeedKind.ENTRY:
        return False
    if key.kind is FeedKind.POSTS:
        return True
    return key.mode is None and (key.kind is not FeedKind.LABEL or len(key.labels) == 1)


def _mode(site: Site, key: FeedKey) -> FeedMode:
    return key.mode or site.default_feed


_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


def atom_id(site: Site, entry_id: str) -> str | None:
    """An IRI for an entry id that is not one (None: it is one), in the tag: form of the
    site's feed ids (RFC 4151; the id percent-encoded): the same entry id on the same site
    always gives the same atom:id."""
    if _ABSOLUTE_IRI.fullmatch(entry_id):
        return None
    return f"tag:{site.host.split(':')[0]},{site.created:%Y}:entry:{quote(entry_id, safe='')}"


@lru_cache(maxsize=8192)
def _replies_urls(base_url: str, post_id: int, default_max: int) -> tuple[str, str]:
    """A post's comment feed, Atom and RSS: the same for every feed and version showing it
    (each regeneration builds every entry of every feed it renders, and these URLs were a
    fifth of that)."""
    key = FeedKey(FeedKind.POST_COMMENTS, FeedQuery(max_results=default_max), post_id=post_id)
    return (feed_url(base_url, key, FeedFormat.ATOM, default_max),
            feed_url(base_url, key, FeedFormat.RSS, default_max))


def post_entry(site: Site, post: Post, mode: FeedMode, ctx: FeedContext) -> EntryDoc:
    url = link_of(site, post)
    replies_atom, replies_rss = _replies_urls(site.base_url, post.id, ctx.default_max)
    return EntryDoc(
        entry_id=post.entry_id,
        title=post.title,
        url=url,
        published=post.published,
        updated=post.updated,
        summary=post.summary,
        content_html=post.content_html if mode is FeedMode.FULL else None,
        authors=post.authors or (Author(site.title),),
        labels=post.labels,
        label_scheme=site.base_url + "/",
        thumbnail=post.thumbnail,
        enclosures=post.enclosures,
        comment_count=post.comment_count,
        replies_atom_url=replies_atom,
        replies_rss_url=replies_rss,
        comments_page_url=url + "#comments",
        atom_id=atom_id(site, post.entry_id),
    )


def comment_entry(site: Site, comment: Comment, post: Post, parent: str | None = None
                  ) -> EntryDoc:
    """A comment as a feed entry. `parent`: the entry id of the approved comment it answers,
    which its thr:in-reply-to then names, with that comment's URL (RFC 4685 §3: the resource
    it replies to); a reply to the post, or to a comment not shown, names the post. The
    commenter's email is never shown: it is for moderation (WordPress and Blogger keep it
    private too)."""
    page = link_of(site, post)
    replied, where = (post.entry_id, page) if parent is None else (
        parent, f"{page}#comment-{comment.parent_id}")
    return EntryDoc(
        entry_id=comment.entry_id,
        title=comment_title(comment),
        url=f"{page}#comment-{comment.id}",
        published=comment.published,
        updated=comment.updated,
        summary=comment_title(comment, 300),
        content_html=comment.content_html,
        authors=(replace(comment.author, email=None),),
        in_reply_to=(replied, where),
        atom_id=atom_id(site, comment.entry_id),
        atom_in_reply_to=atom_id(site, replied),
    )


def feed_title(site: Site, key: FeedKey, names: dict[str, str], post: Post | None) -> str:
    if key.kind is FeedKind.LABEL:
        return f"{site.title}: {' + '.join(key.labels)}"
    if key.kind is FeedKind.AUTHOR:
        return f"{site.title}: posts by {names.get(key.author or '', key.author)}"
    if key.kind is FeedKind.COMMENTS:
        return f"{site.title}: comments"
    if key.kind is FeedKind.PAGES:
        return f"{site.title}: pages"
    if key.kind is FeedKind.POST_COMMENTS and post is not None:
        return f"Comments on {post.title}"
    return site.title


def build_doc(
    site: Site,
    key: FeedKey,
    fmt: FeedFormat,
    entries: tuple[EntryDoc, ...],
    total: int,
    title: str,
    ctx: FeedContext,
    home: str | None = None,
) -> FeedDoc:
    """`home`: the page the feed is of (its alternate link, RSS <link>, JSON home_page_url),
    the site's unless given: a post's comment feed is the feed of that post's page."""
    q = key.query
    paging = tuple(
        (rel, feed_url(site.base_url, key, fmt, ctx.default_max, start))
        for rel, start in paging_starts(q.start_index, q.max_results, total).items()
    )
    updated = max((e.updated for e in entries), default=site.created)
    return FeedDoc(
        format=fmt,
        feed_id=f"tag:{site.host.split(':')[0]},{site.created:%Y}:site-{site.id}{feed_path(key)}",
        title=title,
        subtitle=site.subtitle,
        updated=updated,
        site_url=home or site.base_url + "/",
        self_url=feed_url(site.base_url, key, fmt, ctx.default_max),
        language=site.language,
        author=Author(site.title, site.base_url + "/"),
        entries=entries,
        hub_url=hub_for(site, ctx) if is_pushed(key) else None,
        paging=paging,
        total_results=total,
        start_index=q.start_index,
        items_per_page=q.max_results,
        entry_document=key.kind is FeedKind.ENTRY,
    )


def entries_for_posts(
    site: Site, key: FeedKey, posts: tuple[Post, ...], ctx: FeedContext
) -> tuple[EntryDoc, ...]:
    mode = _mode(site, key)
    return tuple(post_entry(site, p, mode, ctx) for p in posts if p.status in VISIBLE_STATUSES)
