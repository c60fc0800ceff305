"""Polling is cheap: a pre-rendered feed costs no rendering and no database query; a restart
serves at once; memory stays within its budget; a variant is rendered once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from feeds.store import Store
from server.app import create_app
from server.clock import FakeClock
from server.keys import FEEDS, PUBLISHER, STORE
from tests.server.conftest import Client

QUIET = {"feeds": {"change_poll_seconds": 60}}  # no background polling during the count


@contextmanager
def counting_sql(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", record)


async def _client(aiohttp_client: Any, make_settings: Any, clock: FakeClock, demo_template: Path,
                  tmp_path: Path, **sections: dict[str, object]) -> Client:
    import shutil

    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    app = create_app(make_settings(**{**QUIET, **sections}), clock=clock)
    client: Client = await aiohttp_client(app)
    # Artifacts are stored before their compressed bodies: let those be made first.
    await app[FEEDS].compressions_done()
    return client


async def test_a_pre_rendered_feed_is_served_with_no_rendering_and_no_query(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path,
) -> None:
    client = await _client(aiohttp_client, make_settings, clock, demo_template, tmp_path)
    app = client.server.app
    rendered = app[PUBLISHER].documents_rendered
    with counting_sql(app[STORE]) as statements:
        for url in ("/feeds/posts/default", "/feeds/posts/summary?alt=rss", "/feed.json",
                    "/feeds/posts/default/-/feeds", "/feeds/comments/default"):
            for _ in range(3):
                assert (await client.get(url)).status == 200
    assert statements == []
    assert app[PUBLISHER].documents_rendered == rendered


async def test_a_restart_serves_from_stored_artifacts_without_rendering(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path,
) -> None:
    client = await _client(aiohttp_client, make_settings, clock, demo_template, tmp_path)
    assert client.server.app[PUBLISHER].documents_rendered == 0
    assert (await client.get("/feeds/posts/default")).status == 200


async def test_past_the_memory_budget_feeds_come_from_the_artifacts_table_unrendered(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path,
) -> None:
    client = await _client(aiohttp_client, make_settings, clock, demo_template, tmp_path,
                           feeds={"memory_budget_mb": 1, "change_poll_seconds": 60})
    app = client.server.app
    cache = app[FEEDS].cache
    assert cache.resident_bytes <= 1024 * 1024
    urls = ["/feeds/posts/full", "/feeds/posts/full?alt=rss", "/feeds/posts/full?alt=json",
            "/feeds/posts/summary", "/feeds/posts/default?alt=rss"]
    bodies = {}
    for url in urls * 2:
        resp = await client.get(url)
        assert resp.status == 200
        body = await resp.read()
        assert bodies.setdefault(url, body) == body
        assert cache.resident_bytes <= 1024 * 1024
    assert app[PUBLISHER].documents_rendered == 0


async def test_a_query_variant_is_rendered_once_and_then_served_from_memory(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path,
) -> None:
    client = await _client(aiohttp_client, make_settings, clock, demo_template, tmp_path)
    publisher = client.server.app[PUBLISHER]
    first = await client.get("/feeds/posts/default?max-results=7&start-index=3")
    second = await client.get("/feeds/posts/default?max-results=7&start-index=3")
    assert await first.read() == await second.read()
    assert publisher.documents_rendered == 1


async def test_readers_asking_for_the_same_new_variant_at_once_share_one_render(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    demo_template: Path, tmp_path: Path,
) -> None:
    import asyncio

    client = await _client(aiohttp_client, make_settings, clock, demo_template, tmp_path)
    publisher = client.server.app[PUBLISHER]
    responses = await asyncio.gather(
        *(client.get("/feeds/posts/full?max-results=11&alt=rss") for _ in range(8))
    )
    bodies = {await r.read() for r in responses}
    assert len(bodies) == 1
    assert publisher.documents_rendered == 1
