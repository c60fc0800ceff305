"""Ids are never given twice: a site, post or comment made after one was deleted does not
get its id (nor, so, its URLs: /feeds/POSTID/comments/default, #comment-ID, the feed cache's
keys), on both engines; and revision 0007 makes it so on an SQLite file made before it,
keeping every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, func, select

from feeds.models import Artifact, Author, Comment, FeedFormat, PostDraft, Site
from feeds.posts import prepare_post
from feeds.store import Store, open_store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, MakeSite, alembic, site_spec

REBUILT = ("sites", "posts", "comments")


def _comment(site: Site, post_id: int, n: int, clock: FakeClock) -> Comment:
    now = clock.now()
    return Comment(0, post_id, site.id, f"tag:{site.host},2026:c-{n}", Author(f"R{n}"),
                   f"<p>{n}</p>", now, now)


async def test_ids_of_a_deleted_site_and_of_its_posts_and_comments_are_not_given_again(
    store: Store, site: Site, make_site: MakeSite, add_post: AddPost, clock: FakeClock,
) -> None:
    other = await make_site("other.test")
    last_post = await add_post("Last post of the other blog", on=other)
    last_comment = await store.add_comment(_comment(other, last_post.id, 1, clock), [],
                                           clock.now())
    await store.delete_site(other.id)

    newer = await make_site("newer.test")
    post = await add_post("First post of the newer blog", on=newer)
    comment = await store.add_comment(_comment(newer, post.id, 2, clock), [], clock.now())
    assert newer.id > other.id and post.id > last_post.id and comment.id > last_comment.id
    await store.delete_comment(comment, [], clock.now())
    again = await store.add_comment(_comment(newer, post.id, 3, clock), [], clock.now())
    assert again.id > comment.id


# -- revision 0007 on a file made before it (SQLite only: PostgreSQL's sequences never gave
# an id twice) --------------------------------------------------------------------------


def _made_before_0007(path: Path) -> None:
    """The schema as revision 0006 left it: no AUTOINCREMENT."""
    old = MetaData()
    for table in t.metadata.sorted_tables:
        copy = table.to_metadata(old)
        copy.dialect_options["sqlite"]._non_defaults.pop("autoincrement", None)
    engine = create_engine(f"sqlite:///{path}")
    old.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('0006')")
    engine.dispose()


def _tables_sql(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return {name: sql or "" for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


async def _a_blog(store: Store, clock: FakeClock) -> tuple[Site, Site, int, int]:
    """A default blog and another, each with a labelled post, a comment and an artifact;
    then the other's post deleted with its site: (default, other, its post id, comment id)."""
    main = await store.create_site(site_spec(), clock.now(), True)
    other = await store.create_site(site_spec("other.test", "http://other.test"), clock.now())
    ids = []
    for site in (main, other):
        draft = PostDraft(title=f"On {site.host}", content_html="<p>x</p>",
                          published=clock.now(), labels=("kept",))
        post = await store.write_post(prepare_post(site, draft, clock.now()), (), clock.now(),
                                      is_new=True)
        comment = await store.add_comment(_comment(site, post.id, site.id, clock), [],
                                          clock.now())
        ids.append((post.id, comment.id))
        body = f"feed of {site.host}".encode()
        await store.save_artifacts([Artifact(site.id, "/feeds/posts/default", FeedFormat.ATOM,
                                             body, '"e"', None, "application/atom+xml",
                                             f"{site.base_url}/feeds/posts/default")],
                                   clock.now(), None)
    return main, other, *ids[1]


async def test_revision_0007_keeps_every_row_and_ids_are_not_given_again_after_it(
    tmp_path: Path, clock: FakeClock,
) -> None:
    path = tmp_path / "before-0007.db"
    _made_before_0007(path)
    before = _tables_sql(path)
    assert "AUTOINCREMENT" not in before["sites"]
    older = await open_store(f"sqlite:///{path}", run_migrations=False)
    main, other, post_id, comment_id = await _a_blog(older, clock)
    await older.close()

    store = await open_store(f"sqlite:///{path}")  # migrates
    try:
        after = _tables_sql(path)
        for name in REBUILT:
            assert "AUTOINCREMENT" in after[name], name
        # Every index is there again, as it was.
        assert {n: s for n, s in after.items() if n not in REBUILT} == {
            n: s for n, s in before.items() if n not in REBUILT}
        async with store.engine.connect() as conn:
            assert await conn.run_sync(lambda c: list(compare_metadata(
                MigrationContext.configure(c), t.metadata))) == []
            counts = {name: (await conn.execute(select(func.count()).select_from(
                t.metadata.tables[name]))).scalar_one()
                for name in ("sites", "posts", "post_labels", "comments", "artifacts")}
        assert counts == {"sites": 2, "posts": 2, "post_labels": 2, "comments": 2,
                          "artifacts": 2}
        assert await store.sites() == [main, other]

        # The references still hold: deleting a site takes its rows with it...
        await store.delete_site(other.id)
        assert len(await store.load_artifacts(with_bodies=False)) == 1
        assert await store.labels(main.id, clock.now()) == [("kept", 1)]
        # ...and its ids are not given again.
        newer = await store.create_site(site_spec("newer.test", "http://newer.test"),
                                        clock.now())
        assert newer.id > other.id
        draft = PostDraft(title="New", content_html="<p>n</p>", published=clock.now())
        post = await store.write_post(prepare_post(newer, draft, clock.now()), (),
                                      clock.now(), is_new=True)
        comment = await store.add_comment(_comment(newer, post.id, 9, clock), [], clock.now())
        assert post.id > post_id and comment.id > comment_id
    finally:
        await store.close()


async def test_revision_0007_refuses_to_run_with_foreign_keys_on_and_loses_nothing(
    tmp_path: Path, clock: FakeClock,
) -> None:
    path = tmp_path / "before-0007.db"
    _made_before_0007(path)
    store = await open_store(f"sqlite:///{path}", run_migrations=False)
    try:
        await _a_blog(store, clock)
        # The store's connections have foreign keys on: dropping the old sites table there
        # would delete every post (ON DELETE CASCADE). migrate() turns them off first.
        with pytest.raises(RuntimeError, match="foreign keys off"):
            async with store.engine.begin() as conn:
                await conn.run_sync(alembic, "upgrade", "head")
        assert len(await store.sites()) == 2
        assert len(await store.load_artifacts(with_bodies=False)) == 2
    finally:
        await store.close()
    assert "AUTOINCREMENT" not in _tables_sql(path)["posts"]
