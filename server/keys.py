"""Every web.AppKey in one place (no module-level singletons: shared things live on the app)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from aiohttp import web

from config import Settings
from feeds.publishing import Publisher
from feeds.store import Store
from server.clock import Clock
from server.feed_service import FeedService
from server.sites import SiteDirectory

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
STORE = web.AppKey("store", Store)
SITES = web.AppKey("sites", SiteDirectory)
PUBLISHER = web.AppKey("publisher", Publisher)
FEEDS = web.AppKey("feeds", FeedService)
DEMO = web.AppKey("demo", bool)
FOLLOWER_FD = web.AppKey("follower_fd", int)
"""A follower's end of its channel to the leader (server/workers.py)."""
WAKE: web.AppKey[Callable[[], None]] = web.AppKey("wake")
"""Ask for a regeneration run now (server/scheduler.py): handlers call it after a write."""
WAKE_OUTBOX: web.AppKey[Callable[[], None]] = web.AppKey("wake_outbox")
"""Ask for an outbox run now: verifications and deliveries waiting."""
SITES_CHANGED: web.AppKey[Callable[[], None]] = web.AppKey("sites_changed")
"""Tell the other server processes that sites changed (server/workers.py); called after a
site is created, changed or deleted here. Nothing to tell with one process."""
FETCH_ALLOWED_FOR_TESTS: web.AppKey[frozenset[IPv4Address | IPv6Address]] = web.AppKey(
    "fetch_allowed_for_tests")
"""Tests only: addresses the guarded fetch of POST /api/imports?url= may connect to although
they are not global (a loopback server standing for a public one, to test the hops after
it: server/handlers/api_imports.py). Never set in use."""
