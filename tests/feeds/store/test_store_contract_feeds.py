"""The store contract, what feeds show: published posts dated up to now, of this site, by label,
author, date window and order, page by page; a scheduled post once it comes due (the `store`
fixture is parametrized over both a SQLite file and the real PostgreSQL server: each story holds
alike on both)."""

from __future__ import annotations

from datetime import timedelta

from feeds.models import OrderBy, PostStatus, Site
from feeds.posts import deleted
from feeds.store import Store
from server.clock import FakeClock
from tests.feeds.store.conftest import AddPost, MakeSite
from tests.feeds.store.contract_helpers import HOUR, author_feed, ids, label_feed, site_feed


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
