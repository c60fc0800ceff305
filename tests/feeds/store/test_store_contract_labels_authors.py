"""The store contract, a site's labels, authors and commented posts: only visible posts count,
they sort by code point, and another site's stay there (the `store` fixture is parametrized over
both a SQLite file and the real PostgreSQL server: each story holds alike on both)."""

from __future__ import annotations

from feeds.models import PostStatus, Site
from feeds.posts import deleted
from feeds.store import Store
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, MakeSite
from tests.feeds.store.contract_helpers import HOUR, comment_on


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
        await comment_on(store, site, post, post.id, now, now)

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

