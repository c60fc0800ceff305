"""What the store keeps so that a re-import does not undo work done in syndic, on both
engines: the digest of what an import wrote (posts_as_imported, StoredComment.as_imported),
tombstones of deleted comments, and migration 0005 that adds them to an existing database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from feeds.models import Author, Comment, CommentStatus, PostDraft, PostStatus, Site
from feeds.posts import prepare_post
from feeds.store import Store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, alembic

HOUR = timedelta(hours=1)


def _comment(site: Site, post_id: int, n: int, clock: FakeClock) -> Comment:
    now = clock.now()
    return Comment(0, post_id, site.id, f"tag:blog.test,2026:c-{n}", Author(f"R{n}"),
                   f"<p>{n}</p>", now - n * HOUR, now - n * HOUR)


def _shape(conn: Connection) -> tuple[bool, bool, bool]:
    """Whether posts and comments have import_digest, and whether the tombstones exist."""
    found = inspect(conn)
    return ("import_digest" in {c["name"] for c in found.get_columns("posts")},
            "import_digest" in {c["name"] for c in found.get_columns("comments")},
            found.has_table("comment_tombstones"))


async def test_migration_0005_adds_import_records_to_a_database_without_them(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    post = await add_post("Before 0005")
    await store.add_comment(_comment(site, post.id, 1, clock), [], clock.now())
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0004")
        assert await conn.run_sync(_shape) == (False, False, False)

    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "upgrade", "head")
        assert await conn.run_sync(_shape) == (True, True, True)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [v[0] for v in version] == ["0014"]  # head
        digests = (await conn.execute(select(t.posts.c.import_digest))).scalars().all()
        assert digests == [None]  # stored before: no record
        drift = await conn.run_sync(
            lambda c: list(compare_metadata(MigrationContext.configure(c), t.metadata)))
        assert drift == []
    assert (await store.get_post(site.id, post.entry_id)).title == "Before 0005"
    stored = await store.comments_by_entry_id(site.id, ["tag:blog.test,2026:c-1"])
    assert stored["tag:blog.test,2026:c-1"].as_imported is None


async def test_a_post_written_by_an_import_is_as_imported_until_syndic_changes_it(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    now = clock.now()
    draft = PostDraft("Imported", "<p>i</p>", now + HOUR, labels=("a", "b"),
                      authors=(Author("Zoë", None, "z@example.org"),),
                      status=PostStatus.SCHEDULED)
    imported = prepare_post(site, draft, now)
    [post_id] = (await store.write_batch(site.id, [imported], [], [], [], now)).posts
    made_here = await add_post("Made in syndic")

    posts = [await store.get_post(site.id, str(post_id)),
             await store.get_post(site.id, made_here.slug)]
    assert await store.posts_as_imported(posts) == {post_id: True, made_here.id: None}

    # Coming due is not a change made in syndic.
    clock.advance(hours=2)
    assert [p.id for p in await store.publish_due(clock.now(), lambda p: ())] == [post_id]
    due = await store.get_post(site.id, str(post_id))
    assert due.status is PostStatus.PUBLISHED
    assert await store.posts_as_imported([due]) == {post_id: True}

    edited = prepare_post(site, replace(draft, title="Edited in syndic"), clock.now(), due)
    await store.write_post(edited, [], clock.now(), is_new=False)
    after = await store.get_post(site.id, str(post_id))
    assert await store.posts_as_imported([after]) == {post_id: False}
    # An import writing it again makes it as imported again.
    await store.write_batch(site.id, [], [replace(after, version=after.version + 1)], [], [],
                            clock.now())
    assert await store.posts_as_imported([after]) == {post_id: True}


async def test_a_comment_written_by_an_import_is_as_imported_until_it_is_moderated(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    post = await add_post("Post")
    imported = _comment(site, post.id, 1, clock)
    [comment_id] = (await store.write_batch(site.id, [], [], [imported], [],
                                            clock.now())).comments
    made_here = await store.add_comment(_comment(site, post.id, 2, clock), [], clock.now())
    ids = [imported.entry_id, made_here.entry_id]

    stored = await store.comments_by_entry_id(site.id, ids)
    assert [stored[i].as_imported for i in ids] == [True, None]

    marked = replace(imported, id=comment_id, status=CommentStatus.SPAM)
    await store.update_comment(marked, [], clock.now())
    assert (await store.comments_by_entry_id(site.id, ids))[imported.entry_id].as_imported is False
    await store.update_comment(replace(marked, status=CommentStatus.APPROVED), [], clock.now())
    assert (await store.comments_by_entry_id(site.id, ids))[imported.entry_id].as_imported is True


async def test_a_deleted_comment_leaves_a_tombstone_the_import_finds(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    post = await add_post("Post")
    top = await store.add_comment(_comment(site, post.id, 1, clock), [], clock.now())
    reply = await store.add_comment(replace(_comment(site, post.id, 2, clock), parent_id=top.id),
                                    [], clock.now())
    assert await store.deleted_comments(site.id, [top.entry_id, reply.entry_id]) == set()

    await store.delete_comment(top, ["/feeds/comments/default"], clock.now())

    assert await store.deleted_comments(site.id, [top.entry_id, reply.entry_id]) == {
        top.entry_id}
    assert await store.comments_by_entry_id(site.id, [top.entry_id]) == {}
    assert (await store.get_comment(site.id, reply.id)).parent_id is None
    # A comment made again under that entry id (the API allows it) and deleted again.
    again = await store.add_comment(_comment(site, post.id, 1, clock), [], clock.now())
    await store.delete_comment(again, [], clock.now())
    assert await store.deleted_comments(site.id, [top.entry_id]) == {top.entry_id}


async def test_an_import_batch_leaves_a_post_edited_since_it_was_read(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    """An API edit landing between an import's read of a post and its batch write: the
    batch writes around it (its labels too) and names it, and the edit stays."""
    now = clock.now()
    draft = PostDraft("Imported", "<p>i</p>", now, labels=("from-export",),
                      entry_id="tag:blogger.com,1999:blog-1.post-7")
    [post_id] = (await store.write_batch(site.id, [prepare_post(site, draft, now)], [], [], [],
                                         now)).posts
    read = await store.get_post(site.id, str(post_id))
    by_import = prepare_post(site, replace(draft, title="Re-imported",
                                           labels=("from-export", "new")), now, read)
    by_api = prepare_post(site, replace(draft, title="Edited in syndic", labels=("mine",)),
                          now, read)
    await store.write_post(by_api, [], now, is_new=False, replaces=read.version)

    written = await store.write_batch(site.id, [], [by_import], [], [], now)

    assert written.stale == {post_id}
    stored = await store.get_post(site.id, str(post_id))
    assert (stored.title, stored.labels) == ("Edited in syndic", ("mine",))
    assert await store.posts_as_imported([stored]) == {post_id: False}
