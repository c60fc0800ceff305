"""Drafts, scheduled posts not yet due and deleted posts never appear in a public feed; a
scheduled post appears once its time comes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from feeds.models import FeedFormat, Post, PostDraft, PostStatus
from feeds.render import etag_for
from server.clock import FakeClock
from server.http_cache import coded_etag
from server.keys import CLOCK, PUBLISHER, SITES, STORE
from server.keys import FEEDS as FEED_SERVICE
from server.scheduler import JOB_STATE
from tests.server.conftest import Client

FEEDS = ["/feeds/posts/default?alt=json&max-results=500",
         "/feeds/posts/summary?alt=json&max-results=500",
         "/feeds/posts/default/-/secret?alt=json"]


async def _ids_everywhere(demo: Client) -> set[str]:
    ids: set[str] = set()
    for url in FEEDS:
        resp = await demo.get(url)
        if resp.status == 200:
            ids |= {item["id"] for item in json.loads(await resp.read())["items"]}
    return ids


async def _settle(demo: Client) -> None:
    """Until the regeneration job has caught up with the store and the clock."""
    app = demo.server.app
    state = app[JOB_STATE]
    for _ in range(500):
        async with state.running:
            caught_up = (not await app[STORE].dirty_feeds()
                         and state.due_checked_until >= app[CLOCK].now())
        if caught_up:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the regeneration job never caught up")


async def test_drafts_future_and_scheduled_posts_never_leak_until_due(
    demo: Client, clock: FakeClock
) -> None:
    app = demo.server.app
    site, publisher, now = app[SITES].default, app[PUBLISHER], clock.now()

    def draft(title: str, status: PostStatus, published_in: timedelta) -> PostDraft:
        return PostDraft(title=title, content_html="<p>secret</p>", labels=("secret",),
                         published=now + published_in, status=status)

    hidden = [
        await publisher.add_post(site, draft("A draft", PostStatus.DRAFT, -timedelta(days=1)),
                                 now),
        await publisher.add_post(
            site, draft("Scheduled", PostStatus.SCHEDULED, timedelta(hours=1)), now),
        await publisher.add_post(
            site, draft("Dated tomorrow", PostStatus.PUBLISHED, timedelta(days=1)), now),
    ]
    gone = await publisher.add_post(site, draft("Soon deleted", PostStatus.PUBLISHED,
                                                -timedelta(hours=1)), now)
    await _settle(demo)
    assert gone.entry_id in await _ids_everywhere(demo)
    await publisher.delete_post(site, gone, now)
    await _settle(demo)
    ids = await _ids_everywhere(demo)
    assert not ({p.entry_id for p in hidden} | {gone.entry_id}) & ids

    clock.advance(hours=2)  # the scheduled post comes due; tomorrow's post does not
    await _settle(demo)
    ids = await _ids_everywhere(demo)
    assert hidden[1].entry_id in ids
    assert hidden[0].entry_id not in ids and hidden[2].entry_id not in ids
    assert gone.entry_id not in ids


@asynccontextmanager
async def _served_while_nothing_is_stored(demo: Client, title: str) -> AsyncIterator[Post]:
    """A new post, shown in the site feed by regeneration while the one SQLite writer is
    held (so nothing regeneration rendered can be stored until the block ends)."""
    app = demo.server.app
    site, state, store = app[SITES].default, app[JOB_STATE], app[STORE]
    now = app[CLOCK].now()
    await state.running.acquire()  # the site feeds job waits while the post is written
    try:
        post = await app[PUBLISHER].add_post(
            site, PostDraft(title=title, content_html="<p>now</p>", published=now), now)
    except BaseException:
        state.running.release()
        raise
    async with store.writing():  # the writer is busy from here on
        state.running.release()
        for _ in range(150):
            feed = json.loads(await (await demo.get("/feeds/posts/default?alt=json")).read())
            if feed["items"][0]["id"] == post.entry_id:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the post was not served while the writer was busy")
        yield post


async def test_a_new_post_is_served_while_the_one_writer_is_busy_and_stored_after(
    demo: Client,
) -> None:
    """Regeneration serves a changed feed as soon as it is rendered: storing it waits for
    the one SQLite writer (behind the creates), and readers do not wait for that."""
    site, store = demo.server.app[SITES].default, demo.server.app[STORE]
    async with _served_while_nothing_is_stored(demo, "Served first") as post:
        stored = await store.artifact_bodies(site.id, "/feeds/posts/default", FeedFormat.JSON)
        assert stored is not None and post.entry_id.encode() not in stored[0]
    await _settle(demo)
    stored = await store.artifact_bodies(site.id, "/feeds/posts/default", FeedFormat.JSON)
    assert stored is not None and post.entry_id.encode() in stored[0]


async def test_a_feed_whose_bodies_memory_gave_up_before_it_was_stored_is_served_whole(
    demo: Client,
) -> None:
    """A regenerated feed is served before it is stored. If memory gives its bodies up in
    between (the byte budget), the table still holds the version before: the reader gets
    the new version's bytes, never the old bytes under the new ETag."""
    cache = demo.server.app[FEED_SERVICE].cache
    async with _served_while_nothing_is_stored(demo, "Evicted early") as post:
        await demo.get("/feeds/posts/default?alt=rss")  # the JSON feed is not the newest read
        cache.budget = 0
        cache._evict()  # every feed but the newest read gives its bodies up
        resp = await demo.get("/feeds/posts/default?alt=json")
        body = await resp.read()
        assert resp.status == 200
        assert json.loads(body)["items"][0]["id"] == post.entry_id
        coding = resp.headers.get("Content-Encoding", "identity")  # body: decompressed
        assert resp.headers["ETag"] == coded_etag(etag_for(body), coding)
