"""What a follower starting beside a busy leader is given (server/workers.py): the versions
the leader serves but has not stored yet, and, read back from the store, everything else,
never over a newer version it was sent."""

from __future__ import annotations

from dataclasses import replace

from feeds.models import Artifact, FeedFormat
from feeds.render import etag_for
from server.feed_cache import FeedCache
from server.keys import FEEDS, PUBLISHER, SITES
from tests.server.conftest import Client

FEED = "/feeds/posts/default"


def _newer(artifact: Artifact) -> Artifact:
    body = artifact.body.replace(b"</feed>", b"<!-- a newer version --></feed>")
    return replace(artifact, body=body, etag=etag_for(body), body_gzip=b"", body_br=b"")


def _served(demo: Client) -> Artifact:
    app = demo.server.app
    site = app[SITES].default
    feed = app[FEEDS].cache.peek((site.id, FEED, FeedFormat.ATOM))
    assert feed is not None
    return replace(feed.artifact, body=feed.bodies["identity"])


async def test_a_version_served_and_not_yet_stored_is_what_a_starting_follower_is_sent(
        demo: Client) -> None:
    app = demo.server.app
    told: list[list[Artifact]] = []
    app[FEEDS].listeners.append(lambda changed, _dropped: told.append(changed))
    newer = _newer(_served(demo))

    app[FEEDS].apply_changes([newer], [])  # served: the regeneration stores it next

    assert told == [[newer]]
    assert app[FEEDS].unstored() == [newer]
    app[PUBLISHER].remember([newer])  # stored: a follower reads it back itself
    assert app[FEEDS].unstored() == []


async def test_a_follower_reading_the_store_keeps_the_newer_version_it_was_sent(
        demo: Client) -> None:
    app = demo.server.app
    stored = _served(demo)
    newer = _newer(stored)
    service = app[FEEDS]
    old = service.cache
    service.cache = FeedCache(old.budget, old.variant_entries)  # a new follower's: empty
    service.apply_changes([newer], [])  # as a follower applies the leader's message

    assert await service.load() > 0  # every other stored artifact read back ...

    feed = service.cache.peek((stored.site_id, FEED, FeedFormat.ATOM))
    assert feed is not None and feed.artifact.etag == newer.etag  # ... but not over this one
    assert feed.bodies["identity"] == newer.body
    rss = service.cache.peek((stored.site_id, FEED, FeedFormat.RSS))
    assert rss is not None and rss.bodies  # read back from the store
