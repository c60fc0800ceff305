"""The store contract: the same stories on a SQLite file and on the real PostgreSQL server
(the `store` fixture is parametrized over both)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, select, text, update
from sqlalchemy.engine import Connection

from feeds.errors import InvalidPostError, NotFoundError, PostNotFoundError
from feeds.feedset import FeedContext, touched_keys
from feeds.models import (
    Author,
    Comment,
    Enclosure,
    FeedKey,
    FeedKind,
    FeedMode,
    FeedQuery,
    OrderBy,
    Post,
    PostDraft,
    PostStatus,
    Site,
)
from feeds.posts import deleted, prepare_post
from feeds.query import slugify
from feeds.store import Store, open_store
from feeds.store import schema as t
from feeds.store.engine import migrate
from server.clock import FakeClock

AddPost = Callable[..., Awaitable[Post]]  # tests/feeds/store/conftest.py fixtures
CountRows = Callable[[Table], Awaitable[int]]
MakeSite = Callable[..., Awaitable[Site]]
HOUR = timedelta(hours=1)


def site_feed(**query: object) -> FeedKey:
    return FeedKey(FeedKind.POSTS, _query(**query))


def label_feed(*labels: str, **query: object) -> FeedKey:
    return FeedKey(FeedKind.LABEL, _query(**query), labels=labels)


def author_feed(slug: str, **query: object) -> FeedKey:
    return FeedKey(FeedKind.AUTHOR, _query(**query), author=slug)


def _query(**query: object) -> FeedQuery:
    query.setdefault("max_results", 25)
    return FeedQuery(**query)  # type: ignore[arg-type]


def ids(posts: tuple[Post, ...] | list[Post]) -> list[int]:
    return [p.id for p in posts]


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


# -- migrations --------------------------------------------------------------------------


async def test_opening_the_same_database_again_migrates_nothing_and_keeps_the_data(
    store: Store, site: Site
) -> None:
    again = await open_store(url_of(store))
    try:
        await migrate(again.engine)
        assert await again.sites() == [site]
        async with again.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [v[0] for v in versions] == ["0010"]
    finally:
        await again.close()
    await migrate(store.engine)
    assert await store.sites() == [site]


def _schema_drift(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), t.metadata))


async def test_the_migrated_database_matches_schema_py(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_schema_drift) == []


# -- sites -------------------------------------------------------------------------------


async def test_sites_come_back_default_first_with_every_field(
    store: Store, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    main = await make_site("blog.test", is_default=True)
    assert await store.sites() == [main, other]
    assert main.host == "blog.test"
    assert main.base_url == "http://blog.test"
    assert main.timezone == "Europe/Berlin"
    assert main.default_feed is FeedMode.FULL
    assert main.summary_length == 200
    assert main.created == clock.now()
    assert main.created.tzinfo is UTC


async def test_set_base_url_changes_only_that_site(store: Store, make_site: MakeSite) -> None:
    main = await make_site("blog.test", is_default=True)
    other = await make_site("other.test")
    await store.set_base_url(main.id, "https://blog.example/")
    by_id = {s.id: s for s in await store.sites()}
    assert by_id[main.id].base_url == "https://blog.example/"
    assert by_id[other.id] == other


# -- writing posts -----------------------------------------------------------------------


async def _author_rows(store: Store, post_id: int) -> list[tuple[str, str]]:
    a = t.post_authors.c
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(a.slug, a.name).where(a.post_id == post_id).order_by(a.position)
        )
        return [(r[0], r[1]) for r in rows]


async def test_a_new_post_reads_back_equal_with_labels_in_order_and_aware_utc_dates(
    store: Store, site: Site, clock: FakeClock
) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    published = datetime(2026, 11, 24, 15, 30, 15, 123456, tzinfo=india)  # 10:00:15 UTC
    authors = (
        Author("Zoë Ångström", "https://zoe.example/", "zoe@example.org"),
        Author("Kenji 田中"),
    )
    draft = PostDraft(
        title="Pruning in winter",
        content_html="<p>Cut <b>back</b> <img src='/a.jpg'></p>",
        published=published,
        labels=("zeta", "alpha", "Mid"),
        authors=authors,
        enclosures=(Enclosure("http://blog.test/a.mp3", "audio/mpeg", 1234),),
    )
    stored = await store.write_post(
        prepare_post(site, draft, clock.now()), [], clock.now(), is_new=True
    )
    assert stored.id > 0

    got = await store.get_post(site.id, str(stored.id))
    assert got == stored
    assert got.labels == ("zeta", "alpha", "Mid")
    assert got.authors == authors
    assert got.published == published
    assert got.published.tzinfo is UTC and got.updated.tzinfo is UTC
    assert got.published.microsecond == 123456
    assert got.thumbnail == "http://blog.test/a.jpg"

    (listed,) = (await store.select_posts(site.id, site_feed(), clock.now())).posts
    assert listed == stored
    assert await _author_rows(store, stored.id) == [
        (slugify(a.name), a.name) for a in authors
    ] == [("zoe-angstrom", "Zoë Ångström"), ("kenji-田中", "Kenji 田中")]


async def test_updating_a_post_replaces_its_fields_labels_and_authors_and_marks_keys(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock, count_rows: CountRows
) -> None:
    first = await add_post("Old title", labels=("a", "b"), authors=("Ann",))
    clock.advance(hours=1)
    draft = PostDraft(
        "New title", "<p>new</p>", published=first.published, labels=("c", "a"),
        authors=(Author("Bob"),),
    )
    after = prepare_post(site, draft, clock.now(), existing=first)
    stored = await store.write_post(
        after, ["/feeds/posts/default", "/feeds/posts/default/-/b"], clock.now(), is_new=False
    )

    assert stored.id == first.id
    got = await store.get_post(site.id, first.entry_id)
    assert got == stored
    assert (got.slug, got.title, got.version) == ("new-title", "New title", 2)
    assert got.labels == ("c", "a")
    assert got.updated == clock.now()
    assert await _author_rows(store, first.id) == [("bob", "Bob")]
    assert await count_rows(t.posts) == 1
    assert await count_rows(t.post_labels) == 2
    ((site_id, (max_id, keys)),) = (await store.dirty_feeds()).items()
    # The feeds of the authors it had and has: only the write knows which author a name is.
    assert (site_id, keys) == (site.id, ["/feeds/authors/ann/default",
                                         "/feeds/authors/bob/default",
                                         "/feeds/posts/default", "/feeds/posts/default/-/b"])
    assert max_id > 0
    with pytest.raises(PostNotFoundError):
        await store.get_post(site.id, "old-title")


@pytest.mark.parametrize("taken", ["slug", "entry_id"])
async def test_a_second_post_with_a_taken_slug_or_entry_id_is_refused_and_stores_nothing(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock, count_rows: CountRows,
    taken: str,
) -> None:
    first = await add_post("First", labels=("x",), authors=("Ann",), entry_id="tag:t,2026:one")
    tables = (t.posts, t.post_labels, t.post_authors, t.authors, t.dirty_feeds)
    before = [await count_rows(table) for table in tables]
    dirty = await store.dirty_feeds()  # Ann's feed, by the first post
    draft = PostDraft(
        "Second", "<p>two</p>", published=clock.now() - HOUR,
        slug="first" if taken == "slug" else None,
        entry_id=first.entry_id if taken == "entry_id" else None,
        labels=("y", "z"), authors=(Author("Bob"), Author("Cy")),
    )
    post = prepare_post(site, draft, clock.now())

    with pytest.raises(InvalidPostError) as caught:
        await store.write_post(
            post, ["/feeds/posts/default", "/feeds/posts/default/-/y"], clock.now(), is_new=True
        )

    assert caught.value.field == taken
    assert isinstance(caught.value, ValueError)
    assert [await count_rows(table) for table in tables] == before
    assert await store.dirty_feeds() == dirty
    assert ids(await store.list_posts(site.id)) == [first.id]
    assert await store.get_post(site.id, "first") == first


async def test_an_update_taking_another_posts_slug_is_refused_and_changes_nothing(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    await add_post("Taken")
    mine = await add_post("Mine", labels=("keep",))
    draft = PostDraft("Mine", "<p>x</p>", published=mine.published, slug="taken", labels=("new",))
    after = prepare_post(site, draft, clock.now(), existing=mine)
    with pytest.raises(InvalidPostError) as caught:
        await store.write_post(after, ["/feeds/posts/default"], clock.now(), is_new=False)
    assert caught.value.field == "slug"
    assert await store.get_post(site.id, str(mine.id)) == mine
    assert await store.dirty_feeds() == {}


async def test_the_same_slug_on_another_site_is_fine(
    store: Store, add_post: AddPost, make_site: MakeSite
) -> None:
    other = await make_site("other.test")
    here = await add_post("Same")
    there = await add_post("Same", on=other)
    assert here.slug == there.slug and here.id != there.id
    assert await store.get_post(other.id, "same") == there


LONG = "word " * 60  # 300 characters: slug and label 299 after cleaning
LONG_TEXTS = {
    "title": {"title": LONG},
    "label": {"labels": (LONG,)},
    # 120 characters fit VARCHAR(255), but its feed key, percent-encoded, is 1103 characters
    # long: more than dirty_feeds.key / artifacts.key (VARCHAR(1024)) take.
    "cjk-label": {"labels": ("田" * 120,)},
}


@pytest.mark.parametrize("case", list(LONG_TEXTS))
async def test_a_very_long_title_or_label_is_stored_or_refused_alike_on_both_engines(
    store: Store, site: Site, clock: FakeClock, request: pytest.FixtureRequest, case: str
) -> None:
    fields: dict[str, object] = {
        "title": "Short", "content_html": "<p>x</p>", "published": clock.now() - HOUR,
        **LONG_TEXTS[case],
    }
    try:
        post = prepare_post(site, PostDraft(**fields), clock.now())  # type: ignore[arg-type]
        # The keys the publisher marks with a new post (feeds/publishing.py Publisher._write).
        keys = touched_keys(None, post, FeedContext(default_max=25, hub_url=None))
        stored = await store.write_post(post, keys, clock.now(), is_new=True)
    except InvalidPostError as refused:
        assert refused.field in ("title", "slug") or refused.field.startswith("labels")
        assert await store.list_posts(site.id) == []
        assert await store.dirty_feeds() == {}
    else:
        assert await store.get_post(site.id, stored.slug) == stored
        ((_, marked),) = (await store.dirty_feeds()).values()
        assert sorted(marked) == sorted(keys)


# -- finding one post --------------------------------------------------------------------


async def test_get_post_finds_a_post_by_id_slug_or_entry_id_whatever_its_status(
    store: Store, site: Site, add_post: AddPost
) -> None:
    draft = await add_post("Hidden draft", status=PostStatus.DRAFT, labels=("l",))
    for ref in (str(draft.id), draft.slug, draft.entry_id):
        assert await store.get_post(site.id, ref) == draft


async def test_get_post_raises_post_not_found_for_unknown_refs_and_other_sites_posts(
    store: Store, site: Site, add_post: AddPost, make_site: MakeSite
) -> None:
    other = await make_site("other.test")
    elsewhere = await add_post("Elsewhere", on=other)
    for ref in ("nope", "999999", "", str(elsewhere.id), elsewhere.slug):
        with pytest.raises(PostNotFoundError) as caught:
            await store.get_post(site.id, ref)
        assert isinstance(caught.value, LookupError)
        assert caught.value.name == ref


@pytest.mark.parametrize("ref", ["99999999999999999999", "²"])
async def test_get_post_with_a_number_no_post_can_have_is_not_found(
    store: Store, site: Site, ref: str
) -> None:
    with pytest.raises(PostNotFoundError):
        await store.get_post(site.id, ref)


async def test_a_numeric_slug_does_not_shadow_another_posts_id(
    store: Store, site: Site, add_post: AddPost
) -> None:
    two = await add_post("2")
    one = await add_post("1")
    assert (two.slug, one.slug) == ("2", "1")
    assert str(two.id) == one.slug  # post "2" has id 1, the slug of post "1"
    found = {(await store.get_post(site.id, ref)).id for ref in ("1", "2")}
    assert found == {one.id, two.id}  # whichever precedence: each post is reachable


# -- what feeds show ---------------------------------------------------------------------


async def test_only_published_posts_dated_up_to_now_appear(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    visible = await add_post("Visible", labels=("l",), authors=("Ann",))
    at_now = await add_post("Exactly now", ago=timedelta(0), labels=("l",), authors=("Ann",))
    hidden = [
        await add_post("Draft", status=PostStatus.DRAFT, labels=("l",), authors=("Ann",)),
        await add_post("Scheduled", status=PostStatus.SCHEDULED, ago=-HOUR, labels=("l",)),
        await add_post("Future", ago=-timedelta(seconds=1), labels=("l",), authors=("Ann",)),
    ]
    gone = await add_post("Gone", labels=("l",), authors=("Ann",))
    await store.write_post(deleted(gone, now), [], now, is_new=False)
    assert hidden[1].status is PostStatus.SCHEDULED

    for key in (site_feed(), label_feed("l"), author_feed("ann")):
        page = await store.select_posts(site.id, key, now)
        assert ids(page.posts) == [at_now.id, visible.id], key
        assert page.total == 2
    for post in (*hidden, gone):
        assert await store.visible_post(site.id, post.id, now) is None
    assert await store.visible_post(site.id, visible.id, now) == visible
    assert len(await store.list_posts(site.id)) == 6


async def test_a_post_of_another_site_never_shows(
    store: Store, site: Site, add_post: AddPost, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    await add_post("Elsewhere", on=other, labels=("l",))
    mine = await add_post("Mine", labels=("l",))
    assert ids((await store.select_posts(site.id, label_feed("l"), clock.now())).posts) == [
        mine.id
    ]


async def test_a_label_feed_of_two_labels_shows_posts_having_both(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    both = await add_post("Both", ago=HOUR, labels=("feeds", "atom"))
    await add_post("Feeds only", ago=2 * HOUR, labels=("feeds",))
    await add_post("Atom only", ago=3 * HOUR, labels=("atom", "rss"))
    reversed_ = await add_post("Both reversed", ago=4 * HOUR, labels=("rss", "atom", "feeds"))
    now = clock.now()

    page = await store.select_posts(site.id, label_feed("feeds", "atom"), now)
    assert (ids(page.posts), page.total) == ([both.id, reversed_.id], 2)
    assert page.posts[1].labels == ("rss", "atom", "feeds")
    page = await store.select_posts(site.id, label_feed("feeds"), now)
    assert page.total == 3
    page = await store.select_posts(site.id, label_feed("feeds", "nothing"), now)
    assert (page.posts, page.total) == ((), 0)


async def test_an_author_feed_shows_that_authors_posts_by_slug(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    solo = await add_post("Solo", ago=HOUR, authors=("Zoë Ångström",))
    shared = await add_post("Shared", ago=2 * HOUR, authors=("Kenji 田中", "Zoë Ångström"))
    await add_post("Nobody", ago=3 * HOUR)
    now = clock.now()
    page = await store.select_posts(site.id, author_feed("zoe-angstrom"), now)
    assert (ids(page.posts), page.total) == ([solo.id, shared.id], 2)
    page = await store.select_posts(site.id, author_feed("kenji-田中"), now)
    assert ids(page.posts) == [shared.id]
    assert (await store.select_posts(site.id, author_feed("zoë"), now)).total == 0


async def test_published_and_updated_windows_take_min_inclusive_and_max_exclusive(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    # (hours ago published, hours ago updated)
    a = await add_post("A", ago=4 * HOUR, updated=now - 4 * HOUR)
    b = await add_post("B", ago=3 * HOUR, updated=now - HOUR)
    c = await add_post("C", ago=2 * HOUR, updated=now - 2 * HOUR)
    d = await add_post("D", ago=HOUR, updated=now - HOUR / 2)

    async def shown(**query: object) -> list[int]:
        page = await store.select_posts(site.id, site_feed(**query), now)
        assert page.total == len(page.posts)
        return ids(page.posts)

    assert await shown(published_min=now - 3 * HOUR, published_max=now - HOUR) == [c.id, b.id]
    assert await shown(published_min=now - 2 * HOUR) == [d.id, c.id]
    assert await shown(published_max=now - 3 * HOUR) == [a.id]
    assert await shown(updated_min=now - 2 * HOUR, updated_max=now - HOUR / 2) == [c.id, b.id]
    assert await shown(updated_min=now - HOUR) == [d.id, b.id]
    # C is published exactly at published-max: excluded although its update is in window.
    assert await shown(
        published_max=now - 2 * HOUR, updated_min=now - 2 * HOUR, updated_max=now
    ) == [b.id]
    assert await shown(published_min=now) == []


async def test_orderby_updated_orders_by_updated_and_published_by_published(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    old_but_edited = await add_post("Old but edited", ago=5 * HOUR, updated=now - HOUR / 6)
    recent = await add_post("Recent", ago=HOUR)
    middle = await add_post("Middle", ago=3 * HOUR, updated=now - 2 * HOUR)

    by_published = await store.select_posts(site.id, site_feed(), now)
    assert ids(by_published.posts) == [recent.id, middle.id, old_but_edited.id]
    by_updated = await store.select_posts(site.id, site_feed(orderby=OrderBy.UPDATED), now)
    assert ids(by_updated.posts) == [old_but_edited.id, recent.id, middle.id]


async def test_paging_takes_start_index_and_max_results_and_counts_the_whole_feed(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    posts = [await add_post(f"Post {n}", ago=n * HOUR, labels=("l",)) for n in range(1, 6)]
    now = clock.now()

    async def page(start: int, size: int) -> tuple[list[int], int]:
        got = await store.select_posts(
            site.id, label_feed("l", start_index=start, max_results=size), now
        )
        return ids(got.posts), got.total

    assert await page(1, 2) == (ids(posts[0:2]), 5)
    assert await page(3, 2) == (ids(posts[2:4]), 5)
    assert await page(5, 2) == (ids(posts[4:5]), 5)
    assert await page(7, 2) == ([], 5)
    assert await page(2, 25) == (ids(posts[1:]), 5)


async def test_posts_published_at_the_same_moment_come_higher_id_first_on_every_page(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    same = clock.now() - HOUR
    posts = [await add_post(f"Tie {n}", published=same) for n in range(4)]
    newest_first = sorted(ids(posts), reverse=True)
    now = clock.now()
    assert ids((await store.select_posts(site.id, site_feed(), now)).posts) == newest_first
    paged = [
        *(await store.select_posts(site.id, site_feed(max_results=2), now)).posts,
        *(await store.select_posts(site.id, site_feed(max_results=2, start_index=3), now)).posts,
    ]
    assert ids(paged) == newest_first
    by_updated = await store.select_posts(site.id, site_feed(orderby=OrderBy.UPDATED), now)
    assert ids(by_updated.posts) == newest_first


# -- comments ----------------------------------------------------------------------------


def _new_comment(
    site: Site, post_id: int, entry_id: str, author: Author, html: str, published: datetime
) -> Comment:
    return Comment(0, post_id, site.id, entry_id, author, html, published, published)


async def _comment(
    store: Store, site: Site, post: Post, n: int, published: datetime, now: datetime
) -> int:
    comment = await store.add_comment(
        _new_comment(site, post.id, f"tag:blog.test,2026:comment-{post.id}-{n}",
                     Author(f"Reader {n}"), f"<p>Comment {n}</p>", published), [], now,
    )
    return comment.id


async def _hold_for_moderation(store: Store, comment_id: int) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            update(t.comments).where(t.comments.c.id == comment_id).values(status="pending")
        )


async def test_comment_feeds_show_approved_comments_on_visible_posts_with_their_post(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    first = await add_post("First", ago=5 * HOUR)
    second = await add_post("Second", ago=4 * HOUR)
    draft = await add_post("Draft", status=PostStatus.DRAFT)
    c1 = await _comment(store, site, first, 1, now - 3 * HOUR, now)
    held = await _comment(store, site, first, 2, now - 2 * HOUR, now)
    c3 = await _comment(store, site, second, 3, now - HOUR, now)
    await _comment(store, site, draft, 4, now - HOUR, now)
    await _hold_for_moderation(store, held)

    site_page = await store.select_comments(site.id, FeedKey(FeedKind.COMMENTS, _query()), now)
    assert site_page.total == 2
    assert [(c.id, p.id) for c, p in site_page.comments] == [(c3, second.id), (c1, first.id)]
    comment, post = site_page.comments[1]
    assert comment.author == Author("Reader 1")
    assert comment.published == now - 3 * HOUR and comment.published.tzinfo is UTC
    assert post.title == "First" and post.comment_count == 1

    one = FeedKey(FeedKind.POST_COMMENTS, _query(), post_id=first.id)
    post_page = await store.select_comments(site.id, one, now)
    assert (post_page.total, [c.id for c, _ in post_page.comments]) == (1, [c1])

    paged = FeedKey(FeedKind.COMMENTS, _query(max_results=1, start_index=2))
    assert [c.id for c, _ in (await store.select_comments(site.id, paged, now)).comments] == [c1]
    window = FeedKey(FeedKind.COMMENTS, _query(published_min=now - 2 * HOUR))
    assert [c.id for c, _ in (await store.select_comments(site.id, window, now)).comments] == [c3]


async def test_posts_count_only_their_approved_comments(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    post = await add_post("Discussed")
    quiet = await add_post("Quiet", ago=2 * HOUR)
    await _comment(store, site, post, 1, now, now)
    await _comment(store, site, post, 2, now, now)
    await _hold_for_moderation(store, await _comment(store, site, post, 3, now, now))

    page = await store.select_posts(site.id, site_feed(), now)
    assert [(p.id, p.comment_count) for p in page.posts] == [(post.id, 2), (quiet.id, 0)]
    shown = await store.visible_post(site.id, post.id, now)
    assert shown is not None and shown.comment_count == 2


async def test_a_comment_on_an_unknown_post_is_refused_and_marks_nothing(
    store: Store, site: Site, clock: FakeClock, count_rows: CountRows
) -> None:
    with pytest.raises(NotFoundError):
        await store.add_comment(
            _new_comment(site, 424242, "tag:x,2026:c", Author("R"), "<p>x</p>", clock.now()),
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
        _new_comment(site, post.id, "tag:x,2026:c", Author("R"), "<p>x</p>", clock.now()),
        keys, clock.now(),
    )
    ((_, marked),) = (await store.dirty_feeds()).values()
    assert sorted(marked) == sorted(keys)


# -- the site's labels, authors and commented posts --------------------------------------


async def test_labels_authors_and_commented_posts_reflect_only_visible_posts(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    one = await add_post("One", labels=("b", "a"), authors=("Zoë Ångström",))
    two = await add_post("Two", labels=("a",), authors=("Kenji 田中", "Zoë Ångström"))
    draft = await add_post("Draft", status=PostStatus.DRAFT, labels=("secret",), authors=("Gh",))
    future = await add_post("Future", ago=-HOUR, labels=("soon",), authors=("Later",))
    gone = await add_post("Gone", labels=("gone",), authors=("Ex",))
    await store.write_post(deleted(gone, now), [], now, is_new=False)
    for post in (one, draft, future, gone):
        await _comment(store, site, post, post.id, now, now)

    assert await store.labels(site.id, now) == [("a", 2), ("b", 1)]
    assert await store.authors(site.id, now) == [
        ("kenji-田中", "Kenji 田中", 1),
        ("zoe-angstrom", "Zoë Ångström", 2),
    ]
    assert await store.commented_posts(site.id, now) == [one.id]
    assert two.id not in await store.commented_posts(site.id, now)

    later = now + 2 * HOUR
    assert await store.labels(site.id, later) == [("a", 2), ("b", 1), ("soon", 1)]
    assert ("later", "Later", 1) in await store.authors(site.id, later)
    assert await store.commented_posts(site.id, later) == sorted([one.id, future.id])


async def test_labels_and_authors_sort_by_code_point_alike_on_both_engines(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    names = ["b", "B", "a", "Ä", "a b", "a-b", "Zed"]
    await add_post("All", labels=names, authors=names)
    assert [lb for lb, _ in await store.labels(site.id, clock.now())] == sorted(names)
    slugs = [slug for slug, _, _ in await store.authors(site.id, clock.now())]
    # "b" and "B" are one author; "a" and "Ä", "a b" and "a-b" are two, with two feeds.
    assert slugs == ["a", "a-2", "a-b", "a-b-2", "b", "zed"]


async def test_another_sites_labels_and_authors_stay_there(
    store: Store, site: Site, add_post: AddPost, make_site: MakeSite, clock: FakeClock
) -> None:
    other = await make_site("other.test")
    await add_post("Elsewhere", on=other, labels=("theirs",), authors=("Them",))
    await add_post("Here", labels=("ours",), authors=("Us",))
    assert await store.labels(site.id, clock.now()) == [("ours", 1)]
    assert await store.authors(site.id, clock.now()) == [("us", "Us", 1)]


# -- posts coming due --------------------------------------------------------------------


async def test_came_due_returns_posts_stored_ahead_of_their_date_whose_time_passed(
    store: Store, add_post: AddPost, clock: FakeClock
) -> None:
    now = clock.now()
    await add_post("Long ago", ago=2 * HOUR)
    await add_post("At now", ago=timedelta(0))  # its write marked its feeds: not due
    soon = await add_post("Soon", ago=-HOUR)
    later = await add_post("Later", ago=-3 * HOUR)
    await add_post("Draft", status=PostStatus.DRAFT, ago=-HOUR)

    assert await store.came_due(now - 2 * HOUR, now) == []
    assert await store.came_due(now, now) == []
    assert ids(await store.came_due(now, now + 2 * HOUR)) == [soon.id]
    (due,) = await store.came_due(now, now + 2 * HOUR)
    assert due == soon
    assert ids(await store.came_due(now + 2 * HOUR, now + 4 * HOUR)) == [later.id]


async def test_a_scheduled_post_comes_due_and_shows_once_its_time_passes(
    store: Store, site: Site, add_post: AddPost, clock: FakeClock
) -> None:
    scheduled = await add_post("Scheduled", status=PostStatus.SCHEDULED, ago=-HOUR)
    now = clock.now()
    assert (await store.select_posts(site.id, site_feed(), now)).total == 0
    later = now + 2 * HOUR
    assert ids(await store.came_due(now, later)) == [scheduled.id]
    assert ids((await store.select_posts(site.id, site_feed(), later)).posts) == [scheduled.id]
