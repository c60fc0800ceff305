"""What a follower starting beside a busy leader is given (server/workers.py): the versions
the leader serves but has not stored yet, and, read back from the store, everything else,
never over a newer version it was sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from feeds.models import Artifact, FeedFormat
from feeds.render import etag_for
from server.feed_cache import FeedCache
from server.feed_service import FeedService
from server.keys import FEEDS, PUBLISHER, SITES, STORE
from tests.server.conftest import Client

FEED = "/feeds/posts/default"
ZIPPER = ThreadPoolExecutor(1)


def _newer(artifact: Artifact) -> Artifact:
    body = artifact.body.replace(b"</feed>", b"<!-- a newer version --></feed>")
    return replace(artifact, body=body, etag=etag_for(body), body_gzip=b"", body_br=b"")


def _new_follower(demo: Client) -> FeedService:
    """A follower's feed service as it starts: nothing in memory, nothing loaded yet."""
    app = demo.server.app
    old = app[FEEDS]
    service = FeedService(app[STORE], app[PUBLISHER],
                          FeedCache(old.cache.budget, old.cache.variant_entries),
                          lambda _site_id: None, 60, ZIPPER, 0.0)
    service.follower = True
    return service


def _a_label_feed(demo: Client) -> str:
    site = demo.server.app[SITES].default
    keys = {k for (s, k, _) in demo.server.app[FEEDS].cache.standard_keys() if s == site.id}
    return sorted(k for k in keys if "/-/" in k)[0]


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
    app[FEEDS].listeners.append(lambda changed, _dropped, _sites: told.append(changed))
    newer = _newer(_served(demo))

    app[FEEDS].apply_changes([newer], [])  # served: the regeneration stores it next

    assert told == [[newer]]
    assert app[FEEDS].unstored() == ([newer], [])
    app[PUBLISHER].remember([newer])  # stored: a follower reads it back itself
    assert app[FEEDS].unstored() == ([], [])


async def test_a_feed_dropped_and_not_yet_stored_as_dropped_is_sent_as_dropped(
        demo: Client) -> None:
    app = demo.server.app
    site = app[SITES].default
    label = _a_label_feed(demo)
    app[FEEDS].listeners.append(lambda changed, dropped, sites: None)

    app[FEEDS].apply_changes([], [(site.id, label)])  # the label emptied: its feed is gone

    assert app[FEEDS].unstored() == ([], [(site.id, label)])
    app[PUBLISHER].forget_feed(site.id, label)  # the drop stored
    assert app[FEEDS].unstored() == ([], [])


async def test_a_follower_reading_the_store_keeps_the_newer_version_it_was_sent(
        demo: Client) -> None:
    stored = _served(demo)
    newer = _newer(stored)
    service = _new_follower(demo)
    service.apply_changes([newer], [])  # as a follower applies the leader's message

    assert await service.load() > 0  # every other stored artifact read back ...
    await service.close()

    feed = service.cache.peek((stored.site_id, FEED, FeedFormat.ATOM))
    assert feed is not None and feed.artifact.etag == newer.etag  # ... but not over this one
    assert feed.bodies["identity"] == newer.body
    rss = service.cache.peek((stored.site_id, FEED, FeedFormat.RSS))
    assert rss is not None and rss.bodies  # read back from the store


async def test_a_follower_reading_the_store_leaves_out_a_feed_it_was_told_is_gone(
        demo: Client) -> None:
    app = demo.server.app
    site = app[SITES].default
    label = _a_label_feed(demo)
    service = _new_follower(demo)
    service.apply_changes([], [(site.id, label)])  # the leader dropped it; still stored

    await service.load()
    await service.close()

    assert service.cache.peek((site.id, label, FeedFormat.ATOM)) is None
    assert service.cache.peek((site.id, FEED, FeedFormat.ATOM)) is not None


async def test_what_a_starting_follower_is_sent_is_the_newest_news_of_each_feed(
        demo: Client) -> None:
    app = demo.server.app
    site = app[SITES].default
    app[FEEDS].listeners.append(lambda changed, dropped, sites: None)
    newer = _newer(_served(demo))

    app[FEEDS].apply_changes([], [(site.id, FEED)])  # dropped, then back with a version
    app[FEEDS].apply_changes([newer], [])
    assert app[FEEDS].unstored() == ([newer], [])

    app[FEEDS].apply_changes([], [(site.id, FEED)])  # and dropped again
    assert app[FEEDS].unstored() == ([], [(site.id, FEED)])
