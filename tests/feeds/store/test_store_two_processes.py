"""Two processes writing one SQLite file at once (`syndic serve` with workers, or the CLI
beside the server): every write lands, none fails with "database is locked" or
SQLITE_BUSY_SNAPSHOT. The store takes a lock on a file beside the database for each write
transaction (feeds/store/engine.py, StoreBase.write_turn)."""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.errors import StoreBusyError
from feeds.models import PostDraft
from feeds.posts import prepare_post
from feeds.store import engine, open_store
from server.clock import FakeClock
from tests.feeds.store.conftest import site_spec

WRITERS = 25
POSTS_EACH = 8
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def _write_many(url: str, tag: str) -> None:
    store = await open_store(url)
    try:
        [site] = await store.sites()

        async def writer(w: int) -> None:
            for i in range(POSTS_EACH):
                draft = PostDraft(title=f"{tag} {w} {i}", content_html=f"<p>{tag} {w} {i}</p>",
                                  published=NOW - timedelta(minutes=1), labels=(f"l{w % 3}",))
                post = prepare_post(site, draft, NOW)
                await store.write_post(post, ("/feeds/posts/default",), NOW, is_new=True)
                # A read-then-write transaction of another kind between the creates.
                await store.mark_dirty(site.id, [f"/feeds/posts/default/-/l{w % 3}"], NOW)

        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
    finally:
        await store.close()


def _child(url: str, tag: str) -> None:
    asyncio.run(_write_many(url, tag))


async def test_two_processes_creating_posts_at_once_both_get_every_post_stored(
        tmp_path: Path, clock: FakeClock) -> None:
    db = tmp_path / "site.db"
    url = f"sqlite:///{db}"
    store = await open_store(url)
    await store.create_site(site_spec(), clock.now(), True)
    await store.close()

    spawn = multiprocessing.get_context("spawn")
    children = [spawn.Process(target=_child, args=(url, tag)) for tag in ("a", "b")]
    for child in children:
        child.start()
    await asyncio.to_thread(lambda: [c.join(120) for c in children])
    assert [c.exitcode for c in children] == [0, 0]

    with sqlite3.connect(db) as conn:
        titles = {t for (t,) in conn.execute("SELECT title FROM posts")}
    assert len(titles) == 2 * WRITERS * POSTS_EACH


async def test_a_write_waits_while_another_process_holds_the_writer_lock(
        tmp_path: Path, clock: FakeClock) -> None:
    db = tmp_path / "site.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        site = await store.create_site(site_spec(), clock.now(), True)
        other = os.open(f"{db}.writer-lock", os.O_RDWR)  # another process's, as flock sees it
        fcntl.flock(other, fcntl.LOCK_EX)
        write = asyncio.create_task(store.mark_dirty(site.id, ["/feeds/posts/default"], NOW))
        await asyncio.sleep(0.3)
        assert not write.done()
        fcntl.flock(other, fcntl.LOCK_UN)
        await asyncio.wait_for(write, 5)

        # A writer cancelled while it waits leaves the lock free for the next one.
        fcntl.flock(other, fcntl.LOCK_EX)
        cancelled = asyncio.create_task(store.mark_dirty(site.id, ["/feeds/posts/default"], NOW))
        await asyncio.sleep(0.2)
        cancelled.cancel()
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
        await asyncio.wait_for(store.mark_dirty(site.id, ["/feeds/posts/default"], NOW), 5)
        await asyncio.sleep(0.1)  # the waiting thread got it and let it go again
        probe = os.open(f"{db}.writer-lock", os.O_RDWR)
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: no BlockingIOError
        os.close(probe)
    finally:
        await store.close()


async def test_a_write_gives_up_with_store_busy_when_another_process_never_lets_go(
        tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # A `syndic` process stopped (SIGSTOP) or hung while it holds the lock: a write answers
    # StoreBusyError (503 in the API, one line on the command line) instead of waiting.
    monkeypatch.setattr(engine, "WRITE_LOCK_WAIT", 0.3)
    db = tmp_path / "site.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        site = await store.create_site(site_spec(), clock.now(), True)
        other = os.open(f"{db}.writer-lock", os.O_RDWR)
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(StoreBusyError, match="another process has held its write lock"):
            await store.mark_dirty(site.id, ["/feeds/posts/default"], NOW)
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
        await asyncio.wait_for(store.mark_dirty(site.id, ["/feeds/posts/default"], NOW), 5)
    finally:
        await store.close()
