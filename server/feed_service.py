"""Feeds as the handlers see them: a cached, ready-to-send representation per request, found
in memory, read back from the artifacts table, or (for query variants) rendered once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from feeds.feedset import is_pushed
from feeds.models import Artifact, FeedFormat, FeedKey, Site
from feeds.publishing import Publisher, Regenerated
from feeds.query import is_standard
from feeds.render import FeedRenderer, compress, etag_for
from feeds.render.document import FeedDoc
from feeds.store import Store
from server.feed_cache import CachedFeed, CacheKey, FeedCache, make_cached
from server.script_feeds import ScriptFeeds

log = logging.getLogger("syndic.feeds")
COMPRESS_BATCH = 16
"""Artifacts whose compressed bodies are stored in one transaction."""


RENDER_SLICE = 0.005
"""Seconds of rendering between two turns of the event loop: CPython's switch interval,
the longest a thread rendering beside the loop held it up too (sys.getswitchinterval)."""


class LoopRenderer:
    """Rendering runs on the event loop, a fragment at a time, giving the loop a turn at
    least every RENDER_SLICE. In a worker thread the same render took three times as long
    under load: the thread waits for the GIL each time it takes it back (lxml lets it go
    while it serialises), while the loop's own work goes on; a site-feed run of ~150 new
    fragments took 33-35 ms there and 19-23 here (docs/benchmarks.md, "Seventh pass").
    feedgen calls locale.setlocale, which is process-global: every render runs on this
    one thread. Compression (zlib and brotli let the GIL go for the whole body) runs in
    `zipper`'s thread."""

    def __init__(self, renderer: FeedRenderer, zipper: Executor) -> None:
        self.renderer = renderer
        self.zipper = zipper

    async def render(self, docs: list[FeedDoc]) -> list[bytes]:
        bodies: list[bytes] = []
        turn_at = time.perf_counter() + RENDER_SLICE
        for doc in docs:
            fragments: list[bytes] = []
            for entry in doc.entries:
                fragments.append(self.renderer.fragment(doc.format, entry))
                if time.perf_counter() >= turn_at:
                    await asyncio.sleep(0)
                    turn_at = time.perf_counter() + RENDER_SLICE
            bodies.append(self.renderer.assemble(doc, fragments))
        return bodies

    async def compress(self, bodies: list[bytes]) -> list[tuple[bytes, bytes]]:
        def work() -> list[tuple[bytes, bytes]]:
            return [compress(b) for b in bodies]

        return await asyncio.get_running_loop().run_in_executor(self.zipper, work)


