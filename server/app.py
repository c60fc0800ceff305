"""create_app(settings) -> web.Application; every resource in a cleanup_ctx, in
dependency order: store -> sites -> renderer and feeds -> scheduler."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from config import Settings
from feeds.feedset import hub_for
from feeds.models import Fanout, FeedMode, Site
from feeds.publishing import Publisher, Renderer
from feeds.render import FeedRenderer
from feeds.store import SiteSpec, Store, open_store
from server import jobs
from server.access_log import ACCESS_LOG, FastAccessLogger, LogBuffer
from server.auth import auth_middleware
from server.clock import Clock, SystemClock
from server.cors import cors_headers, options_middleware
from server.demo import DEMO_SUBTITLE, DEMO_TITLE, seed_demo
from server.feed_cache import FeedCache
from server.feed_service import FeedService, LoopRenderer
from server.keys import (
    CLOCK,
    DEMO,
    FEEDS,
    FOLLOWER_FD,
    PUBLISHER,
    SETTINGS,
    SITES,
    SITES_CHANGED,
    STORE,
)
from server.log_setup import quiet_client_errors
from server.made_with import feed_context, feeds_made_otherwise, fingerprint, record_start
from server.middleware import errors_middleware, server_header
from server.push_jobs import sender_ctx
from server.routes import ROUTES
from server.scheduler import scheduler_ctx
from server.sites import SiteDirectory, default_base_url
from server.workers import LeaderLink

log = logging.getLogger("syndic")
MB = 1024 * 1024


async def ensure_sites(
    store: Store, settings: Settings, clock: Clock, demo: bool = False, serving: bool = True
) -> list[Site]:
    """The store's sites; on an empty store, the default site from settings (named as the
    demo blog with --demo). At the server's start (`serving`), the default site's base URL
    becomes the settings' (public_url, or its host and server.port: server/sites.py
    default_base_url), whatever was stored: the API and the command line refuse to set
    another. The command line leaves it as the server set it: its settings may not be the
    server's, and the server's feeds would not follow it anyway."""
    sites = await store.sites()
    if not sites:
        s = settings.site
        title, subtitle = (DEMO_TITLE, DEMO_SUBTITLE) if demo else (s.title, s.subtitle)
        spec = SiteSpec(s.host, title, subtitle, default_base_url(settings, s.host),
                        s.timezone, s.language, FeedMode(s.default_feed), s.summary_length)
        return [await store.create_site(spec, clock.now(), is_default=True)]
    base_url = default_base_url(settings, sites[0].host)
    if serving and sites[0].base_url != base_url:
        # One base URL per site, whichever server stored it last: every server on the
        # store follows it (its sites and the feeds stored for it), so two servers whose
        # settings differ serve the last one started's. Said, not refused: a restart
        # with a new address is the usual reason, and no server knows the others.
        log.warning("the default site's base URL moves from %s to %s (this server's "
                    "settings): every server on this store now serves %s; servers "
                    "sharing a store need the same server.public_url",
                    sites[0].base_url, base_url, base_url)
        await store.set_base_url(sites[0].id, base_url)
        sites = await store.sites()
    return sites


def make_publisher(store: Store, settings: Settings, renderer: Renderer) -> Publisher:
    ctx = feed_context(settings)
    fanout = Fanout(settings.websub.external_hubs, settings.pings.services)
    return Publisher(store, renderer, ctx, settings.feeds.max_results_cap, fanout,
                     made_with=fingerprint(ctx))


async def access_log_ctx(app: web.Application) -> AsyncIterator[None]:
    """The access log's buffer (stderr), flushed at the stop."""
    if app[SETTINGS].server.access_log:
        app[ACCESS_LOG] = FastAccessLogger.serving = LogBuffer(sys.stderr)
    yield
    if ACCESS_LOG in app:
        app[ACCESS_LOG].flush()
        if FastAccessLogger.serving is app[ACCESS_LOG]:
            FastAccessLogger.serving = None


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    store = await open_store(settings.storage.url, settings.storage.echo)
    app[STORE] = store
    app[SITES] = SiteDirectory(await ensure_sites(store, settings, app[CLOCK], app[DEMO]))
    yield
    await store.close()


