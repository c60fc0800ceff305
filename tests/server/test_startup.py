"""A server with more feeds to render than its start-up allows (after a large import, say)
answers at once: the site feeds are rendered before it serves, a feed not rendered yet is
rendered for the reader who asks, and the rest render in the background."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import feedparser
import pytest

from feeds.models import FeedFormat
from server.app import create_app
from server.clock import FakeClock
from server.keys import SITES, STORE
from tests.server.conftest import Client

BUDGET = {"feeds": {"startup_render_seconds": 1e-6}}  # every site feed, then one batch


async def test_a_start_with_more_to_render_than_its_budget_serves_at_once_and_renders_the_rest(
    aiohttp_client: Callable[..., Awaitable[Client]],
    make_settings: Callable[..., Any],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="syndic")
    # A new store: the demo's 30 posts are added at start, and every feed of theirs is new.
    client = await aiohttp_client(create_app(make_settings(**BUDGET), clock=clock, demo=True))
    app = client.server.app
    store, site = app[STORE], app[SITES].default

    started = [r.getMessage() for r in caplog.records if r.getMessage().startswith("serving:")]
    assert len(started) == 1 and not started[0].endswith(" 0 feeds to render in the background")

    site_feed = json.loads(await (await client.get("/feeds/posts/default?alt=json")).read())
    assert len(site_feed["items"]) == 25
    # A label feed, whether the background has reached it or not, shows its posts.
    label = await client.get("/feeds/posts/default/-/gardening")
    parsed = feedparser.parse(await label.read())
    assert label.status == 200 and parsed.bozo == 0 and parsed.entries
    assert all("gardening" in {t.term for t in e.tags} for e in parsed.entries)

    for _ in range(500):
        if not await store.dirty_feeds():
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the feeds left at start were never rendered")
    stored = await store.artifact_bodies(site.id, "/feeds/posts/default/-/gardening", FeedFormat.ATOM)
    assert stored is not None and b"<entry>" in stored[0]
