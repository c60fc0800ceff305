"""What a feed shows: the entries a key selects, its total, its title, and the page it is
the feed of. NotFoundError for a label, author or post with nothing visible."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from feeds.errors import NotFoundError
from feeds.feedset import FeedContext, comment_entry, entries_for_posts, feed_title
from feeds.models import FeedKey, FeedKind, FeedQuery, Post, Site
from feeds.posts import link_of
from feeds.query import is_standard
from feeds.render.document import EntryDoc
from feeds.store import PostPage, Store

Selected = tuple[tuple[EntryDoc, ...], int, str, "str | None"]


class Selection:
    def __init__(self, store: Store, ctx: FeedContext) -> None:
        self.store, self.ctx = store, ctx

    async def select(
        self, site: Site, key: FeedKey, now: datetime,
        pages: dict[FeedKey, PostPage] | None = None,
    ) -> Selected:
        """The feed's entries, its total, its title, and the page it is the feed of when
        that is not the site's (a post's, for its comments)."""
        post: Post | None = None
        if key.kind in (FeedKind.COMMENTS, FeedKind.POST_COMMENTS):
            if key.kind is FeedKind.POST_COMMENTS:
                post = await self.store.visible_post(site.id, key.post_id or 0, now)
                if post is None:
                    raise NotFoundError("post", str(key.post_id))
            cpage = await self.store.select_comments(site.id, key, now)
            entries = tuple(comment_entry(site, c, p, cpage.parents.get(c.parent_id or 0))
                            for c, p in cpage.comments)
            home = link_of(site, post) if post else None
            return entries, cpage.total, feed_title(site, key, {}, post), home
        projection = replace(key, mode=None)
        page = None if pages is None else pages.get(projection)
        if page is None:
            page = await self.store.select_posts(site.id, key, now)
            if pages is not None:
                pages[projection] = page
        if page.total == 0 and key.kind in (FeedKind.LABEL, FeedKind.AUTHOR):
            await self._check_names(site, key, now)
        names = {a.feed: a.name for p in page.posts for a in p.authors if a.feed}
        entries = entries_for_posts(site, key, page.posts, self.ctx)
        if key.kind is FeedKind.ENTRY and not entries:  # no such post, or a query past it
            raise NotFoundError("post", str(key.post_id))
        return entries, page.total, feed_title(site, key, names, None), None

    async def _check_names(self, site: Site, key: FeedKey, now: datetime) -> None:
        """NotFoundError naming the first label, or the author, that no visible post has.
        A feed that shows nothing although each of its names exists (labels no post has
        together, a date window with nothing in it) is an empty feed, as on Blogger: a
        reader of /-/a/b keeps a feed when the last post having both labels changes."""
        label = key.kind is FeedKind.LABEL
        what, names = ("label", list(dict.fromkeys(key.labels))) if label else (
            "author", [key.author or ""])
        if len(names) == 1 and is_standard(key):  # the name's whole feed is empty
            raise NotFoundError(what, names[0])
        for name in names:
            if not await self._exists(site, replace(key, labels=(name,)) if label else key, now):
                raise NotFoundError(what, name)

    async def _exists(self, site: Site, key: FeedKey, now: datetime) -> bool:
        bare = replace(key, query=FeedQuery(max_results=1))
        return (await self.store.select_posts(site.id, bare, now)).total > 0
