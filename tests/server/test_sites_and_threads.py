"""One deployment, several blogs chosen by Host; and rendering kept off the event loop."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from feeds.models import FeedMode
from feeds.render import FeedRenderer
from feeds.store import SiteSpec, open_store
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


async def test_rendering_runs_on_the_render_thread_not_the_event_loop(
    demo: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    original = FeedRenderer.render

    def spy(self: FeedRenderer, doc: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return original(self, doc)

    monkeypatch.setattr(FeedRenderer, "render", spy)
    resp = await demo.get("/feeds/posts/default?max-results=4")
    assert resp.status == 200
    assert threads and all(name.startswith("syndic-render") for name in threads)
    assert threading.current_thread().name not in threads
