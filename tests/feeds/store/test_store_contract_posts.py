"""The store contract, writing and finding posts: a post reads back as written, an update
replaces it whole, a taken slug or entry id is refused leaving nothing behind, very long texts
fare alike, and a post is found by id, slug or entry id (the `store` fixture is parametrized
over both a SQLite file and the real PostgreSQL server: each story holds alike on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from feeds.errors import InvalidPostError, PostNotFoundError
from feeds.feedset import FeedContext, touched_keys
from feeds.models import Author, Enclosure, PostDraft, PostStatus, Site
from feeds.posts import prepare_post
from feeds.query import slugify
from feeds.store import Store
from feeds.store import schema as t
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, CountRows, MakeSite
from tests.feeds.store.contract_helpers import HOUR, ids, site_feed


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

