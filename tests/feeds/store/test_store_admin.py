"""The store's publishing side, on both engines: sites changed and removed, posts and comments
a page at a time, moderation, tokens, idempotency keys, URL aliases, import runs and the
batch writes imports use."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from feeds.errors import ConflictError, InvalidInputError, NotFoundError, StaleWriteError
from feeds.models import Author, Comment, CommentStatus, PostDraft, PostStatus, Site
from feeds.posts import prepare_post
from feeds.store import Idempotency, Store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, CountRows, MakeSite

HOUR = timedelta(hours=1)


def _comment(site: Site, post_id: int, n: int, clock: FakeClock, parent: int | None = None,
             status: CommentStatus = CommentStatus.APPROVED) -> Comment:
    now = clock.now()
    return Comment(0, post_id, site.id, f"tag:blog.test,2026:c-{n}", Author(f"R{n}"),
                   f"<p>{n}</p>", now - n * HOUR, now - n * HOUR, status, parent)


async def test_a_site_changes_and_a_second_site_can_be_removed_but_not_the_default(
    store: Store, site: Site, make_site: MakeSite
) -> None:
    other = await make_site("other.test")
    changed = await store.update_site(other.id, {"title": "Other", "wordpress_urls": True})
    assert (changed.title, changed.wordpress_urls) == ("Other", True)
    with pytest.raises(InvalidInputError) as err:
        await store.update_site(other.id, {"host": site.host})
    assert err.value.field == "host"
    with pytest.raises(InvalidInputError):
        await store.delete_site(site.id)
    await store.delete_site(other.id)
    with pytest.raises(NotFoundError):
        await store.get_site(other.id)


async def test_posts_come_a_page_at_a_time_without_deleted_ones_unless_asked(
    store: Store, site: Site, add_post: AddPost
) -> None:
    posts = [await add_post(f"P{i}", ago=(i + 1) * HOUR, labels=["even"] if i % 2 == 0 else [])
             for i in range(5)]
    gone = await add_post("Gone", status=PostStatus.DELETED)
    total, first = await store.page_posts(site.id, 2, 0)
    assert total == 5 and [p.id for p in first] == [posts[0].id, posts[1].id]
    _, rest = await store.page_posts(site.id, 10, 2)
    assert [p.id for p in rest] == [p.id for p in posts[2:]]
    assert (await store.page_posts(site.id, 10, 0, PostStatus.DELETED))[1][0].id == gone.id
    total, even = await store.page_posts(site.id, 10, 0, label="even")
    assert total == 3 and all(p.labels == ("even",) for p in even)
    assert await store.label_counts(site.id) == [("even", 3)]


async def test_comments_are_moderated_listed_and_removed_keeping_threads_whole(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    post = await add_post("Post")
    top = await store.add_comment(_comment(site, post.id, 1, clock), [], clock.now())
    reply = await store.add_comment(_comment(site, post.id, 2, clock, parent=top.id), [],
                                    clock.now())
    answer = await store.add_comment(_comment(site, post.id, 3, clock, parent=reply.id,
                                              status=CommentStatus.PENDING), [], clock.now())
    assert (reply.parent_id, answer.status) == (top.id, CommentStatus.PENDING)
    total, pending = await store.page_comments(site.id, 10, 0, CommentStatus.PENDING)
    assert total == 1 and pending[0].id == answer.id
    approved = await store.update_comment(replace(answer, status=CommentStatus.APPROVED),
                                          ["/feeds/comments/default"], clock.now())
    assert approved.status is CommentStatus.APPROVED
    await store.delete_comment(reply, [], clock.now())
    assert (await store.get_comment(site.id, answer.id)).parent_id == top.id
    assert (await store.page_comments(site.id, 10, 0, post_id=post.id))[0] == 2


async def test_a_reply_names_a_comment_of_the_same_post(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    one, two = await add_post("One"), await add_post("Two", slug="two")
    top = await store.add_comment(_comment(site, one.id, 1, clock), [], clock.now())
    with pytest.raises(InvalidInputError) as err:
        await store.add_comment(_comment(site, two.id, 2, clock, parent=top.id), [],
                                clock.now())
    assert err.value.field == "parent_id"


async def test_tokens_are_kept_as_hashes_and_revoked_by_name_or_id(
    store: Store, clock: FakeClock
) -> None:
    made = await store.create_token("ci", "a" * 64, clock.now())
    await store.create_token("laptop", "b" * 64, clock.now())
    assert await store.has_token("a" * 64) and not await store.has_token("c" * 64)
    assert [x.name for x in await store.tokens()] == ["ci", "laptop"]
    assert await store.revoke_token(str(made.id)) == 1
    assert await store.revoke_token("laptop") == 1
    assert await store.tokens() == []


async def test_an_idempotency_key_is_written_with_the_post_and_a_reuse_conflicts(
    store: Store, site: Site, clock: FakeClock, count_rows: CountRows
) -> None:
    from feeds.models import PostDraft

    idem = Idempotency("scope", "key-1", "hash", "post")
    post = prepare_post(site, PostDraft("T", "<p>x</p>", clock.now()), clock.now())
    stored = await store.write_post(post, [], clock.now(), is_new=True, idempotency=idem)
    record = await store.idempotency_record("scope", "key-1")
    assert record is not None and record.resource_id == stored.id
    other = prepare_post(site, PostDraft("U", "<p>y</p>", clock.now()), clock.now())
    with pytest.raises(ConflictError):
        await store.write_post(other, [], clock.now(), is_new=True, idempotency=idem)
    assert await count_rows(t.posts) == 1  # the second post went with its transaction
    clock.advance(hours=25)
    assert await store.forget_keys_before(clock.now() - timedelta(hours=24)) == 1
    assert await store.idempotency_record("scope", "key-1") is None


async def test_aliases_are_replaced_not_duplicated(store: Store, site: Site) -> None:
    await store.save_aliases(site.id, {"category:news": "/feeds/posts/default/-/News"})
    await store.save_aliases(site.id, {"category:news": "/feeds/posts/default/-/Nieuws"})
    assert await store.alias_target(site.id, "category:news") == "/feeds/posts/default/-/Nieuws"
    assert await store.alias_target(site.id, "tag:none") is None


async def test_a_running_import_holds_its_site_until_done_or_silent(
    store: Store, site: Site, clock: FakeClock
) -> None:
    run = await store.start_import(site.id, "wordpress:x.xml", clock.now())
    await store.mark_dirty(site.id, ["/feeds/posts/default"], clock.now())
    held = await store.held_sites(clock.now(), timedelta(seconds=30))
    assert held == {site.id} and await store.dirty_feeds(held) == {}
    clock.advance(seconds=31)  # the importing process died: its heartbeat stopped
    assert await store.held_sites(clock.now(), timedelta(seconds=30)) == frozenset()
    await store.import_heartbeat(run.id, {"items": 3}, clock.now())
    await store.finish_import(run.id, "done", {"items": 4}, clock.now())
    assert await store.held_sites(clock.now(), timedelta(seconds=30)) == frozenset()
    done = await store.import_run(run.id)
    assert (done.state, done.report) == ("done", {"items": 4})
    assert [r.id for r in await store.import_runs(site.id)] == [run.id]


async def test_a_batch_keeps_given_ids_and_numbers_the_rest(
    store: Store, site: Site, clock: FakeClock
) -> None:
    from feeds.models import PostDraft

    now = clock.now()
    blogger_id = 8_394_657_209_512_345_678  # Blogger's ids fill 63 bits
    kept = replace(prepare_post(site, PostDraft("Kept", "<p>k</p>", now, labels=("a",)), now),
                   id=blogger_id)
    fresh = prepare_post(site, PostDraft("Fresh", "<p>f</p>", now, authors=(Author("Zoë"),)),
                         now)
    ids = (await store.write_batch(site.id, [kept, fresh], [], [], ["/feeds/posts/default"],
                                   now)).posts
    assert ids[0] == blogger_id and ids[1] not in (0, blogger_id)
    assert (await store.get_post(site.id, str(blogger_id))).labels == ("a",)
    by_entry = await store.posts_by_entry_id(site.id, [kept.entry_id, fresh.entry_id])
    assert by_entry[fresh.entry_id].authors == (Author("Zoë"),)
    comment = _comment(site, blogger_id, 1, clock)
    comment_ids = (await store.write_batch(site.id, [], [], [comment], [], now)).comments
    stored = await store.comments_by_entry_id(site.id, [comment.entry_id])
    assert stored[comment.entry_id].id == comment_ids[0]


async def test_a_change_made_to_an_old_version_of_a_post_writes_nothing(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    """write_post(replaces=N) writes only while the stored post is version N: an edit made
    to a post read before someone else's edit would undo that edit."""
    first = await add_post("Version one")
    draft = PostDraft(title="Version two", content_html=first.content_html,
                      published=first.published)
    second = prepare_post(site, draft, clock.now(), first)
    await store.write_post(second, ["posts"], clock.now(), is_new=False,
                           replaces=first.version)
    late = prepare_post(site, replace(draft, title="From the old version"), clock.now(), first)

    with pytest.raises(StaleWriteError) as err:
        await store.write_post(late, ["posts"], clock.now(), is_new=False,
                               replaces=first.version)

    assert isinstance(err.value, ConflictError) and err.value.version == first.version
    stored = await store.get_post(site.id, str(first.id))
    assert (stored.title, stored.version) == ("Version two", 2)


