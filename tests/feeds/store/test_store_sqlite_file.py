"""What only the SQLite file store does: the file's page size, the hot reads made on
connections of their own (StoreBase.reading) seeing what the async engine wrote, and the
query plans that keep a create's cost from growing with the site."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from feeds.models import FeedFormat, PostDraft
from feeds.posts import prepare_post
from feeds.query import parse_key_string
from feeds.store import open_store
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
