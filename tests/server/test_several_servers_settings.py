"""Servers on one store during a rolling change of the settings that shape feed bytes (a
new WebSub hub): no stored feed keeps the old hub once a server with the new one has
started, without `syndic regenerate`. A server restarted with the new settings renders again
what an old server stored meanwhile, and the server started last (new settings) renders
again what an old one stores while both run; the old one never renders back what the new
one stored (no two servers undo each other's renders in turn).

Real apps on one SQLite file and one FakeClock (tests/server/test_several_servers.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from feeds.models import FeedFormat
from server.keys import PUBLISHER, SITES
from tests.server.api_conftest import Api, until
from tests.server.test_restart_settings import LABEL_FEED, SITE_FEED, hubs_named, stored

ApiMaker = Callable[..., Awaitable[Api]]
OLD, NEW = "https://old-hub.test/", "https://new-hub.test/"
QUIET = {"change_poll_seconds": 60}
"""A server that does not look at what others store while the story runs."""


async def hubs(api: Api, key: str = SITE_FEED) -> set[str]:
    return set(hubs_named(await stored(api.client, key)).values())


async def names(api: Api, key: str, hub: str, title: str) -> bool:
    """Whether every stored format of the feed names `hub` and shows `title`."""
    site_id = api.app[SITES].default.id
    for fmt in FeedFormat:
        if await api.store.artifact_bodies(site_id, key, fmt) is None:
            return False
    bodies = await stored(api.client, key)
    return set(hubs_named(bodies).values()) == {hub} and all(
        title.encode() in body for body in bodies.values())


async def test_an_old_server_restarted_with_the_new_hub_renders_what_it_stored_meanwhile(
        make_api: ApiMaker) -> None:
    old = await make_api(websub={"hub_url": OLD})
    new = await make_api(websub={"hub_url": NEW}, feeds=QUIET)  # started last
    assert await hubs(new) == {NEW}  # its start rendered every feed again
    # The old server renders a change with the old hub, as its settings say.
    await old.create_post(title="Before the restart", labels=["feeds"])
    for key in (SITE_FEED, LABEL_FEED):
        await until(partial(names, old, key, OLD, "Before the restart"), bool)
    # Every feed the post touched (its author's too) rendered before the old one stops.
    await until(old.store.dirty_feeds, lambda dirty: not dirty)
    await old.client.close()

    restarted = await make_api(websub={"hub_url": NEW}, feeds=QUIET)
    for key in (SITE_FEED, LABEL_FEED, "/feeds/comments/default"):
        await until(partial(hubs, restarted, key), lambda named: named == {NEW})
    assert await names(restarted, SITE_FEED, NEW, "Before the restart")
    await restarted.client.close()

    again = await make_api(websub={"hub_url": NEW}, feeds=QUIET)
    assert again.app[PUBLISHER].documents_rendered == 0  # nothing left made otherwise


async def test_the_server_started_last_renders_again_what_an_old_one_stores_and_no_more(
        make_api: ApiMaker) -> None:
    old = await make_api(websub={"hub_url": OLD})
    new = await make_api(websub={"hub_url": NEW})  # started last; polls every 0.05 s
    await old.create_post(title="Through the old server", labels=["feeds"])
    for key in (SITE_FEED, LABEL_FEED):
        await until(partial(names, new, key, NEW, "Through the old server"), bool)
    # The other feeds the post touched (its author's) rendered by the old server, and
    # again by the new one at its next look (every 0.05 s).
    await until(old.store.dirty_feeds, lambda dirty: not dirty)
    await asyncio.sleep(0.3)

    # Neither renders it again: the old server serves the version the new one stored.
    rendered = (old.app[PUBLISHER].documents_rendered, new.app[PUBLISHER].documents_rendered)
    await asyncio.sleep(0.5)
    assert (old.app[PUBLISHER].documents_rendered,
            new.app[PUBLISHER].documents_rendered) == rendered
    assert await names(old, SITE_FEED, NEW, "Through the old server")
    served = await until(partial(old.feed, SITE_FEED), lambda r: NEW in r.text)
    assert "Through the old server" in served.text
