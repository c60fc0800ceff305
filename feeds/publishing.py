"""The change pipeline: a change is written with the feeds it touches marked dirty (one
transaction); regeneration renders each dirty feed, and stores only artifacts whose bytes
changed, clearing the dirty rows in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from feeds.content import sanitize_html
from feeds.errors import InvalidPostError, NotFoundError
from feeds.feedset import (
    FeedContext,
    build_doc,
    site_feed_keys,
    standard_keys,
    touched_keys,
)
from feeds.models import (
    CONTENT_TYPES,
    ENTRY_CONTENT_TYPE,
    VISIBLE_STATUSES,
    Artifact,
    Comment,
    CommentDraft,
    Fanout,
    FeedFormat,
    FeedKey,
    Post,
    PostDraft,
    Site,
)
from feeds.posts import (
    comment_author,
    comment_entry_id,
    deleted,
    link_of,
    old_post_path,
    prepare_comment,
    prepare_post,
)
from feeds.query import feed_key_string, parse_key_string, slugify
from feeds.render import etag_for
from feeds.render.document import FeedDoc
from feeds.selection import Selection
from feeds.store import Idempotency, PostPage, Store
from feeds.versions import FeedVersions


class Renderer(Protocol):
    """Bytes out, off the event loop (server/feed_service.ThreadRenderer) or inline
    (feeds.render.InlineRenderer, for tools and tests)."""

    async def render(self, docs: list[FeedDoc]) -> list[bytes]: ...

    async def compress(self, bodies: list[bytes]) -> list[tuple[bytes, bytes]]: ...
log = logging.getLogger("syndic.publishing")
ALL_FORMATS = (FeedFormat.ATOM, FeedFormat.RSS, FeedFormat.JSON)
REGENERATION_BATCH = 8


@dataclass(frozen=True, slots=True)
class Regenerated:
    changed: list[Artifact]
    dropped: list[tuple[int, str]]
    rendered_keys: int
    deliveries: int = 0
    """Deliveries written or renewed in the outbox with the changed artifacts."""
    sites: tuple[int, ...] = ()
    """The sites whose feeds were rendered, changed or not: their data changed, so what is
    rendered on request for them (query variants) is rendered again (server/feed_cache)."""


class Publisher:
    def __init__(self, store: Store, renderer: Renderer, ctx: FeedContext, cap: int,
                 fanout: Fanout | None = None, made_with: str | None = None) -> None:
        self.fanout = fanout
        """Who hears of changed feeds (the outbox); None: nobody (tools, tests)."""
        self.made_with = made_with
        """The fingerprint of `ctx`'s settings, recorded with every artifact rendered here
        (feeds/versions.py settings_fingerprint); None: not recorded (tools, tests)."""
        self.store = store
        self.renderer = renderer
        self.ctx = ctx
        self._selection = Selection(store, ctx)
        self.cap = cap
        self.versions = FeedVersions()
        self.site_feed_keys = site_feed_keys(ctx.default_max)
        self.documents_rendered = 0
        """How many documents this publisher has rendered (a figure for tests and ops)."""

    def remember(self, artifacts: list[Artifact]) -> None:
        self.versions.remember(artifacts)

    # -- changes ---------------------------------------------------------------------

    async def add_post(self, site: Site, draft: PostDraft, now: datetime,
                       idempotency: Idempotency | None = None) -> Post:
        # A slug made from the title takes the first free "-N" form when another post has
        # it (a slug the writer chose is theirs to change).
        for n in range(1, 100):
            slug = draft.slug if n == 1 or draft.slug else f"{slugify(draft.title)[:190]}-{n}"
            post = prepare_post(site, replace(draft, slug=slug), now)
            keys = touched_keys(None, post, self.ctx)
            try:
                return await self.store.write_post(post, keys, now, is_new=True,
                                                   idempotency=idempotency)
            except InvalidPostError as exc:
                # A generated entry id is made from the slug: a clash on it is one too.
                if exc.field not in ("slug", "entry_id") or draft.slug or draft.entry_id:
                    raise
        raise InvalidPostError("slug", "no free slug for this title")

    async def update_post(self, site: Site, before: Post, draft: PostDraft, now: datetime
                          ) -> Post:
        """`draft`, made from `before` as the caller read it, stored in its place. When the
        post was changed since that read, nothing is written: StaleWriteError (the caller
        reads it again and remakes its draft, or gives up)."""
        after = prepare_post(site, draft, now, existing=before)
        if draft.updated is None and replace(
                after, updated=before.updated, version=before.version) == before:
            # Nothing a reader or the API shows would change (a scheduled post given the
            # publish_at it has, a slug given as the one it has): no new version, no new
            # `updated`, no feed marked.
            return before
        old = link_of(site, before)
        aliases = {}
        if before.status in VISIBLE_STATUSES and old != link_of(site, after):
            # Its old URL answers 301 to the one it has now (server/handlers/pages.post_page),
            # through every later change too: the alias names the post, not a URL.
            aliases[old_post_path(old)] = after.entry_id
        return await self._replace(after, before, now, aliases)

    async def delete_post(self, site: Site, before: Post, now: datetime) -> Post:
        """`before` as the caller read it, deleted; StaleWriteError, nothing deleted, when
        the post was changed since that read."""
        return await self._replace(deleted(before, now), before, now)

    async def _replace(self, post: Post, before: Post, now: datetime,
                       aliases: dict[str, str] | None = None) -> Post:
        keys = touched_keys(before, post, self.ctx)
        return await self.store.write_post(post, keys, now, is_new=False,
                                           replaces=before.version, aliases=aliases)

    async def add_comment(
        self, site: Site, post_ref: str, draft: CommentDraft, now: datetime, n: int,
        idempotency: Idempotency | None = None,
    ) -> Comment:
        """A new comment on a post; `n` makes its entry id unique among the post's comments
        of that day (the caller picks it: a counter, or random bits)."""
        post = await self.store.get_post(site.id, post_ref)
        entry_id = draft.entry_id or comment_entry_id(site, post.id, draft.published or now, n)
        comment = prepare_comment(site, post.id, draft, entry_id, now)
        if not comment.content_html.strip():  # "<script>x</script>": an empty entry
            raise InvalidPostError("content_html", "nothing is left of it once sanitized "
                                   "(scripts, styles and unknown tags are removed)")
        keys = touched_keys(post, None, self.ctx)
        return await self.store.add_comment(comment, keys, now, idempotency)

    async def update_comment(self, site: Site, comment: Comment, now: datetime, *,
                             replaces: Comment | None = None) -> Comment:
        """Store a changed comment (moderation, corrections): its post's feeds are dirty.
        `replaces`: the comment as read when the change was made (StaleWriteError, nothing
        written, when it has changed since)."""
        post = await self.store.get_post(site.id, str(comment.post_id))
        cleaned = replace(
            comment, author=comment_author(comment.author),
            content_html=sanitize_html(comment.content_html, f"{site.base_url}/"),
        )
        return await self.store.update_comment(cleaned, touched_keys(post, None, self.ctx), now,
                                               replaces=replaces)

    async def delete_comment(self, site: Site, comment: Comment, now: datetime, *,
                             as_read: bool = False) -> None:
        """`as_read`: only while the comment is still as given (else StaleWriteError)."""
        post = await self.store.get_post(site.id, str(comment.post_id))
        await self.store.delete_comment(comment, touched_keys(post, None, self.ctx), now,
                                        as_read=as_read)

    # -- rendering -------------------------------------------------------------------

    async def render_feed(
        self, site: Site, key: FeedKey, now: datetime,
        formats: tuple[FeedFormat, ...] = ALL_FORMATS, *, compressed: bool = True,
        pages: dict[FeedKey, PostPage] | None = None,
    ) -> list[Artifact]:
        """Render one feed in the given formats. NotFoundError when the label, author or
        post it names has nothing visible. Without `compressed`, the artifacts come back
        with empty gzip and br bodies: compression is most of the cost of a render, and
        regeneration leaves it for later (server/feed_service.py) so that a change shows
        as soon as its feeds are rendered. `pages`: posts already selected for other
        projections of the same feed (its full and summary forms show the same posts)."""
        feed = await self._feed_docs(site, key, now, formats, pages)
        artifacts = self._artifacts(site, feed, await self._render(feed[1]))
        if not compressed:
            return artifacts
        zipped = await self.renderer.compress([a.body for a in artifacts])
        return [replace(a, body_gzip=gz, body_br=br)
                for a, (gz, br) in zip(artifacts, zipped, strict=True)]

    async def _feed_docs(
        self, site: Site, key: FeedKey, now: datetime, formats: tuple[FeedFormat, ...],
        pages: dict[FeedKey, PostPage] | None,
    ) -> _FeedDocs:
        entries, total, title, home = await self._selection.select(site, key, now, pages)
        docs = [build_doc(site, key, fmt, entries, total, title, self.ctx, home)
                for fmt in formats]
        return feed_key_string(key, self.ctx.default_max), docs

    async def _render(self, docs: list[FeedDoc]) -> list[bytes]:
        bodies = await self.renderer.render(docs)
        self.documents_rendered += len(docs)
        return bodies

    def _artifacts(self, site: Site, feed: _FeedDocs, bodies: list[bytes]) -> list[Artifact]:
        # No Last-Modified yet: a version gets it when it is stored (FeedVersions.dated); a
        # rendering that is not stored (a query variant) has none.
        key_string, docs = feed
        return [
            Artifact(site.id, key_string, doc.format, body, etag_for(body), None,
                     ENTRY_CONTENT_TYPE if doc.atom_entry else CONTENT_TYPES[doc.format],
                     doc.self_url, made_with=self.made_with)
            for doc, body in zip(docs, bodies, strict=True)
        ]

    def forget_feed(self, site_id: int, key: str) -> None:
        """A feed whose drop is stored: no format of it is any more."""
        self.versions.forget_feed(site_id, key)

    def any_stored(self, site_id: int, key: str) -> bool:
        """Whether some format of this feed is stored (as far as this process knows): a
        feed dropped by a regeneration is, until that regeneration has stored the drop."""
        return self.versions.any_stored(site_id, key)

    def is_stored(self, artifact: Artifact) -> bool:
        """Whether this version is the one stored (as far as this process knows)."""
        return self.versions.is_stored(artifact)

    # -- regeneration ----------------------------------------------------------------

    async def regenerate_dirty(
        self, sites: dict[int, Site], now: datetime,
        on_batch: Callable[[Regenerated], None] | None = None,
        held: frozenset[int] = frozenset(),
        site_feeds: bool | None = None,
        dirty: dict[int, tuple[int, list[str]]] | None = None,
        stop: Callable[[], bool] | None = None,
        pause: Callable[[], Awaitable[None]] | None = None,
    ) -> Regenerated:
        """Render every dirty feed; store those whose bytes changed. With on_batch, each
        batch is handed over as soon as it is rendered (before it is stored) and not kept
        (bounded memory on a full regeneration); the result then lists no artifacts. With
        `site_feeds` True, only the site feeds; False, all the others (two jobs can share
        the work: their dirty rows and artifacts are apart). `dirty`: what
        dirty_feeds(held, site_feeds) gave, when the caller has just asked. `stop`, asked
        after each batch: True ends the run there (what is left stays dirty, for the next
        run). `pause`, awaited before each feed, lets another job go first (the site
        feeds' run under way: server/jobs.py); each feed is then rendered alone."""
        changed: list[Artifact] = []
        dropped: list[tuple[int, str]] = []
        rendered = deliveries = 0
        if dirty is None:
            dirty = await self.dirty_feeds(held, site_feeds)
        for site_id, (max_id, all_keys) in dirty.items():
            site = sites.get(site_id)
            if site is None:
                continue
            for keys in self._batches(all_keys):
                fresh, gone = await self._render_keys(site, keys, now, pause)
                rendered += len(keys)
                new = self.versions.dated([a for a in fresh if not self.is_stored(a)], now)
                # The same bytes, recorded as made with other settings (a feed the new
                # settings do not change): only the record changes, no new version.
                restamp = [a for a in fresh if self.versions.recorded_otherwise(a)]
                batch_dropped = [(site_id, k) for k in gone]
                if on_batch is not None:
                    # Served before it is stored: storing ~100 KB bodies waits for the one
                    # writer behind the creates, and readers need not wait for that. If the
                    # store fails, the dirty rows stay and the next run stores it again.
                    on_batch(Regenerated(new, batch_dropped, len(keys), sites=(site_id,)))
                deliveries += await self.store.save_artifacts(
                    new, now, (site_id, max_id, keys), gone, self.fanout, restamp)
                self.remember(new + restamp)
                if on_batch is None:
                    changed += new
                dropped += batch_dropped
                for k in gone:
                    self.forget_feed(site_id, k)
                if stop is not None and stop():
                    return Regenerated(changed, dropped, rendered, deliveries)
        return Regenerated(changed, dropped, rendered, deliveries)

    async def dirty_feeds(self, held: frozenset[int], site_feeds: bool | None,
                          ) -> dict[int, tuple[int, list[str]]]:
        """The store's dirty feeds for one regeneration job: the site feeds (True), all the
        others (False), or every one (None)."""
        only, besides = self.dirty_filter(site_feeds)
        return await self.store.dirty_feeds(held, only=only, besides=besides)

    def dirty_filter(self, site_feeds: bool | None) -> tuple[frozenset[str], frozenset[str]]:
        """(only, besides) for Store.dirty_feeds: the site-feeds job's keys, or the others'."""
        keys, none = frozenset(self.site_feed_keys), frozenset[str]()
        return (keys if site_feeds else none), (keys if site_feeds is False else none)

    def _batches(self, keys: list[str]) -> list[list[str]]:
        """The site feeds first, alone (they are what most readers poll: a change shows
        there without waiting for its label and author feeds), then the others in batches:
        a full regeneration of a large site never holds every rendered feed at once, and
        each batch is stored (and its dirty rows cleared) alone."""
        first = [k for k in keys if k in self.site_feed_keys]
        rest = [k for k in keys if k not in self.site_feed_keys]
        return ([first] if first else []) + [rest[i : i + REGENERATION_BATCH]
                                             for i in range(0, len(rest), REGENERATION_BATCH)]

    async def mark_all(self, site: Site, now: datetime) -> None:
        """Mark every standard feed of the site dirty, and every other feed it has stored
        (an uncommented post's comment feed, stored at an edit: feedset.touched_keys), so
        that after a site change no stored feed shows the site as it was."""
        labels = [lb for lb, _ in await self.store.labels(site.id, now)]
        authors = [slug for slug, _, _ in await self.store.authors(site.id, now)]
        commented = await self.store.commented_posts(site.id, now)
        keys = {feed_key_string(k, self.ctx.default_max)
                for k in standard_keys(labels, authors, commented, self.ctx)}
        keys.update(await self.store.artifact_keys(site.id))
        await self.store.mark_dirty(site.id, sorted(keys), now)

    async def _render_keys(
        self, site: Site, keys: list[str], now: datetime,
        pause: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[list[Artifact], list[str]]:
        """Without `pause`, every feed of the batch is rendered in ONE hand-over to the
        renderer (under load each hand-over waited several ms for the GIL:
        docs/benchmarks.md, "Sixth pass"); with it, a feed at a time, so that whoever the
        pause waits for goes first within one feed's work. A feed that cannot be rendered
        is left out, the others are kept."""
        fresh: list[Artifact] = []
        feeds: list[_FeedDocs] = []
        gone: list[str] = []
        pages: dict[FeedKey, PostPage] = {}
        for key_string in keys:
            if pause is not None:
                await pause()
            try:
                key = parse_key_string(key_string, self.ctx.default_max, self.cap)
                feeds.append(await self._feed_docs(site, key, now, ALL_FORMATS, pages))
            except (NotFoundError, LookupError):
                gone.append(key_string)
            except Exception:
                _log_unrenderable(key_string, site)
            if pause is not None:  # this feed now, before the next pause
                fresh += await self._render_one_by_one(site, feeds)
                feeds.clear()
        if not feeds:
            return fresh, gone
        try:
            bodies = await self._render([doc for feed in feeds for doc in feed[1]])
        except Exception:
            return await self._render_one_by_one(site, feeds), gone
        start = 0
        for feed in feeds:
            fresh += self._artifacts(site, feed, bodies[start : start + len(feed[1])])
            start += len(feed[1])
        return fresh, gone

    async def _render_one_by_one(self, site: Site, feeds: list[_FeedDocs]) -> list[Artifact]:
        """Feeds rendered a feed at a time (a paused run's, or a batch whose rendering
        failed): one that fails is logged and left out, the others still show."""
        fresh: list[Artifact] = []
        for feed in feeds:
            try:
                fresh += self._artifacts(site, feed, await self._render(feed[1]))
            except Exception:
                _log_unrenderable(feed[0], site)
        return fresh


_FeedDocs = tuple[str, list[FeedDoc]]
"""A feed's key string and its documents (one per format)."""


def _log_unrenderable(key_string: str, site: Site) -> None:
    # Its dirty row is cleared with the batch: it renders again at its next change instead
    # of failing every 0.25 s; the log says why.
    log.exception("feed %s of site %d could not be rendered", key_string, site.id)