def _feed_service(app: web.Application) -> tuple[FeedService, ThreadPoolExecutor]:
    settings, store = app[SETTINGS], app[STORE]
    # One compression thread (zlib and brotli let the GIL go): regeneration's, when it
    # asks for compressed bodies, and the feed service's, after the fact.
    zipper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="syndic-compress")
    renderer = FeedRenderer(settings.feeds.fragment_cache_mb * MB)
    publisher = make_publisher(store, settings, LoopRenderer(renderer, zipper))
    app[PUBLISHER] = publisher
    cache = FeedCache(settings.feeds.memory_budget_mb * MB, settings.feeds.variant_cache_entries)
    sites = app[SITES]

    def hubs(site_id: int) -> str | None:
        site = sites.by_id.get(site_id)
        return None if site is None else hub_for(site, publisher.ctx)

    service = FeedService(store, publisher, cache, hubs,
                          settings.feeds.cache_max_age, zipper,
                          settings.feeds.compress_after_seconds)
    app[FEEDS] = service
    # A site deleted (here, by another process or another server on the database: each
    # sees it when it reads the sites again) leaves nothing in memory.
    sites.on_gone.append(service.forget_site)
    return service, zipper


async def follower_feeds_ctx(app: web.Application) -> AsyncIterator[None]:
    """A follower's feeds (server/workers.py): what the leader renders, sent by it or read
    back from the store; the follower renders only query variants."""
    service, zipper = _feed_service(app)
    service.follower = True
    link = LeaderLink(app, app[FOLLOWER_FD])
    await link.connect()
    loaded = await service.load()
    log.info("follower serving: %d artifacts loaded", loaded)
    yield
    await link.close()
    await service.close()
    zipper.shutdown(wait=True)


async def feeds_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, store, clock = app[SETTINGS], app[STORE], app[CLOCK]
    service, zipper = _feed_service(app)
    publisher, cache = service.publisher, service.cache
    loaded = await service.load()
    now = clock.now()
    if app[DEMO]:
        added = await seed_demo(publisher, app[SITES].default, now)
        if added:
            log.info("demo site: %d posts added", added)
    since = now
    # Settings that shape feed bytes (the hub they name, how many entries they hold) are
    # not the feeds' data: no change marks them. Every stored feed made with other ones,
    # whichever server stored it, is rendered again (server/made_with.py), as every feed
    # of a site with another base URL is (has_base_url). Marked: the marks outlive a crash.
    await record_start(store, publisher.ctx)
    made_otherwise = await feeds_made_otherwise(store, cache, publisher.ctx)
    for site in app[SITES].by_id.values():
        last = await store.last_rendered(site.id)
        if last is None or not cache.has_base_url(site.id, site.base_url):
            await publisher.mark_all(site, now)
            continue
        if site.id in made_otherwise:
            await store.mark_dirty(site.id, made_otherwise[site.id], now)
        since = min(since, last)
    # Render what is dirty (and what came due while we were down) before serving: every
    # site feed, then the other feeds for feeds.startup_render_seconds at most. After a
    # large import that is thousands of feeds (four minutes for 100,000 posts): the rest
    # render in the background (the regeneration jobs), and a feed not rendered yet is
    # rendered for the reader who asks (FeedService.lookup).
    await jobs.regenerate(app, jobs.JobState(due_checked_until=since), site_feeds=True)
    limit = settings.feeds.startup_render_seconds
    deadline = time.monotonic() + limit
    await jobs.regenerate(app, jobs.JobState(), site_feeds=False,
                          stop=(lambda: time.monotonic() >= deadline) if limit else None)
    left = sum(len(keys) for _, keys in (await store.dirty_feeds()).values())
    log.info("serving: %d artifacts loaded, %d in memory; %d feeds to render in the "
             "background", loaded, len(cache), left)
    yield
    await service.close()
    zipper.shutdown(wait=True)


def create_app(settings: Settings, clock: Clock | None = None, demo: bool = False,
               follower_fd: int | None = None) -> web.Application:
    """The server's app; with follower_fd, a follower's (server/workers.py): no scheduler,
    its feeds from the leader at that end of a socketpair."""
    app = web.Application(middlewares=[errors_middleware, options_middleware, auth_middleware],
                          client_max_size=settings.api.max_body_bytes,
                          # Request bodies are decoded where they are read, by the codings
                          # we take (server/api_body.py): aiohttp's own decoding answered an
                          # unknown coding by ignoring it and zstd with a text/plain 400.
                          handler_args={"auto_decompress": False})
    app.on_response_prepare.append(cors_headers)
    quiet_client_errors()  # a request aiohttp cannot parse is a 400, not an ERROR logged
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[DEMO] = demo
    app[SITES_CHANGED] = lambda: None
    app.on_response_prepare.append(server_header)
    if follower_fd is None:
        app.cleanup_ctx.extend([access_log_ctx, store_ctx, feeds_ctx, sender_ctx,
                                scheduler_ctx])
    else:
        app[FOLLOWER_FD] = follower_fd
        app.cleanup_ctx.extend([access_log_ctx, store_ctx, follower_feeds_ctx, sender_ctx])
    app.add_routes(ROUTES)
    return app
