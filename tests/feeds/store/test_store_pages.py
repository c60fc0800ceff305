"""Pages on both engines: a page is in no posts feed (the site's, a label's, an author's) nor
in their totals, the pages feed shows pages only, the site's label and author lists count
posts only; and revision 0013 keeps every row of a store made before it a post."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import column, insert, select, table

from feeds.models import (
    Author,
    FeedKey,
    FeedKind,
    FeedQuery,
    PostDraft,
    PostKind,
    Site,
)
from feeds.posts import prepare_post
from feeds.store import Store
from feeds.store import schema as t
from feeds.store.writes import post_values
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, alembic

Q = FeedQuery(max_results=25)


async def add_page(store: Store, site: Site, clock: FakeClock, title: str) -> None:
    draft = PostDraft(title, "<p>Who we are.</p>", clock.now(), labels=("garden",),
                      authors=(Author("Zoë"),), kind=PostKind.PAGE)
    await store.write_post(prepare_post(site, draft, clock.now()), [], clock.now(),
                           is_new=True)


async def test_a_page_is_in_the_pages_feed_and_in_no_posts_feed_nor_its_total(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    await add_post("Frost", labels=["garden"], authors=["Zoë"])
    await add_page(store, site, clock, "About")
    now = clock.now()

    for key in (FeedKey(FeedKind.POSTS, Q), FeedKey(FeedKind.LABEL, Q, labels=("garden",)),
                FeedKey(FeedKind.AUTHOR, Q, author="zoe"),
                FeedKey(FeedKind.POSTS, replace(Q, published_min=now.replace(year=2000)))):
        page = await store.select_posts(site.id, key, now)
        assert ([p.title for p in page.posts], page.total) == (["Frost"], 1), key
    pages = await store.select_posts(site.id, FeedKey(FeedKind.PAGES, Q), now)
    assert ([p.title for p in pages.posts], pages.total) == (["About"], 1)
    assert pages.posts[0].kind is PostKind.PAGE
    assert await store.labels(site.id, now) == [("garden", 1)]
    assert [(slug, n) for slug, _, n in await store.authors(site.id, now)] == [("zoe", 1)]
    # The admin's list: everything, or one kind.
    assert (await store.page_posts(site.id, 10, 0))[0] == 2
    total, listed = await store.page_posts(site.id, 10, 0, kind=PostKind.PAGE)
    assert (total, [p.title for p in listed]) == (1, ["About"])


async def test_revision_0013_keeps_every_row_a_post(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0012")
        post = prepare_post(site, PostDraft("Before", "<p>Old.</p>", clock.now()), clock.now())
        row = {**{k: v for k, v in post_values(post).items() if k != "kind"},
               "created": clock.now()}
        # As 0012 had the table: no kind.
        older = table("posts", *(column(name, t.posts.c[name].type) for name in row))
        await conn.execute(insert(older), row)
        await conn.run_sync(alembic, "upgrade", "head")
        kinds = (await conn.execute(select(t.posts.c.kind))).scalars().all()
    assert kinds == ["post"]
    [before] = (await store.select_posts(site.id, FeedKey(FeedKind.POSTS, Q), clock.now())).posts
    assert before.title == "Before" and before.kind is PostKind.POST
