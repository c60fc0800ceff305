"""A label renamed or merged keeps its WebSub subscribers, against real subscribers on
loopback: each subscription to the old label's feeds (any format, any projection) follows
the label at once and is pushed the new label's feed; the hub asks the subscriber, with a
verification of intent for the new URL and the lease that remains, to take the new URL.
One that echoes is named by it; one that refuses keeps the URL it knows and is pushed all
the same (WebSub §7: the pushed rel=self may differ from the URL subscribed to). A later
subscription naming the old URL follows the label too.

Retries are scheduled at FakeClock time + backoff: the tests move the clock to make them
due (the outbox job runs on real time, every 0.05 s here)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from feeds.store import schema as t
from tests.conftest import NOW
from tests.server.api_conftest import Api, until
from tests.server.websub_subscriber import Delivered, Subscriber

BASE = "http://blog.test"
LEASE = 864000  # websub.lease_default_seconds
FAST = {"websub": {"allow_private_callbacks": True, "retry_base_seconds": 0.05,
                   "retry_max_seconds": 0.2, "max_attempts": 3},
        "scheduler": {"outbox_poll_seconds": 0.05}}


@pytest.fixture
async def hub(make_api: Callable[..., Awaitable[Api]]) -> Api:
    return await make_api(**FAST)


def label_url(label: str, projection: str = "default", query: str = "") -> str:
    return f"{BASE}/feeds/posts/{projection}/-/{quote(label, safe='')}{query}"


async def subscribe(hub: Api, callback: str, topic: str, **extra: str) -> None:
    form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback, **extra}
    resp = await hub.client.post("/hub", data=form)
    assert resp.status == 202, await resp.text()


async def subscriptions(hub: Api) -> dict[str, str]:
    """callback -> the topic URL its subscription is named by."""
    items = (await hub.get("/api/subscriptions", expect=200)).json["items"]
    return {s["callback"]: s["topic"] for s in items}


async def subscribed(hub: Api, callback: str, topic: str) -> None:
    await subscribe(hub, callback, topic)
    await until(lambda: subscriptions(hub), lambda subs: subs.get(callback) == topic)


async def labelled_post(hub: Api, title: str, label: str) -> dict[str, Any]:
    post = await hub.create_post(title=title, labels=[label])
    await until(lambda: hub.feed_titles(label_url(label).removeprefix(BASE)),
                lambda titles: title in (titles or []))
    return post


async def feed_now(hub: Api, url: str) -> bytes:
    return await (await hub.client.get(url.removeprefix(BASE))).read()


def asked_for(sub: Subscriber, topic: str) -> list[dict[str, str]]:
    return [v for v in sub.verifications if v["hub.topic"] == topic]


def pushed(sub: Subscriber, path_qs: str, entry: str) -> list[Delivered]:
    return [d for d in sub.deliveries if d.path_qs == path_qs and entry.encode() in d.body]


async def move_states(hub: Api) -> list[tuple[str, int]]:
    i = t.intents.c
    async with hub.store.engine.connect() as conn:
        rows = await conn.execute(select(i.state, i.attempts).where(i.mode == "move")
                                  .order_by(i.id))
        return [(r.state, r.attempts) for r in rows]


async def renamed_while_answering(hub: Api, subscriber: Subscriber, answer: str,
                                  state: str) -> None:
    """A post labelled "old", the subscriber subscribed to its feed, the label renamed
    "new" while the subscriber answers verifications with `answer`, until the move is in
    `state` after one try."""
    await labelled_post(hub, "Tagged", "old")
    await subscribed(hub, subscriber.url(), label_url("old"))
    subscriber.verify_answer = answer
    await hub.patch("/api/labels/old", {"name": "new"}, expect=200)
    await until(lambda: move_states(hub), lambda states: states == [(state, 1)])
    assert asked_for(subscriber, label_url("new"))


async def test_a_renamed_labels_subscribers_take_the_new_url_and_get_its_feed(
    hub: Api, subscriber: Subscriber
) -> None:
    first = await labelled_post(hub, "Tagged", "old")
    topics = {"atom": label_url("old"), "rss": label_url("old", query="?alt=rss"),
              "json": label_url("old", query="?alt=json")}
    for name, topic in topics.items():
        await subscribed(hub, subscriber.url(f"/callback?f={name}"), topic)
    hub.clock.advance(seconds=1000)

    await hub.patch("/api/labels/old", {"name": "new name"}, expect=200)
    moved = {"atom": label_url("new name"), "rss": label_url("new name", query="?alt=rss"),
             "json": label_url("new name", query="?alt=json")}
    for name, topic in moved.items():
        await subscriber.wait_for(lambda: bool(asked_for(subscriber, topic)))  # noqa: B023
        [asked] = asked_for(subscriber, topic)
        assert asked["path_qs"].startswith(f"/callback?f={name}&")
        assert asked["hub.mode"] == "subscribe" and len(asked["hub.challenge"]) >= 16
        assert asked["hub.lease_seconds"] == str(LEASE - 1000)  # what remains of it
    await until(lambda: subscriptions(hub), lambda subs: sorted(subs.values()) == sorted(
        moved.values()))

    # The rename changed what they follow: the new feed is pushed to them, naming itself.
    for name in ("atom", "rss"):
        await subscriber.wait_for(
            lambda: bool(pushed(subscriber, f"/callback?f={name}", first["entry_id"])))  # noqa: B023
        got = pushed(subscriber, f"/callback?f={name}", first["entry_id"])[-1]
        assert got.body == await feed_now(hub, moved[name])
        assert f'<{moved[name]}>; rel="self"' in got.headers["Link"]

    post = await hub.create_post(title="Under the new name", labels=["new name"])
    for name in ("atom", "rss"):
        await subscriber.wait_for(
            lambda: bool(pushed(subscriber, f"/callback?f={name}", post["entry_id"])))  # noqa: B023
        got = pushed(subscriber, f"/callback?f={name}", post["entry_id"])[-1]
        assert got.body == await feed_now(hub, moved[name])
    assert await move_states(hub) == [("verified", 1)] * 3
    # Moved, they end when they would have: subscribed at NOW, for LEASE.
    _, subs = await hub.store.page_subscriptions(9, 0)
    assert {s.expires_at for s in subs} == {NOW + timedelta(seconds=LEASE)}


async def test_a_subscriber_that_refuses_the_new_url_keeps_the_old_one_and_its_pushes(
    hub: Api, subscriber: Subscriber
) -> None:
    # WebSub §5.3.1: a subscriber confirms only a topic it asked for (Flask-WebSub answers
    # 404 to any other), so a refusal takes nothing away: the subscription stays as the
    # subscriber knows it, and the label's feed goes on reaching it.
    await renamed_while_answering(hub, subscriber, "404", "failed")
    assert await subscriptions(hub) == {subscriber.url(): label_url("old")}

    post = await hub.create_post(title="Still reaching it", labels=["new"])
    await subscriber.wait_for(lambda: bool(pushed(subscriber, "/callback", post["entry_id"])))
    got = pushed(subscriber, "/callback", post["entry_id"])[-1]
    assert got.body == await feed_now(hub, label_url("new"))
    assert f'<{label_url("new")}>; rel="self"' in got.headers["Link"]
    assert len(asked_for(subscriber, label_url("new"))) == 1  # a refusal is not asked again


async def test_a_move_left_unanswered_is_asked_again_until_the_subscriber_answers(
    hub: Api, subscriber: Subscriber
) -> None:
    await renamed_while_answering(hub, subscriber, "503", "pending")
    subscriber.verify_answer = "echo"
    hub.clock.advance(seconds=1)  # the retry is due (backoff of at most 0.2 s, jitter x2)
    await until(lambda: subscriptions(hub),
                lambda subs: subs == {subscriber.url(): label_url("new")})
    assert await move_states(hub) == [("verified", 2)]
    assert [v["hub.topic"] for v in subscriber.verifications] == [
        label_url("old"), label_url("new"), label_url("new")]


async def test_a_merge_leaves_a_callback_one_subscription_and_one_push_a_change(
    hub: Api, subscriber: Subscriber
) -> None:
    await labelled_post(hub, "Apples", "apples")
    await labelled_post(hub, "Fruit", "fruit")
    await subscribed(hub, subscriber.url(), label_url("apples"))
    await subscribed(hub, subscriber.url(), label_url("fruit"))
    before = len(subscriber.verifications)
    await hub.patch("/api/labels/apples", {"name": "fruit"}, expect=200)  # a merge
    await until(lambda: subscriptions(hub),
                lambda subs: subs == {subscriber.url(): label_url("fruit")})
    assert len(subscriber.verifications) == before  # it holds the feed already: not asked
    assert await move_states(hub) == []

    post = await hub.create_post(title="Pears", labels=["fruit"])
    await subscriber.wait_for(lambda: bool(pushed(subscriber, "/callback", post["entry_id"])))
    await asyncio.sleep(0.5)  # the outbox runs every 0.05 s: a second push would be here
    # One push of each version of the feed (two subscriptions would make two of each).
    _, rows = await hub.store.page_deliveries(100, 0)
    assert {d.topic.url for d in rows} == {label_url("fruit")}
    assert len({d.etag for d in rows}) == len(rows)


async def test_a_subscription_naming_the_old_url_follows_the_label(
    hub: Api, subscriber: Subscriber
) -> None:
    await renamed_while_answering(hub, subscriber, "404", "failed")  # it keeps "old"

    # Its renewal names the URL it knows: verified as asked (WebSub §5.3: hub.topic is the
    # URL of the request), the subscription goes on following the new label.
    subscriber.verify_answer = "echo"
    await subscribe(hub, subscriber.url(), label_url("old"), **{"hub.lease_seconds": "7200"})
    await subscriber.wait_for(lambda: any(v.get("hub.lease_seconds") == "7200"
                                          for v in subscriber.verifications))
    assert subscriber.verifications[-1]["hub.topic"] == label_url("old")
    # A newcomer that found the old URL somewhere follows it too.
    await subscribed(hub, subscriber.url("/callback?newcomer"), label_url("old"))
    _, subs = await until(lambda: hub.store.page_subscriptions(9, 0), lambda page: any(
        s.lease_seconds == 7200 for s in page[1]))
    assert {s.topic.feed_key for s in subs} == {"/feeds/posts/default/-/new"}

    post = await hub.create_post(title="Under the new name", labels=["new"])
    for path in ("/callback", "/callback?newcomer"):
        await subscriber.wait_for(
            lambda: bool(pushed(subscriber, path, post["entry_id"])))  # noqa: B023
        got = pushed(subscriber, path, post["entry_id"])[-1]
        assert got.body == await feed_now(hub, label_url("new"))
        assert f'<{label_url("new")}>; rel="self"' in got.headers["Link"]


async def test_once_posts_carry_the_old_name_again_its_url_is_its_own_feed(
    hub: Api, subscriber: Subscriber
) -> None:
    await labelled_post(hub, "Tagged", "old")
    await hub.patch("/api/labels/old", {"name": "new"}, expect=200)
    again = await labelled_post(hub, "The old name again", "old")
    await subscribed(hub, subscriber.url(), label_url("old"))
    _, [sub] = await hub.store.page_subscriptions(9, 0)
    assert sub.topic.feed_key == "/feeds/posts/default/-/old"
    post = await hub.create_post(title="Old again", labels=["old"])
    await subscriber.wait_for(lambda: bool(pushed(subscriber, "/callback", post["entry_id"])))
    assert again["entry_id"].encode() in subscriber.deliveries[-1].body