class FeedService:
    def __init__(
        self, store: Store, publisher: Publisher, cache: FeedCache,
        hubs: Callable[[int], str | None], max_age: int, zipper: ThreadPoolExecutor,
        compress_after: float,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.cache = cache
        self.hubs = hubs
        """site id -> the hub its feeds advertise in the Link header."""
        self.max_age = max_age
        self._inflight: dict[CacheKey, asyncio.Task[CachedFeed]] = {}
        self._zipper = zipper
        self.scripts = ScriptFeeds(zipper, max_age)
        """alt=json-in-script answers, made from the Atom feeds."""
        self.compress_after = compress_after
        """Seconds a new version waits, as the newest, before its compressed bodies are
        made (feeds.compress_after_seconds; a reader asking for them sooner gets them made
        at once)."""
        """Compression's own thread (zlib and brotli release the GIL): it runs beside the
        event loop's rendering, never ahead of the next change's render."""
        self._to_compress: dict[CacheKey, tuple[Artifact, float]] = {}
        """Artifacts to compress and when they were made (monotonic), oldest first."""
        self._compressing: dict[tuple[CacheKey, str], asyncio.Future[Artifact]] = {}
        self._compressor: asyncio.Task[None] | None = None
        self.follower = False
        """True in a follower (server/workers.py): its changes come from the leader, which
        compresses and stores them; a follower compresses only what a reader asks for
        before that."""
        self.listeners: list[Callable[[list[Artifact], list[tuple[int, str]], tuple[int, ...]],
                                      None]] = []
        """Told of every change applied here (the leader's followers)."""
        self._unstored: dict[CacheKey, Artifact] = {}
        """Versions served here and not known to be stored yet (a regeneration serves a
        batch, then stores it): what a follower starting now could not read back."""
        self._undropped: set[tuple[int, str]] = set()
        """Likewise, feeds dropped here whose drop is not stored yet."""
        self._gone: set[tuple[int, str]] = set()
        """Feeds dropped by a message before load() (a follower's start): not read back."""
        self._loaded = False
        self.changes_seen = 0
        """The last feed-change log id this server has followed (server/stored_changes.py)."""
        self.remake: dict[int, set[str]] = {}
        """Per site, feeds another server stored made with other settings, which this one
        renders again at its next run (server/made_with.py)."""

    def _cached(self, artifact: Artifact) -> CachedFeed:
        return make_cached(artifact, self.hubs(artifact.site_id), self.max_age)

    async def load(self) -> int:
        """Every stored artifact, streamed, into memory while the budget lasts; past it only
        its headers (its bodies are read back when asked for): a restart serves at once, and
        never holds more than the budget and one artifact. A feed already in memory (a
        follower's, told of it by the leader meanwhile) is newer than the stored one and
        stays."""
        count = 0
        # Read before the artifacts: a version stored meanwhile is read again by the first
        # poll of the log (and found the same), never missed.
        self.changes_seen = await self.store.last_change_id()
        async for a in self.store.iter_artifacts():
            self.publisher.remember([a])
            if (self.cache.peek((a.site_id, a.key, a.format)) is not None
                    or (a.site_id, a.key) in self._gone):
                continue
            feed = self._cached(a)
            if self.cache.resident_bytes + feed.size <= self.cache.budget:
                self.cache.put(feed)
            else:
                self.cache.put_evicted(feed)
            if not self.follower:  # the leader compresses (and stores) those
                self.compress_later([a])  # stored before its compressed bodies were made
            count += 1
        self._gone.clear()
        self._loaded = True
        return count

    def apply(self, result: Regenerated) -> None:
        self.apply_changes(result.changed, result.dropped, result.sites)

    def apply_changes(self, changed: list[Artifact], dropped: list[tuple[int, str]],
                      rendered: tuple[int, ...] = ()) -> None:
        """`rendered`: sites whose feeds were rendered although none may have changed (an
        edit of a post too old for any stored feed): their query variants go all the same."""
        for site_id in {a.site_id for a in changed} | {s for s, _ in dropped} | set(rendered):
            self.cache.clear_variants(site_id)
        for site_id, key in dropped:
            self.cache.drop(site_id, key)
            if self.follower and not self._loaded:
                self._gone.add((site_id, key))
        for a in changed:
            self.cache.put(self._cached(a))
            self._gone.discard((a.site_id, a.key))
        if not self.follower:
            self.compress_later(changed)
        if self.listeners:
            for listener in self.listeners:
                listener(changed, dropped, rendered)
            self._prune_unstored()
            # The newest news of a feed wins: a drop undoes a version, a version a drop.
            gone = set(dropped)
            self._unstored = {ck: a for ck, a in self._unstored.items() if ck[:2] not in gone}
            self._unstored.update(((a.site_id, a.key, a.format), a) for a in changed)
            self._undropped = (self._undropped | gone) - {(a.site_id, a.key) for a in changed}

    def forget_site(self, site_id: int) -> None:
        """A deleted site (server/sites.py tells): every feed of it goes from memory, and
        from what is sent to a follower starting now, so that no host serves it again.
        (A compression waiting for one of them finds neither it nor its row: nothing.)"""
        self.cache.drop_site(site_id)
        self.publisher.versions.forget_site(site_id)
        self._unstored = {ck: a for ck, a in self._unstored.items() if ck[0] != site_id}
        self._undropped = {(s, k) for s, k in self._undropped if s != site_id}

    def unstored(self) -> tuple[list[Artifact], list[tuple[int, str]]]:
        """Versions served here, and feeds dropped here, that may not be stored yet (see
        _unstored): what a follower starting now is sent."""
        self._prune_unstored()
        return list(self._unstored.values()), sorted(self._undropped)

    def _prune_unstored(self) -> None:
        publisher = self.publisher
        self._unstored = {ck: a for ck, a in self._unstored.items() if not publisher.is_stored(a)}
        self._undropped = {(s, k) for s, k in self._undropped if publisher.any_stored(s, k)}

    # -- compression, after the fact --------------------------------------------------
    # Regeneration stores and serves a changed feed uncompressed (identity); its gzip and br
    # bodies are made here next, once each, then stored beside it. A reader asking for
    # gzip meanwhile waits for that one compression (compressed()), not for the whole
    # regeneration.

    def compress_later(self, artifacts: list[Artifact]) -> None:
        made = time.monotonic()
        for a in artifacts:
            if not a.body_gzip:
                # The newest version wins, and waits its own delay (it goes to the end);
                # its body is not kept here (it is in the cache or the table): a start-up
                # with thousands of feeds to compress would hold every body at once, past
                # the memory budget.
                ck = (a.site_id, a.key, a.format)
                self._to_compress.pop(ck, None)
                self._to_compress[ck] = (replace(a, body=b""), made)
        if self._to_compress and (self._compressor is None or self._compressor.done()):
            self._compressor = asyncio.ensure_future(self._compress_pending())

    async def compressed(self, feed: CachedFeed) -> CachedFeed:
        """The feed with its compressed bodies, made now if they are not yet."""
        if "gzip" in feed.bodies and "br" in feed.bodies:
            return feed
        full = await self._compress(replace(feed.artifact, body=feed.bodies["identity"]))
        return self._cached(full)

    async def compressions_done(self) -> None:
        """Wait until every pending compression is made and stored (tests, tools)."""
        while self._compressor is not None and not self._compressor.done():
            await asyncio.shield(self._compressor)

    async def close(self) -> None:
        if self._compressor is not None:
            self._compressor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compressor
        # Compressions and variant renders run as tasks of their own (shielded: a reader who
        # leaves does not cancel them for the others waiting), and cancelling the compressor
        # leaves them running. They read the store and use the executors that close after
        # this (server/app.py, feeds_ctx): they end first.
        running: list[asyncio.Future[Any]] = [*self._compressing.values(),
                                              *self._inflight.values()]
        if running:
            await asyncio.wait(running)

    async def _compress_pending(self) -> None:
        # A version replaced within compress_after is never compressed here: under a steady
        # stream of changes, compressing every version of every feed kept a core busy (a
        # reader who asks for gzip or br gets that version compressed, once, at once).
        while self._to_compress:
            ripe = time.monotonic() - self.compress_after
            keys: list[CacheKey] = []
            for ck, (_, made_at) in self._to_compress.items():
                if made_at > ripe or len(keys) == COMPRESS_BATCH:
                    break
                keys.append(ck)
            if not keys:  # the oldest is not due yet
                await asyncio.sleep(next(iter(self._to_compress.values()))[1] - ripe)
                continue
            made = [await self._compress(self._to_compress.pop(k)[0]) for k in keys]
            try:
                await self.store.save_compressed([a for a in made if a.body_gzip])
            except Exception:  # they are compressed again at the next start
                log.exception("compressed bodies of %d feeds not stored", len(made))

    async def _compress(self, artifact: Artifact) -> Artifact:
        """One compression per artifact version, shared by whoever asks."""
        ck = ((artifact.site_id, artifact.key, artifact.format), artifact.etag)
        task = self._compressing.get(ck)
        if task is None:
            task = asyncio.ensure_future(self._make_compressed(artifact))
            self._compressing[ck] = task
            task.add_done_callback(lambda _: self._compressing.pop(ck, None))
        return await asyncio.shield(task)

    async def _make_compressed(self, artifact: Artifact) -> Artifact:
        ck = (artifact.site_id, artifact.key, artifact.format)
        current = self.cache.peek(ck)
        if current is not None and current.artifact.etag != artifact.etag:
            current = None  # memory holds another version
        if not artifact.body and current is not None and "identity" in current.bodies:
            artifact = replace(artifact, body=current.bodies["identity"])
        if not artifact.body:  # not in memory: its body is in the table
            bodies = await self.store.artifact_bodies(*ck)
            if bodies is None or etag_for(bodies[0]) != artifact.etag:
                return artifact  # dropped or replaced meanwhile: nothing to make
            body, gz, br = bodies
            if gz:  # compressed meanwhile (another instance)
                return replace(artifact, body=body, body_gzip=gz, body_br=br)
            artifact = replace(artifact, body=body)
        gz, br = await asyncio.get_running_loop().run_in_executor(
            self._zipper, compress, artifact.body)
        full = replace(artifact, body_gzip=gz, body_br=br)
        # Memory is asked again: a newer version put there while this one was compressed
        # must not be replaced by this older one (a reader would get the old feed back
        # until the next change).
        current = self.cache.peek(ck)
        if current is not None and current.bodies and current.artifact.etag == full.etag:
            self.cache.put(self._cached(full))
        return full

    async def lookup(self, site: Site, key: FeedKey, key_string: str, fmt: FeedFormat,
                     now_fn: Callable[[], datetime]) -> CachedFeed:
        """The representation to send. NotFoundError for a label/author/post with nothing."""
        ck = (site.id, key_string, fmt)
        hit = self.cache.get(ck)
        if hit is not None:
            if hit.bodies:
                return hit
            bodies = await self.store.artifact_bodies(*ck, etag=hit.artifact.etag)
            if bodies is not None:
                self.cache.restore(hit, bodies)
                return hit
            # Dropped meanwhile, or not stored yet: a regenerated feed is served before it
            # is stored, and the table holds the version before it (whose bytes must not go
            # out under this one's ETag). Rendered now, as a feed not pre-rendered is
            # (NotFoundError if it is gone).
        # Not pre-rendered: a query variant, another projection, or a feed that a pending
        # regeneration has not reached yet. Rendered once (concurrent requests share the
        # one render), kept in the variant LRU.
        task = self._inflight.get(ck)
        if task is None:
            task = asyncio.ensure_future(self._render_variant(site, key, fmt, now_fn()))
            self._inflight[ck] = task
            task.add_done_callback(lambda _: self._inflight.pop(ck, None))
        return await asyncio.shield(task)

    async def _render_variant(
        self, site: Site, key: FeedKey, fmt: FeedFormat, now: datetime
    ) -> CachedFeed:
        [artifact] = await self.publisher.render_feed(site, key, now, (fmt,))
        # A feed no change pushes names no hub, in its Link header as in its body.
        feed = make_cached(artifact, self.hubs(site.id) if is_pushed(key) else None,
                           self.max_age)
        self.cache.put_variant(feed)
        if not is_standard(key):
            log.debug("rendered variant %s", feed.artifact.key)
        return feed
