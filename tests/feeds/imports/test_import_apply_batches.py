"""Imports end to end on both engines, in batches: a run holds its site while it lasts (and no
longer once its heartbeat stops), a large import renders each feed once, after it, posts
prepared in worker processes are those prepared here, and an entry twice a batch apart is
stored then updated."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.wxr_gen import write_wxr
from feeds.feedset import FeedContext
from feeds.imports.apply import BATCH, Importer
from feeds.publishing import Publisher
from feeds.render import FeedRenderer, InlineRenderer
from server.importing import ImportSource, file_source, items_of, run_import
from server.jobs import IMPORT_HOLD
from tests.feeds.imports.conftest import EXPORTS, FIXTURES, Blog


async def test_a_run_whose_heartbeat_stopped_holds_its_site_no_longer(blog: Blog) -> None:
    run = await blog.store.start_import(blog.site.id, "wordpress:x", blog.clock.now())
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == {blog.site.id}
    blog.clock.advance(seconds=IMPORT_HOLD.total_seconds() + 1)  # the importer died
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()
    await blog.store.import_heartbeat(run.id, {}, blog.clock.now())
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == {blog.site.id}


# -- a large export: more than one batch ------------------------------------------------


@pytest.fixture(scope="session")
def large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wxr") / "large.xml"
    write_wxr(path, 1200)
    return path


class Watched(io.RawIOBase):
    """The export file, calling `probe` (once) when the parser has read past `at` bytes."""

    def __init__(self, path: Path, at: int, probe: Callable[[], None]) -> None:
        self.file, self.at, self.probe, self.read_so_far = path.open("rb"), at, probe, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        before, self.read_so_far = self.read_so_far, self.read_so_far + len(data)
        if before < self.at <= self.read_so_far:
            self.probe()
        return len(data)

    def close(self) -> None:
        self.file.close()
        super().close()


async def test_a_large_import_holds_the_site_and_its_feeds_render_once_after_it(
    blog: Blog, large_export: Path,
) -> None:
    # Short feeds (two entries): the story is how often each feed renders, not how long.
    blog.publisher = Publisher(blog.store, InlineRenderer(FeedRenderer(10**7)),
                               FeedContext(default_max=2, hub_url=None), 500)
    loop, seen = asyncio.get_running_loop(), dict[str, Any]()

    async def look() -> None:
        """Part-way through: what the regeneration job would find now. (The parser runs
        two batches ahead of the writes: wait for the first batch to be stored.)"""
        for _ in range(500):
            if await blog.store.list_posts(blog.site.id):
                break
            await asyncio.sleep(0.02)
        now = blog.clock.now()
        seen["state"] = (await blog.store.import_runs(blog.site.id))[0].state
        seen["held"] = held = await blog.store.held_sites(now, IMPORT_HOLD)
        seen["dirty"] = await blog.store.dirty_feeds()
        seen["dirty_unheld"] = await blog.store.dirty_feeds(held)
        seen["stored"] = len(await blog.store.list_posts(blog.site.id))
        seen["rendered"] = (await blog.publisher.regenerate_dirty(blog.sites, now, held=held)
                            ).rendered_keys

    def probe() -> None:  # the parser runs in a worker thread: ask the event loop
        asyncio.run_coroutine_threadsafe(look(), loop).result(timeout=60)

    stream = Watched(large_export, large_export.stat().st_size * 3 // 4, probe)
    with io.BufferedReader(stream) as buffered:
        report = await blog.run(ImportSource("wordpress", "large.xml", stream=buffered))

    assert report.posts_added == 1188 and report.items > 3 * BATCH  # 12 pages skipped
    assert seen["state"] == "running" and seen["held"] == {blog.site.id}
    assert 0 < seen["stored"] < 1188 and blog.site.id in seen["dirty"]
    assert seen["dirty_unheld"] == {} and seen["rendered"] == 0
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()

    keys = (await blog.store.dirty_feeds())[blog.site.id][1]
    assert await blog.dirty_rows() == len(keys)  # each feed marked once, not once per batch
    result = await blog.regenerate()
    assert result.rendered_keys == len(keys)
    assert blog.publisher.documents_rendered == 3 * (len(keys) - len(result.dropped))
    assert await blog.store.dirty_feeds() == {}

    with large_export.open("rb") as again:
        second = await blog.run(ImportSource("wordpress", "large.xml", stream=again))
    assert (second.posts_added, second.posts_updated, second.posts_unchanged) == (0, 0, 1188)
    assert (second.comments_added, second.comments_updated) == (0, 0)
    assert await blog.dirty_rows() == 0



@pytest.mark.parametrize("export", ["wxr-1.2", "blogger-takeout"])
async def test_posts_prepared_in_worker_processes_are_the_posts_prepared_here(
    blog: Blog, export: str,
) -> None:
    kind, name = EXPORTS[export]
    source = file_source(kind, (FIXTURES / name).read_bytes(), name)
    _, first = await run_import(blog.store, blog.site, blog.publisher.ctx, source,
                                blog.clock.now, workers=2)
    assert first.posts_added > 4  # enough for the pool to be used (two per worker)
    again = await blog.import_fixture(export)  # prepared in this process
    assert (again.posts_added, again.posts_updated) == (0, 0)
    assert again.posts_unchanged == first.posts_added
    assert again.skipped == first.skipped



@pytest.mark.parametrize("workers", [0, 2])
async def test_an_entry_twice_in_an_export_a_batch_apart_is_stored_then_updated(
    blog: Blog, workers: int,
) -> None:
    # Batches of one post: the second copy is looked up while the first is still being
    # written (the importer prepares a batch while it writes the one before).
    def item(guid: str, title: str, day: int) -> str:
        return (f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title>"
                f"<description>&lt;p&gt;{title}&lt;/p&gt;</description>"
                f"<pubDate>Mon, 0{day} Jul 2024 10:00:00 +0000</pubDate></item>")
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
           "<link>https://old.example/</link><description>d</description>"
           + item("same-guid", "First version", 1) + item("same-guid", "Second version", 1)
           + item("other", "Other", 2) + "</channel></rss>").encode()
    importer = Importer(blog.store, blog.site, blog.publisher.ctx, blog.clock.now(), batch=1,
                        workers=workers)
    report = await importer.run(items_of(file_source("feed", rss, "feed.xml"),
                                         ZoneInfo("UTC")))
    assert (report.posts_added, report.posts_updated, report.skipped) == (2, 1, [])
    posts = await blog.store.posts_by_entry_id(blog.site.id, ["same-guid"])
    assert posts["same-guid"].title == "Second version"
