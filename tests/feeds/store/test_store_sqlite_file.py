"""What only the SQLite file store does: the file's page size, the hot reads made on
connections of their own (StoreBase.reading) seeing what the async engine wrote, reads on
the event loop's own connection (reads_on_loop), and the query plans that keep a create's
cost from growing with the site."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from feeds.models import FeedFormat, PostDraft
from feeds.posts import prepare_post
from feeds.query import parse_key_string
from feeds.store import open_store, reads_on_loop
from feeds.store.engine import SQLITE_PAGE_SIZE
from feeds.store.new_posts import stored_clashes
from server.clock import FakeClock
from tests.feeds.store.conftest import site_spec


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        size: int = conn.execute("PRAGMA page_size").fetchone()[0]
        return size


async def test_a_new_database_file_has_the_large_pages_artifact_bodies_want(tmp_path: Path,
                                                                          ) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'new.db'}")
    await store.close()
    assert _page_size(tmp_path / "new.db") == SQLITE_PAGE_SIZE


async def test_an_existing_file_keeps_its_page_size_and_opens_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # made by an older syndic: 4 KiB pages, WAL
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE before_us (x INTEGER)")
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    assert _page_size(path) == 4096


async def test_a_post_just_written_is_in_the_next_feed_page_read(tmp_path: Path,
                                                                  clock: FakeClock) -> None:
    # The page is read on the reader's own connection, the post written on the engine's.
    store = await open_store(f"sqlite:///{tmp_path / 'site.db'}")
    try:
        site = await store.create_site(site_spec(), clock.now(), True)
        key = parse_key_string("/feeds/posts/default", 25, 500)
        assert (await store.select_posts(site.id, key, clock.now())).total == 0
        draft = PostDraft(title="Hello", content_html="<p>Hi</p>",
                          published=clock.now() - timedelta(minutes=1))
        post = await store.write_post(prepare_post(site, draft, clock.now()), (), clock.now(),
                                      is_new=True)
        page = await store.select_posts(site.id, key, clock.now())
        assert [p.id for p in page.posts] == [post.id]
        assert (await store.artifact_bodies(site.id, "/feeds/posts/default", FeedFormat.ATOM)
                is None)
    finally:
        await store.close()


async def test_creates_written_together_look_up_their_slugs_by_index_not_by_walking_the_site(
        tmp_path: Path) -> None:
    # The group commit's clash check (feeds/store/new_posts.py) ran `site_id = ? AND (slug
    # IN (..) OR entry_id IN (..))`, which SQLite answered by walking every post of the
    # site: a batch of creates into a 100,000-post blog read 100,000 rows.
    path = tmp_path / "site.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    query = stored_clashes([(1, ["a-slug", "b-slug"], ["tag:x,2026:1"]),
                            (2, ["c-slug"], ["tag:y,2026:2", "tag:y,2026:3"])])
    sql = str(query.compile(dialect=sqlite_dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(path) as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert len(searches) == 4, plan
    assert all(step.startswith("SEARCH posts USING INDEX sqlite_autoindex_posts")
               for step in searches), plan


async def test_reads_asked_for_on_the_loop_run_on_it_and_see_the_latest_write(
    tmp_path: Path, clock: FakeClock
) -> None:
    # The site feeds' run reads on the event loop's own connection (reads_on_loop): no
    # hand-over to a store thread, and still the latest committed post.
    store = await open_store(f"sqlite:///{tmp_path / 'site.db'}")
    try:
        site = await store.create_site(site_spec(), clock.now(), True)
        key = parse_key_string("/feeds/posts/default", 25, 500)
        threads: list[str] = []

        def where(conn: Connection) -> int:
            threads.append(threading.current_thread().name)
            return len(conn.execute(text("SELECT id FROM posts")).all())

        with reads_on_loop():
            assert await store.reading(where) == 0
            assert (await store.select_posts(site.id, key, clock.now())).total == 0
        assert await store.reading(where) == 0
        assert threads[0] == threading.current_thread().name
        assert threads[1].startswith("syndic-sql")
        draft = PostDraft(title="Hello", content_html="<p>Hi</p>",
                          published=clock.now() - timedelta(minutes=1))
        await store.write_post(prepare_post(site, draft, clock.now()), (), clock.now(),
                               is_new=True)
        with reads_on_loop():
            assert (await store.select_posts(site.id, key, clock.now())).total == 1
    finally:
        await store.close()


async def test_a_read_on_the_loop_that_finds_the_file_locked_goes_to_a_thread(
    tmp_path: Path, clock: FakeClock
) -> None:
    # In WAL mode a reader waits only in rare moments (a checkpoint resetting the log,
    # recovery); the loop's connection gives up after INLINE_BUSY_MS and the read is
    # handed to a store thread, which may wait. SQLite's answer is what `work` raises:
    # making a WAL reader busy on purpose needs no other connection open to the file.
    store = await open_store(f"sqlite:///{tmp_path / 'site.db'}")
    try:
        await store.create_site(site_spec(), clock.now(), True)
        threads: list[str] = []

        def work(conn: Connection) -> int:
            threads.append(threading.current_thread().name)
            if len(threads) == 1:
                raise OperationalError("SELECT", {}, sqlite3.OperationalError(
                    "database is locked"))
            return len(conn.execute(text("SELECT id FROM sites")).all())

        def broken(conn: Connection) -> int:
            raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

        with reads_on_loop():
            assert await store.reading(work) == 1
            with pytest.raises(OperationalError):  # not a lock: no second try
                await store.reading(broken)
        assert threads[0] == threading.current_thread().name
        assert threads[1].startswith("syndic-sql")
    finally:
        await store.close()