async def test_a_comment_changed_since_it_was_read_is_neither_updated_nor_deleted(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    """Comments carry no version: the fields as read are the condition (an author with no
    uri or email included: NULLs compare as values on both engines)."""
    post = await add_post("Post")
    read = await store.add_comment(_comment(site, post.id, 1, clock,
                                            status=CommentStatus.PENDING), [], clock.now())
    assert read.author.uri is None
    edited = await store.update_comment(replace(read, content_html="<p>fixed</p>"), [],
                                        clock.now(), replaces=read)

    with pytest.raises(StaleWriteError):
        await store.update_comment(replace(read, status=CommentStatus.SPAM), [], clock.now(),
                                   replaces=read)
    with pytest.raises(StaleWriteError):
        await store.delete_comment(read, [], clock.now(), as_read=True)

    stored = await store.get_comment(site.id, read.id)
    assert (stored.content_html, stored.status) == ("<p>fixed</p>", CommentStatus.PENDING)
    await store.delete_comment(edited, [], clock.now(), as_read=True)
    with pytest.raises(NotFoundError):
        await store.get_comment(site.id, read.id)


async def test_a_site_changed_since_it_was_read_is_neither_updated_nor_deleted(
    store: Store, make_site: MakeSite
) -> None:
    """If-Match on a site (server/handlers/api_sites.py): the fields as read are the
    condition, on both engines; a change to the site as it is now lands."""
    read = await make_site("shared.test")
    edited = await store.update_site(read.id, {"title": "First"}, replaces=read)

    with pytest.raises(StaleWriteError):
        await store.update_site(read.id, {"language": "de"}, replaces=read)
    with pytest.raises(StaleWriteError):
        await store.delete_site(read.id, replaces=read)

    assert (await store.get_site(read.id)).language == read.language
    assert (await store.update_site(read.id, {}, replaces=edited)) == edited
    await store.delete_site(read.id, replaces=edited)
    with pytest.raises(NotFoundError):
        await store.get_site(read.id)
