"""One deployment, several blogs chosen by Host; and rendering that shares the event loop."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from feeds.models import FeedFormat, FeedMode
from feeds.render import FeedRenderer
from feeds.render.document import EntryDoc
from feeds.store import SiteSpec, open_store
from server import feed_service
from server.app import create_app
from server.clock import FakeClock
from tests.conftest import NOW
from tests.server.conftest import Client


async def test_the_host_header_picks_the_site_and_unknown_hosts_get_the_default(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path, sqlite_url: str,
) -> None:
    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    store = await open_store(sqlite_url)
    await store.create_site(SiteSpec("second.test", "The Second Blog", "", "http://second.test",
                                     "Europe/Lisbon", "pt", FeedMode.SUMMARY, 200), NOW)
    await store.close()
    client = await aiohttp_client(create_app(make_settings(), clock=clock))
    second = await client.get("/feeds/posts/default", headers={"Host": "second.test"})
    assert "<title>The Second Blog</title>" in await second.text()
    assert "http://second.test/feeds/posts/default" in second.headers["Link"]
    with_port = await client.get("/feeds/posts/default", headers={"Host": "SECOND.test:8080"})
    assert "<title>The Second Blog</title>" in await with_port.text()
    other = await client.get("/feeds/posts/default", headers={"Host": "elsewhere.example"})
    assert "Field Notes from the Syndic Workshop" in await other.text()


async def test_rendering_runs_on_the_event_loop_and_lets_other_requests_in_between(
    demo: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slice of 0: the loop gets a turn after every fragment (RENDER_SLICE is 5 ms).
    monkeypatch.setattr(feed_service, "RENDER_SLICE", 0.0)
    threads: list[str] = []
    turns_seen: list[int] = []
    turns = 0
    original = FeedRenderer.fragment

    def spy(self: FeedRenderer, fmt: FeedFormat, entry: EntryDoc) -> bytes:
        threads.append(threading.current_thread().name)
        turns_seen.append(turns)
        return original(self, fmt, entry)

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    monkeypatch.setattr(FeedRenderer, "fragment", spy)
    other = asyncio.create_task(other_work())
    try:
        resp = await demo.get("/feeds/posts/default?max-results=4")
    finally:
        other.cancel()
    assert resp.status == 200
    assert len(threads) == 4
    assert set(threads) == {threading.current_thread().name}
    assert len(set(turns_seen)) == 4  # other work ran between every two fragments
