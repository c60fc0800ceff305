"""The settings that shape a feed's bytes reach the stored feeds at the next start: a new
WebSub hub (or none) is named by every stored Atom, RSS and JSON body as by the Link
header, and a new feeds.default_max_results gives every stored feed that many entries,
without `syndic regenerate`. A restart with the same settings renders nothing."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from feeds.feedset import FeedContext
from feeds.models import FeedFormat
from server.app import create_app
from server.clock import FakeClock
from server.keys import PUBLISHER, SITES, STORE
from server.made_with import CONTEXT_SETTINGS, feed_context
from tests.server.api_conftest import until
from tests.server.conftest import Client

Start = Callable[..., Awaitable[Client]]
ATOM = "{http://www.w3.org/2005/Atom}"
SITE_FEED = "/feeds/posts/default"
LABEL_FEED = "/feeds/posts/default/-/feeds"


@pytest.fixture
def start(aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any,
          clock: FakeClock, demo_template: Path, tmp_path: Path) -> Start:
    """Start syndic on the demo blog's store (the same file at every start, as a restart
    does), with `sections` overriding settings."""
    shutil.copyfile(demo_template, tmp_path / "syndic.db")

    async def run(**sections: dict[str, object]) -> Client:
        client = await aiohttp_client(create_app(make_settings(**sections), clock=clock))
        store = client.server.app[STORE]
        await until(store.dirty_feeds, lambda dirty: not dirty)  # the background's share
        return client

    return run


async def stored(client: Client, key: str) -> dict[FeedFormat, bytes]:
    app = client.server.app
    site = app[SITES].default
    out = {}
    for fmt in FeedFormat:
        found = await app[STORE].artifact_bodies(site.id, key, fmt)
        assert found is not None, (key, fmt)
        out[fmt] = found[0]
    return out


def hubs_named(bodies: dict[FeedFormat, bytes]) -> dict[FeedFormat, str]:
    """The hub each stored format names at feed level ("" for none)."""
    atom = etree.fromstring(bodies[FeedFormat.ATOM])
    channel = etree.fromstring(bodies[FeedFormat.RSS]).find("channel")
    assert channel is not None
    hubs = json.loads(bodies[FeedFormat.JSON]).get("hubs", [])
    return {
        FeedFormat.ATOM: _hub_link(atom),
        FeedFormat.RSS: _hub_link(channel),
        FeedFormat.JSON: hubs[0]["url"] if hubs else "",
    }


def _hub_link(parent: Any) -> str:
    links = [link.get("href") for link in parent.findall(f"{ATOM}link")
             if link.get("rel") == "hub"]
    assert len(links) <= 1
    return links[0] if links else ""


async def test_a_restart_with_another_hub_stores_feeds_naming_it_as_the_link_header_does(
    start: Start,
) -> None:
    first = await start()
    assert set(hubs_named(await stored(first, SITE_FEED)).values()) == {"http://blog.test/hub"}
    await first.close()

    hub = "https://hub.example.net/"
    second = await start(websub={"hub_url": hub})
    reply = await second.get(SITE_FEED)
    assert f"<{hub}>; rel=\"hub\"" in reply.headers["Link"]
    for key in (SITE_FEED, LABEL_FEED, "/feeds/comments/default"):
        assert set(hubs_named(await stored(second, key)).values()) == {hub}, key
    assert hub.encode() in await reply.read()
    await second.close()

    # No hub at all: neither the header nor any stored body names one.
    third = await start(websub={"hub_url": "", "own_hub": False})
    assert "rel=\"hub\"" not in (await third.get(SITE_FEED)).headers["Link"]
    for key in (SITE_FEED, LABEL_FEED):
        assert set(hubs_named(await stored(third, key)).values()) == {""}, key


async def test_a_restart_with_another_page_size_stores_feeds_of_that_many_entries(
    start: Start, caplog: pytest.LogCaptureFixture,
) -> None:
    first = await start()
    assert len(json.loads((await stored(first, SITE_FEED))[FeedFormat.JSON])["items"]) == 25
    await first.close()

    caplog.set_level(logging.INFO, logger="syndic")
    second = await start(feeds={"default_max_results": 10})
    said = [r.getMessage() for r in caplog.records if "other settings" in r.getMessage()]
    assert said and "feeds.default_max_results 25 -> 10" in said[0]
    for fmt, body in (await stored(second, SITE_FEED)).items():
        count = (len(json.loads(body)["items"]) if fmt is FeedFormat.JSON
                 else body.count(b"<entry>" if fmt is FeedFormat.ATOM else b"<item>"))
        assert count == 10, fmt
    served = json.loads(await (await second.get(SITE_FEED + "?alt=json")).read())
    assert len(served["items"]) == 10
    await second.close()

    # Feeds with fewer entries than either page size kept their bytes (and their version):
    # only their record changed, so the next start finds nothing made otherwise.
    third = await start(feeds={"default_max_results": 10})
    assert third.server.app[PUBLISHER].documents_rendered == 0


async def test_a_restart_with_the_same_settings_renders_nothing(start: Start) -> None:
    first = await start(feeds={"default_max_results": 7}, websub={"hub_url": "https://h.test/"})
    await first.close()
    again = await start(feeds={"default_max_results": 7, "cache_max_age": 60},
                        websub={"hub_url": "https://h.test/", "max_attempts": 3})
    assert again.server.app[PUBLISHER].documents_rendered == 0


def test_every_part_of_the_feed_context_is_a_recorded_setting() -> None:
    # A new FeedContext field is something of the settings that reaches feed bytes: it must
    # be named here, so that a start notices when it changes.
    assert [f.name for f in dataclasses.fields(FeedContext)] == list(CONTEXT_SETTINGS)
    from config import load_settings

    base = load_settings(environ={})
    changed = {"feeds.default_max_results": {"feeds": {"default_max_results": 3}},
               "websub.hub_url": {"websub": {"hub_url": "https://h.test/"}},
               "websub.own_hub": {"websub": {"own_hub": False}}}
    for name, overrides in changed.items():
        other = feed_context(load_settings(environ={}, overrides=overrides))
        assert other != feed_context(base), name
