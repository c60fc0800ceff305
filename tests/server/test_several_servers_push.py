"""Two `syndic serve` on one store, a WebSub subscriber to the site feed: when both servers
look at the same change at the same moment and both render it, the subscriber is pushed
that version once, not once per server; a new version after it is pushed too, and so is a
feed that goes back to what it was before (a new version, though its bytes were seen).

Both servers are real apps on one SQLite file, with their own hub, outbox and scheduler;
the subscriber is a real aiohttp server on loopback. "At the same moment" is made certain:
both render from one read of the dirty rows, as two runs that started together do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import partial

import pytest

from feeds.models import Post, PostDraft
from server.keys import FEEDS, SITES, WAKE_OUTBOX
from tests.server.api_conftest import Api, until
from tests.server.websub_subscriber import Subscriber, start_subscriber

ApiMaker = Callable[..., Awaitable[Api]]
TOPIC = "http://blog.test/feeds/posts/default"
# The jobs poll once a minute: a change is rendered when the test says so, by both.
QUIET = {"websub": {"allow_private_callbacks": True, "retry_base_seconds": 0.05,
                    "retry_max_seconds": 0.2},
         "scheduler": {"outbox_poll_seconds": 0.05},
         "feeds": {"change_poll_seconds": 60}}


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    sub = await start_subscriber()
    yield sub
    await sub.server.close()


async def subscribed(first: Api, sub: Subscriber) -> None:
    form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": sub.url()}
    assert (await first.client.post("/hub", data=form)).status == 202
    await until(partial(first.store.page_subscriptions, 10, 0), lambda page: page[0] == 1)


async def both_render_at_once(first: Api, second: Api) -> None:
    """One read of the dirty rows, then each server renders and stores what it names (its
    regeneration job's work after that read). The second stores it after the first's push
    was sent (it was the slower): a second push could not be folded into the first."""
    dirty = await first.store.dirty_feeds()
    assert dirty
    for api in (first, second):
        result = await api.publisher.regenerate_dirty(
            api.app[SITES].by_id, api.clock.now(), on_batch=api.app[FEEDS].apply, dirty=dirty)
        assert result.rendered_keys > 0  # each rendered it: neither found it done
        if result.deliveries:
            api.app[WAKE_OUTBOX]()
        await settled(api)
    assert not await first.store.dirty_feeds()


def draft(title: str, published: datetime) -> PostDraft:
    return PostDraft(title, "<p>Words.</p>", published)


async def rename(api: Api, post: Post, title: str) -> Post:
    site = api.app[SITES].default
    return await api.publisher.update_post(site, post, PostDraft(
        title, post.content_html, post.published, updated=post.updated, slug=post.slug),
        api.clock.now())


async def settled(api: Api) -> None:
    """Every delivery finished (sent, or failed for good)."""
    await until(partial(api.store.page_deliveries, 1, 0, "pending"), lambda p: p[0] == 0)
    await until(partial(api.store.page_deliveries, 1, 0, "sending"), lambda p: p[0] == 0)
    await asyncio.sleep(0.3)  # both outboxes poll every 0.05 s: a late row would show


async def test_a_change_both_servers_render_is_pushed_once_and_the_next_one_too(
        make_api: ApiMaker, subscriber: Subscriber) -> None:
    first, second = await make_api(**QUIET), await make_api(**QUIET)
    await subscribed(first, subscriber)
    site = first.app[SITES].default
    # Written as the command line writes (no server is woken): both find it when they look.
    await first.publisher.add_post(site, draft("Once only", first.clock.now()),
                                   first.clock.now())
    await both_render_at_once(first, second)
    assert len(subscriber.deliveries) == 1
    assert b"Once only" in subscriber.deliveries[0].body
    assert subscriber.deliveries[0].body == (await first.feed()).text.encode()

    # A new version is no duplicate: it is pushed, once.
    first.clock.advance(minutes=1)
    newest = await first.publisher.add_post(site, draft("Then this", first.clock.now()),
                                            first.clock.now())
    await both_render_at_once(first, second)
    assert len(subscriber.deliveries) == 2
    assert b"Then this" in subscriber.deliveries[1].body

    # Its title changed, then given back (its date kept): the feed's bytes are those of
    # the second version again, a version all the same (the subscriber holds the one
    # before), pushed once.
    renamed = await rename(first, newest, "Renamed")
    await both_render_at_once(first, second)
    await rename(first, renamed, "Then this")
    await both_render_at_once(first, second)
    assert len(subscriber.deliveries) == 4
    assert subscriber.deliveries[3].body == subscriber.deliveries[1].body
    assert b"Renamed" in subscriber.deliveries[2].body
