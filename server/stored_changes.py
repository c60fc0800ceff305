"""Following the versions other servers store: several `syndic serve` processes (not the
leader and followers of one: server/workers.py) on one database each render what is dirty
when they look, and store it; each must then serve the newest version stored by any of
them, with the same ETag and Last-Modified, not only its own.

The site-feeds regeneration job reads the feed-change log (feeds/store/changes.py) after
the last id it saw, in the hand-over it makes anyway (RunStart.changes): one query by the
primary key, which finds nothing when nothing changed. For each feed another process
logged, it compares the stored versions with the ones it serves and reads back the bodies
of those that differ, then applies them as its own renders are applied (memory, query
variants of the site, its followers). Nothing is rendered again, but for a version made
with other settings than this server's, when its settings are the last started's
(server/made_with.py).

Never backwards: the versions read are the table's as it is now (the newest committed),
and a feed this server has rendered and not stored yet is left alone: its store commits
after the change read here, and shows in the log again if another server's lands after it."""

from __future__ import annotations

import logging

from aiohttp import web

from feeds.models import Artifact, FeedFormat
from feeds.store import StoredChanges, StoredFeed
from server.feed_cache import CacheKey
from server.keys import FEEDS, PUBLISHER, SITES, STORE
from server.made_with import remade_here

log = logging.getLogger("syndic.feeds")
LOAD_BATCH = 16
"""Artifacts whose bodies are read back in one hand-over (~100 KB each)."""


async def follow_stored(app: web.Application, changes: StoredChanges | None) -> int:
    """Serve what other processes stored since the log id last seen (`changes`: its first
    page, read with the run's start); returns how many versions were loaded."""
    service = app[FEEDS]
    loaded = 0
    while changes is not None and changes.last != service.changes_seen:
        if changes.first is not None and changes.first > service.changes_seen + 1:
            # Rows pruned before this server read them (it did not poll for an hour):
            # every stored feed is compared instead.
            log.warning("feed-change log read from %d, %d expected: comparing every stored "
                        "feed", changes.first, service.changes_seen + 1)
            loaded += await _apply(app, await _every_stored(app), resync=True)
        else:
            loaded += await _apply(app, changes.feeds)
        service.changes_seen = changes.last
        changes = await app[STORE].stored_changes(changes.last) if changes.full else None
    return loaded


async def _every_stored(app: web.Application) -> list[StoredFeed]:
    feeds: dict[tuple[int, str], StoredFeed] = {}
    for a in await app[STORE].load_artifacts(with_bodies=False):
        feed = feeds.setdefault((a.site_id, a.key), StoredFeed(0, a.site_id, a.key, {}))
        feed.versions[a.format] = (a.etag, a.last_modified)
        feed.made_with[a.format] = a.made_with
    return list(feeds.values())


async def _apply(app: web.Application, feeds: list[StoredFeed], resync: bool = False) -> int:
    service, publisher, sites = app[FEEDS], app[PUBLISHER], app[SITES].by_id
    cache = service.cache
    wanted: list[CacheKey] = []
    dropped: list[tuple[int, str]] = []
    rendered: set[int] = set()

    def pending_here(ck: CacheKey) -> bool:
        """A version of ours is served and its store has not committed yet."""
        held = cache.peek(ck)
        return held is not None and not publisher.is_stored(held.artifact)

    for feed in feeds:
        if feed.site_id not in sites:
            continue  # deleted: its feeds went with it (SiteDirectory.on_gone)
        if not resync:
            rendered.add(feed.site_id)  # its data changed: its query variants go
        cks = [(feed.site_id, feed.key, fmt) for fmt in FeedFormat]
        if not feed.versions:  # nothing to show any more: dropped there
            if not any(pending_here(ck) for ck in cks):
                dropped.append((feed.site_id, feed.key))
                publisher.forget_feed(feed.site_id, feed.key)
            continue
        for fmt, (etag, modified) in feed.versions.items():
            ck = (feed.site_id, feed.key, fmt)
            # The same bytes may be recorded as made with other settings (they are the
            # same under both): a render of ours then changes only the record.
            publisher.versions.note_made_with(ck, etag, feed.made_with.get(fmt))
            held = cache.peek(ck)
            if held is not None and (held.artifact.etag, held.artifact.last_modified) == (
                    etag, modified):
                continue
            if not pending_here(ck):
                wanted.append(ck)
    if resync:  # feeds held and stored once, and stored no more
        stored = {(f.site_id, f.key) for f in feeds}
        for site_id, key, _ in cache.standard_keys():
            if (site_id, key) not in stored and publisher.any_stored(site_id, key) and (
                    (site_id, key) not in dropped):
                dropped.append((site_id, key))
                publisher.forget_feed(site_id, key)
        rendered.update(s for s, _ in dropped)
    for site_id, key in await remade_here(app[STORE], publisher.ctx,
                                          [f for f in feeds if f.site_id in sites]):
        service.remake.setdefault(site_id, set()).add(key)
    loaded = 0
    batches = [wanted[i : i + LOAD_BATCH] for i in range(0, len(wanted), LOAD_BATCH)]
    for chosen in batches or [[]]:
        batch = await app[STORE].stored_artifacts(chosen) if chosen else []
        # Memory is asked again after the read: a render of ours served meanwhile is newer.
        fresh = [a for a in batch if a.site_id in sites
                 and not pending_here((a.site_id, a.key, a.format))]
        _serve(app, fresh, dropped, tuple(sorted(rendered)))
        dropped, rendered = [], set()
        loaded += len(fresh)
    return loaded


def _serve(app: web.Application, fresh: list[Artifact], dropped: list[tuple[int, str]],
           rendered: tuple[int, ...]) -> None:
    if not (fresh or dropped or rendered):
        return
    # Known as stored before they are applied: a follower starting now reads them back,
    # and a render of ours with the same bytes is no new version (no second push).
    app[PUBLISHER].remember(fresh)
    app[FEEDS].apply_changes(fresh, dropped, rendered)
    if fresh or dropped:
        log.info("loaded %d feed versions and %d drops stored by another server",
                 len(fresh), len(dropped))
