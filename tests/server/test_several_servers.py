"""Two `syndic serve` on one store (two servers behind a load balancer, not the workers of
one): a change made through either is served by both, with the same bytes, ETag and
Last-Modified, within the regeneration's poll, and nothing is rendered twice for it.

Both servers here are real apps on one SQLite file and one FakeClock. In the stories that
check what the first server does without rendering, its jobs poll once a minute, and the
test runs its site feeds' job (the one that reads what other servers stored) when the
second server has stored its versions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from server import jobs
from server.keys import FEEDS, PUBLISHER, STORE
from server.scheduler import JOB_STATE
from tests.server.api_conftest import Api, Reply, until

ApiMaker = Callable[..., Awaitable[Api]]
FEEDS_SHOWING = ("/feeds/posts/default", "/feeds/posts/default/-/cooking", "/feed.json",
                 "/feeds/posts/default?alt=rss", "/feeds/posts/full")


def validators(reply: Reply) -> tuple[int, str | None, str | None]:
    return reply.status, reply.headers.get("ETag"), reply.headers.get("Last-Modified")


async def both(first: Api, second: Api, path: str) -> tuple[Reply, Reply]:
    return await first.feed(path), await second.feed(path)


async def all_stored(api: Api) -> bool:
    return not await api.store.dirty_feeds()


async def one_poll(api: Api) -> None:
    """The first server's site feeds' job, as its poll runs it."""
    await jobs.regenerate(api.app, api.app[JOB_STATE], site_feeds=True)


async def test_a_post_created_through_one_server_shows_in_every_feed_of_the_other(
        make_api: ApiMaker) -> None:
    first, second = await make_api(), await make_api()
    await second.create_post(title="Via B only", labels=["cooking"])
    for path in FEEDS_SHOWING:
        # The same stored version on both: a reader sent to either keeps its ETag and its
        # date (a feed not stored yet is rendered for the reader who asks, without a date).
        mine, theirs = await until(partial(both, first, second, path), lambda replies: (
            "Via B only" in replies[0].text and replies[0].headers.get("Last-Modified")
            and validators(replies[0]) == validators(replies[1])), timeout=5)
        assert mine.text == theirs.text, path


async def test_the_other_server_serves_what_was_stored_without_rendering_it(
        make_api: ApiMaker) -> None:
    first = await make_api(feeds={"change_poll_seconds": 60})
    second = await make_api()
    variant = "/feeds/posts/default?max-results=1"
    assert (await first.feed_titles(variant)) == []  # rendered once, kept as a variant
    await second.create_post(title="Via B only", labels=["cooking"])
    await until(partial(all_stored, second), bool)
    rendered = first.app[PUBLISHER].documents_rendered

    await one_poll(first)
    assert first.app[PUBLISHER].documents_rendered == rendered  # read back, not rendered
    for path in FEEDS_SHOWING:
        mine, theirs = await first.feed(path), await second.feed(path)
        assert "Via B only" in mine.text, path
        assert validators(mine) == validators(theirs) and mine.text == theirs.text, path
    # The first server's variant of the site feed went with the stored version it shows.
    assert await first.feed_titles(variant) == ["Via B only"]

    # A change through the first server now is a newer version everywhere, dated after
    # the one it replaces, however close the two were made.
    before = validators(await first.feed("/feeds/posts/default"))
    await first.create_post(title="Via A", labels=["cooking"])
    await first.app[FEEDS].compressions_done()
    after = await until(partial(first.feed, "/feeds/posts/default"),
                        lambda r: "Via A" in r.text)
    assert after.headers["Last-Modified"] != before[2]
    assert validators(await until(partial(second.feed, "/feeds/posts/default"),
                                  lambda r: "Via A" in r.text)) == validators(after)


async def test_a_post_deleted_through_one_server_leaves_the_others_feeds(
        make_api: ApiMaker) -> None:
    first = await make_api(feeds={"change_poll_seconds": 60})
    second = await make_api()
    post = await second.create_post(title="Soon gone", labels=["cooking"])
    await until(partial(all_stored, second), bool)
    await one_poll(first)
    assert "Soon gone" in (await first.feed("/feeds/posts/default/-/cooking")).text

    await second.delete(f"/api/posts/{post['id']}", expect=204)
    await until(partial(second.feed, "/feeds/posts/default/-/cooking"),
                lambda r: r.status == 404)
    await until(partial(all_stored, second), bool)
    await one_poll(first)
    # The label feed has nothing to show: dropped there, dropped here (not served from
    # memory as it was).
    assert (await first.feed("/feeds/posts/default/-/cooking")).status == 404
    for path in FEEDS_SHOWING[::2]:
        mine, theirs = await first.feed(path), await second.feed(path)
        assert "Soon gone" not in mine.text, path
        assert validators(mine) == validators(theirs), path


async def test_a_server_that_missed_pruned_changes_compares_every_stored_feed(
        make_api: ApiMaker) -> None:
    first = await make_api(feeds={"change_poll_seconds": 60})
    second = await make_api()
    await second.create_post(title="Via B only", labels=["cooking"])
    await until(partial(all_stored, second), bool)
    second.clock.advance(hours=2)
    await second.create_post(title="Later", labels=["cooking"])
    await until(partial(all_stored, second), bool)
    # The hourly prune, as if the first server had not polled for two hours.
    assert await second.store.prune_changes(second.clock.now()) > 0
    await one_poll(first)
    for path in FEEDS_SHOWING:
        mine, theirs = await first.feed(path), await second.feed(path)
        assert "Later" in mine.text and "Via B only" in mine.text, path
        assert validators(mine) == validators(theirs), path


async def test_polling_when_nothing_changed_reads_nothing_back(make_api: ApiMaker) -> None:
    first = await make_api(feeds={"change_poll_seconds": 60})
    await one_poll(first)  # past its own start-up's renders
    seen = first.app[FEEDS].changes_seen
    assert seen == await first.store.last_change_id() > 0
    changes = await first.app[STORE].stored_changes(seen)
    assert changes.feeds == [] and changes.last == seen and changes.first is None
