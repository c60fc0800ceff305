"""The store contract, comments: comment feeds show approved comments on visible posts, posts
count only those, a comment on an unknown post is refused, and a comment marks the feeds it
touches (the `store` fixture is parametrized over both a SQLite file and the real PostgreSQL
server: each story holds alike on both)."""

from __future__ import annotations

from datetime import UTC

import pytest

from feeds.errors import NotFoundError
from feeds.models import Author, FeedKey, FeedKind, PostStatus, Site
from feeds.store import Store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, CountRows
from tests.feeds.store.contract_helpers import (
    HOUR,
    comment_on,
    feed_query,
    hold_for_moderation,
    new_comment,
    site_feed,
)


async def test_comment_feeds_show_approved_comments_on_visible_posts_with_their_post(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    first = await add_post("First", ago=5 * HOUR)
    second = await add_post("Second", ago=4 * HOUR)
    draft = await add_post("Draft", status=PostStatus.DRAFT)
    c1 = await comment_on(store, site, first, 1, now - 3 * HOUR, now)
    held = await comment_on(store, site, first, 2, now - 2 * HOUR, now)
    c3 = await comment_on(store, site, second, 3, now - HOUR, now)
    await comment_on(store, site, draft, 4, now - HOUR, now)
    await hold_for_moderation(store, held)

    site_page = await store.select_comments(
        site.id, FeedKey(FeedKind.COMMENTS, feed_query()), now
    )
    assert site_page.total == 2
    assert [(c.id, p.id) for c, p in site_page.comments] == [(c3, second.id), (c1, first.id)]
    comment, post = site_page.comments[1]
    assert comment.author == Author("Reader 1")
    assert comment.published == now - 3 * HOUR and comment.published.tzinfo is UTC
    assert post.title == "First" and post.comment_count == 1

    one = FeedKey(FeedKind.POST_COMMENTS, feed_query(), post_id=first.id)
    post_page = await store.select_comments(site.id, one, now)
    assert (post_page.total, [c.id for c, _ in post_page.comments]) == (1, [c1])

    paged = FeedKey(FeedKind.COMMENTS, feed_query(max_results=1, start_index=2))
    assert [c.id for c, _ in (await store.select_comments(site.id, paged, now)).comments] == [c1]
    window = FeedKey(FeedKind.COMMENTS, feed_query(published_min=now - 2 * HOUR))
    assert [c.id for c, _ in (await store.select_comments(site.id, window, now)).comments] == [c3]


async def test_posts_count_only_their_approved_comments(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    post = await add_post("Discussed")
    quiet = await add_post("Quiet", ago=2 * HOUR)
    await comment_on(store, site, post, 1, now, now)
    await comment_on(store, site, post, 2, now, now)
    await hold_for_moderation(store, await comment_on(store, site, post, 3, now, now))

    page = await store.select_posts(site.id, site_feed(), now)
    assert [(p.id, p.comment_count) for p in page.posts] == [(post.id, 2), (quiet.id, 0)]
    shown = await store.visible_post(site.id, post.id, now)
    assert shown is not None and shown.comment_count == 2


async def test_a_comment_on_an_unknown_post_is_refused_and_marks_nothing(
    store: Store, site: Site, clock: FakeClock, count_rows: CountRows
) -> None:
    with pytest.raises(NotFoundError):
        await store.add_comment(
            new_comment(site, 424242, "tag:x,2026:c", Author("R"), "<p>x</p>", clock.now()),
            ["/feeds/comments/default"], clock.now(),
        )
    assert await count_rows(t.comments) == 0
    assert await store.dirty_feeds() == {}


async def test_a_comment_marks_the_keys_it_touches_in_the_same_write(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    post = await add_post("Post")
    keys = ["/feeds/comments/default", f"/feeds/{post.id}/comments/default"]
    await store.add_comment(
        new_comment(site, post.id, "tag:x,2026:c", Author("R"), "<p>x</p>", clock.now()),
        keys, clock.now(),
    )
    ((_, marked),) = (await store.dirty_feeds()).values()
    assert sorted(marked) == sorted(keys)

