"""Each author of a site has a feed of their own, on both engines: two authors whose names
make one slug are linked to two feeds, the first keeping the plain slug; a slug once given
never moves (posts deleted, the store opened again, an import written again); and revision
0012 gives the authors of a store made before it their feeds, keeping every feed URL that
was served."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update

from feeds.feedset import author_key, author_keys
from feeds.models import Author, FeedKey, FeedKind, FeedQuery, Post, PostDraft, PostStatus, Site
from feeds.posts import deleted, prepare_post
from feeds.store import Store, open_store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, MakeSite, alembic

HOUR = timedelta(hours=1)


def by(slug: str) -> FeedKey:
    return FeedKey(FeedKind.AUTHOR, FeedQuery(max_results=25), author=slug)


async def titles(store: Store, site: Site, slug: str, clock: FakeClock) -> list[str]:
    return [p.title for p in (await store.select_posts(site.id, by(slug), clock.now())).posts]


async def write(store: Store, site: Site, clock: FakeClock, title: str, *authors: Author,
                status: PostStatus = PostStatus.PUBLISHED) -> Post:
    draft = PostDraft(title, f"<p>{title}</p>", clock.now(), authors=authors, status=status)
    return await store.write_post(prepare_post(site, draft, clock.now()), [], clock.now(),
                                  is_new=True)


async def test_two_authors_whose_names_make_one_slug_each_have_their_own_feed(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    accented = await write(store, site, clock, "Tapas", Author("José Núñez"))
    plain = await write(store, site, clock, "Paella", Author("Jose Nunez"))

    assert [a.feed for a in accented.authors] == ["jose-nunez"]  # the first: plain
    assert [a.feed for a in plain.authors] == ["jose-nunez-2"]
    assert await titles(store, site, "jose-nunez", clock) == ["Tapas"]
    assert await titles(store, site, "jose-nunez-2", clock) == ["Paella"]
    assert await store.authors(site.id, clock.now()) == [
        ("jose-nunez", "José Núñez", 1), ("jose-nunez-2", "Jose Nunez", 1)]
    # Each write marks its author's feed, which only the store could name.
    assert (await store.dirty_feeds())[site.id][1] == [
        author_key("jose-nunez"), author_key("jose-nunez-2")]
    # Read back, a post's authors carry their feeds.
    assert (await store.get_post(site.id, plain.slug)).authors[0].feed == "jose-nunez-2"


async def test_one_name_with_two_addresses_is_two_authors_and_without_one_the_first(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    await write(store, site, clock, "Roots", Author("Sam Lee", email="sam@example.org"))
    await write(store, site, clock, "Shoots", Author("Sam Lee", email="samuel@example.net"))
    await write(store, site, clock, "Leaves", Author("Sam Lee"))
    await write(store, site, clock, "Seeds", Author("SAM LEE", uri="https://sam.example",
                                                    email="Sam@Example.org"))

    assert await titles(store, site, "sam-lee", clock) == ["Seeds", "Leaves", "Roots"]
    assert await titles(store, site, "sam-lee-2", clock) == ["Shoots"]


async def test_a_slug_given_never_moves_nor_goes_to_another_author(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    first = await write(store, site, clock, "A", Author("A Smith"))
    second = await write(store, site, clock, "B", Author("A. Smith"))
    # Every post of the first author deleted: their slug stays theirs.
    await store.write_post(deleted(first, clock.now()), [], clock.now(), is_new=False)
    third = await write(store, site, clock, "C", Author("A-Smith"))
    again = await write(store, site, clock, "D", Author("A. Smith"))
    changed = await store.write_post(
        prepare_post(site, PostDraft("B, again", "<p>b</p>", second.published,
                                     authors=second.authors), clock.now(), existing=second),
        [], clock.now(), is_new=False)

    assert [p.authors[0].feed for p in (third, again, changed)] == [
        "a-smith-3", "a-smith-2", "a-smith-2"]
    assert await titles(store, site, "a-smith", clock) == []
    assert await titles(store, site, "a-smith-2", clock) == ["D", "B, again"]


async def test_the_store_opened_again_links_an_author_to_the_same_feed(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    await write(store, site, clock, "One", Author("Zoë"))
    await write(store, site, clock, "Two", Author("Zoe"))

    # Another Store on the database: what a restart (or a second server) starts from.
    reopened = await open_store(store.engine.url.render_as_string(hide_password=False))
    try:
        three = await write(reopened, site, clock, "Three", Author("Zoe"))
    finally:
        await reopened.close()

    assert three.authors[0].feed == "zoe-2"
    assert await titles(store, site, "zoe-2", clock) == ["Three", "Two"]


async def test_authors_of_one_import_batch_and_of_two_sites_are_told_apart(
    store: Store, site: Site, make_site: MakeSite, clock: FakeClock,
) -> None:
    other = await make_site("other.test")
    now = clock.now()
    posts = [prepare_post(site, PostDraft(title, "<p>x</p>", now, authors=(author,)), now)
             for title, author in [("1", Author("Ann", account="ann")),
                                   ("2", Author("Ann", account="annie")),
                                   ("3", Author("Ann", account="ann"))]]
    await store.write_batch(site.id, posts, [], [], [], now)
    await store.write_batch(other.id, [prepare_post(other, PostDraft(
        "4", "<p>x</p>", now, authors=(Author("Ann", account="annie"),)), now)], [], [], [], now)

    assert await titles(store, site, "ann", clock) == ["3", "1"]
    assert await titles(store, site, "ann-2", clock) == ["2"]
    assert await titles(store, other, "ann", clock) == ["4"]  # another site: its own slugs
    # The slug of an author with no post yet (an import's WordPress user) is kept for them.
    assert await store.author_slug(site.id, Author("Ann", account="anna")) == "ann-3"
    assert await store.author_slug(site.id, Author("Ann", account="annie")) == "ann-2"


async def test_a_scheduled_post_coming_due_marks_its_authors_feed(
    store: Store, site: Site, clock: FakeClock,
) -> None:
    await write(store, site, clock, "Now", Author("Kofi"))
    draft = PostDraft("Soon", "<p>soon</p>", clock.now() + HOUR, authors=(Author("KOFI."),),
                      status=PostStatus.SCHEDULED)
    await store.write_post(prepare_post(site, draft, clock.now()), [], clock.now(),
                           is_new=True)
    clock.advance(hours=2)

    due = await store.publish_due(clock.now(), author_keys)

    assert [a.feed for p in due for a in p.authors] == ["kofi-2"]
    assert author_key("kofi-2") in (await store.dirty_feeds())[site.id][1]


# --- revision 0012: a store made before it ----------------------------------------------------


async def test_revision_0012_gives_each_author_a_feed_keeping_every_url_served(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock,
) -> None:
    posts = [
        await add_post("Drafted", authors=["A Smith"], status=PostStatus.DRAFT),
        await add_post("Shown", authors=["A. Smith"]),
        await add_post("Tapas", authors=["José Núñez"]),
        await add_post("Paella", authors=["Jose Nunez"]),
        await add_post("Both", authors=["Jose Nunez", "José Núñez"]),
        await add_post("Old slug", authors=["Zoë"]),
        await add_post("New slug", authors=["Zoë"]),
        await add_post("Blogger one", authors=[]),
        await add_post("Blogger two", authors=[]),
    ]
    async with store.engine.begin() as conn:
        await conn.run_sync(alembic, "downgrade", "0011")
        pa = t.post_authors.c
        # As 0011 stored them: each name's slug ("zoë": an older slugify, kept the mark).
        await conn.execute(update(t.post_authors).where(pa.post_id == posts[5].id)
                           .values(slug="zoë"))
        for post, uri in ((posts[7], "https://www.blogger.com/profile/1"),
                          (posts[8], "https://www.blogger.com/profile/2")):
            await conn.execute(update(t.posts).where(t.posts.c.id == post.id).values(
                authors_json=f'[{{"name": "Kim", "uri": "{uri}", "email": null}}]'))
            await conn.execute(insert(t.post_authors).values(
                post_id=post.id, position=0, slug="kim", name="Kim"))
        await conn.execute(t.dirty_feeds.delete())

        await conn.run_sync(alembic, "upgrade", "head")

        rows = await conn.execute(select(t.authors.c.slug, t.authors.c.name,
                                         t.authors.c.uri).order_by(t.authors.c.id))
        assert [tuple(r) for r in rows] == [
            ("a-smith-2", "A Smith", None),  # only a draft: the feed showed the other one
            ("a-smith", "A. Smith", None),
            ("jose-nunez", "José Núñez", None),
            ("jose-nunez-2", "Jose Nunez", None),
            ("zoë", "Zoë", None),  # both feeds a reader may hold stay
            ("zoe", "Zoë", None),
            ("kim", "Kim", "https://www.blogger.com/profile/1"),
            ("kim-2", "Kim", "https://www.blogger.com/profile/2"),
        ]
    assert await titles(store, site, "a-smith", clock) == ["Shown"]
    assert await titles(store, site, "jose-nunez", clock) == ["Both", "Tapas"]
    assert await titles(store, site, "jose-nunez-2", clock) == ["Both", "Paella"]
    assert await titles(store, site, "zoë", clock) == ["Old slug"]
    assert await titles(store, site, "kim-2", clock) == ["Blogger two"]
    # The feeds whose posts changed render again: the one left and the one come.
    assert (await store.dirty_feeds())[site.id][1] == sorted(
        author_key(s) for s in ("a-smith", "a-smith-2", "jose-nunez", "jose-nunez-2", "kim",
                                "kim-2"))
    # After it, writes go on from what it kept.
    both = await store.get_post(site.id, "both")
    assert [a.feed for a in both.authors] == ["jose-nunez-2", "jose-nunez"]
    later = await write(store, site, clock, "Later",
                        Author("Kim", uri="https://www.blogger.com/profile/2"))
    assert later.authors[0].feed == "kim-2"
