"""A renamed label's WebSub subscriptions in the store, on both engines: in the rename's own
transaction each follows the label (re-pointed to the new feed, its push written or left to
the new feed's regeneration) and a move is recorded; the verification job claims a move
with the lease that remains, and a move taken names the subscription by the new URL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feeds.models import Fanout, FeedFormat, Site, Topic
from feeds.store import Store
from feeds.store import schema as t
from feeds.store.label_moves import MoveOutcome
from server.clock import FakeClock
from tests.feeds.store.test_store_artifacts import artifact

CALLBACK = "https://reader.example/cb"
OLD, NEW = "/feeds/posts/default/-/old", "/feeds/posts/default/-/new"
CLAIM = timedelta(minutes=5)


async def subscribe(store: Store, site: Site, clock: FakeClock, key: str,
                    fmt: FeedFormat = FeedFormat.ATOM, query: str = "",
                    callback: str = CALLBACK, lease: int = 3600) -> None:
    topic = Topic(site.id, key, fmt, f"{site.base_url}{key}{query}")
    await store.add_intent("subscribe", topic, callback, "reader.example", "s3cret", lease,
                           None, clock.now())
    [intent] = await store.claim_intents(clock.now(), 10, CLAIM)
    assert await store.finish_intent(intent, True, None, clock.now()) is not None


async def rows(store: Store, table: t.Table) -> list[dict[str, object]]:
    async with store.engine.connect() as conn:
        result = await conn.execute(select(table).order_by(table.c.id))
        return [dict(r._mapping) for r in result]


async def test_a_rename_moves_the_labels_subscriptions_and_pushes_the_new_feed(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await subscribe(store, site, clock, OLD)
    await subscribe(store, site, clock, OLD, FeedFormat.RSS, "?alt=rss")
    await subscribe(store, site, clock, "/feeds/posts/default")  # not the label's: stays
    new_feed = artifact(site, NEW, FeedFormat.ATOM, b"<feed>new</feed>")
    await store.save_artifacts([new_feed], clock.now(), None)  # stored before the rename
    clock.advance(seconds=600)

    assert await store.move_label_aliases(site.id, "old", "new", clock.now()) == 2
    subs = await rows(store, t.subscriptions)
    assert [(s["feed_key"], s["topic"]) for s in subs] == [
        (NEW, f"{site.base_url}{OLD}"), (NEW, f"{site.base_url}{OLD}?alt=rss"),
        ("/feeds/posts/default", f"{site.base_url}/feeds/posts/default")]
    moves = await rows(store, t.intents)
    assert [(i["mode"], i["topic"], i["moved_from"], i["state"]) for i in moves[3:]] == [
        ("move", f"{site.base_url}{NEW}", f"{site.base_url}{OLD}", "pending"),
        ("move", f"{site.base_url}{NEW}?alt=rss", f"{site.base_url}{OLD}?alt=rss", "pending")]
    assert all(i["secret"] is None for i in moves[3:])  # the subscription keeps its own
    # The Atom feed is stored: its subscriber gets it now. The RSS one is not yet: its
    # regeneration pushes it, to the moved subscription among its others.
    [push] = await rows(store, t.deliveries)
    assert (push["feed_key"], push["format"], push["topic"], push["etag"], push["state"]) == (
        NEW, "atom", f"{site.base_url}{OLD}", new_feed.etag, "pending")
    rss = artifact(site, NEW, FeedFormat.RSS, b"<rss>new</rss>")
    assert await store.save_artifacts([rss], clock.now(), None, fanout=Fanout()) == 1
    assert [d["topic"] for d in await rows(store, t.deliveries)][1:] == [
        f"{site.base_url}{OLD}?alt=rss"]


async def test_a_pending_push_of_the_old_feed_carries_the_new_one(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await subscribe(store, site, clock, OLD)
    await store.save_artifacts([artifact(site, OLD, FeedFormat.ATOM, b"<feed>old</feed>")],
                               clock.now(), None, fanout=Fanout())
    new_feed = artifact(site, NEW, FeedFormat.ATOM, b"<feed>new</feed>")
    await store.save_artifacts([new_feed], clock.now(), None)
    await store.move_label_aliases(site.id, "old", "new", clock.now())
    [push] = await rows(store, t.deliveries)  # the same row: one push, of the new feed
    assert (push["feed_key"], push["etag"], push["state"]) == (NEW, new_feed.etag, "pending")


async def test_a_callback_holding_the_new_feed_keeps_one_subscription(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await subscribe(store, site, clock, OLD)
    await subscribe(store, site, clock, NEW)
    await subscribe(store, site, clock, OLD, callback="https://other.example/cb")
    assert await store.move_label_aliases(site.id, "old", "new", clock.now()) == 1
    subs = await rows(store, t.subscriptions)
    assert [(s["callback"], s["topic"]) for s in subs] == [
        (CALLBACK, f"{site.base_url}{NEW}"),
        ("https://other.example/cb", f"{site.base_url}{OLD}")]


async def test_lapsed_subscriptions_and_other_labels_are_left_alone(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await subscribe(store, site, clock, OLD, lease=60)
    await subscribe(store, site, clock, "/feeds/posts/default/-/older",
                    callback="https://o.example/")
    clock.advance(seconds=61)
    assert await store.move_label_aliases(site.id, "old", "new", clock.now()) == 0
    assert [s["feed_key"] for s in await rows(store, t.subscriptions)] == [
        OLD, "/feeds/posts/default/-/older"]


async def test_a_move_is_claimed_with_the_lease_left_and_taken_names_the_new_url(
    store: Store, site: Site, clock: FakeClock
) -> None:
    subscribed_at = clock.now()
    await subscribe(store, site, clock, OLD, lease=3600)
    await store.save_artifacts([artifact(site, NEW, FeedFormat.ATOM, b"<feed/>")],
                               clock.now(), None)
    await store.move_label_aliases(site.id, "old", "new", clock.now())
    clock.advance(seconds=600.5)
    assert await store.pending_intents() == 0  # moves are the hub's own work, not requests
    [move] = await store.claim_intents(clock.now(), 10, CLAIM)
    assert (move.mode, move.topic.url, move.moved_from) == (
        "move", f"{site.base_url}{NEW}", f"{site.base_url}{OLD}")
    assert move.lease_seconds == 2999  # rounded down: it ends no later than ours

    await store.finish_move(move, MoveOutcome.TAKEN, None, clock.now())
    [sub] = await rows(store, t.subscriptions)
    assert (sub["topic"], sub["feed_key"], sub["lease_seconds"], sub["secret"]) == (
        f"{site.base_url}{NEW}", NEW, 2999, "s3cret")
    # It ends when it would have.
    assert sub["expires_at"] == subscribed_at + timedelta(seconds=3600)
    [push] = await rows(store, t.deliveries)  # its push goes on under the new name
    assert push["topic"] == f"{site.base_url}{NEW}"
    assert [(i["state"], i["attempts"]) for i in await rows(store, t.intents)][1:] == [
        ("verified", 1)]


async def test_a_move_whose_subscription_ended_or_moved_again_is_closed_unasked(
    store: Store, site: Site, clock: FakeClock
) -> None:
    await subscribe(store, site, clock, OLD)
    await store.move_label_aliases(site.id, "old", "new", clock.now())
    await store.move_label_aliases(site.id, "new", "newest", clock.now())
    [later] = await store.claim_intents(clock.now(), 10, CLAIM)  # the first is stale
    assert later.topic.url == f"{site.base_url}/feeds/posts/default/-/newest"
    states = [(i["state"], i["last_error"]) for i in await rows(store, t.intents)][1:]
    assert states[0] == ("failed", "the label moved again: a later move asks for its new URL")

    await store.finish_move(later, MoveOutcome.RETRY, "HTTP 503", clock.now(),
                            clock.now() + timedelta(seconds=30))
    await store.expire_leases(clock.now() + timedelta(days=1))
    clock.advance(seconds=31)
    assert await store.claim_intents(clock.now(), 10, CLAIM) == []
    assert [(i["state"], i["last_error"]) for i in await rows(store, t.intents)][2] == (
        "failed", "the subscription ended before it was moved")
