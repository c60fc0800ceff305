"""syndic's hub when subscribers misbehave, against real subscribers on loopback: errors and
timeouts retried with backoff (WebSub §7: hubs SHOULD retry), a 410 ending the subscription,
a redirect taken as a failure, a subscriber back up after downtime getting the latest
version, giving up after websub.max_attempts, newer versions replacing pending retries,
leases that end (§5.1) and re-subscriptions that take only once verified (§5.3).

Retries are scheduled at FakeClock time + backoff: the tests move the clock to make them
due (the outbox job itself runs on real time, every 0.05 s here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from feeds.models import Delivery
from feeds.store import schema as t
from server.push_jobs import expire_leases
from tests.server.api_conftest import Api, until
from tests.server.websub_subscriber import Subscriber

BASE = "http://blog.test"
TOPIC = f"{BASE}/feeds/posts/default"
FAULTS = {"websub": {"allow_private_callbacks": True, "retry_base_seconds": 0.05,
                     "retry_max_seconds": 0.2, "max_attempts": 3,
                     "delivery_timeout_seconds": 0.3},
          "scheduler": {"outbox_poll_seconds": 0.05}}
RETRY_DUE = 1.0
"""FakeClock seconds after which any retry is due (backoff is capped at 0.2 s, jitter x2)."""


@pytest.fixture
async def hub(make_api: Callable[..., Awaitable[Api]]) -> Api:
    return await make_api(**FAULTS)


# -- helpers -------------------------------------------------------------------------------


async def subscribe(hub: Api, sub: Subscriber, **extra: str) -> int:
    form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": sub.url(), **extra}
    resp = await hub.client.post("/hub", data=form)
    return resp.status


async def subscribed(hub: Api, sub: Subscriber, **extra: str) -> None:
    """Subscribe and wait until the subscription is verified."""
    assert await subscribe(hub, sub, **extra) == 202
    await until(lambda: hub.store.page_subscriptions(10, 0), lambda page: page[0] == 1)


async def publish(hub: Api, title: str) -> dict[str, Any]:
    reply = await hub.post("/api/posts", {"title": title, "content_html": "<p>x</p>"},
                           expect=201)
    return reply.json  # type: ignore[no-any-return]


async def feed_now(hub: Api) -> bytes:
    return await (await hub.client.get("/feeds/posts/default")).read()


async def deliveries_to(hub: Api, sub: Subscriber | str) -> list[Delivery]:
    """The hub's delivery rows for this subscriber (or callback URL), oldest first."""
    target = sub if isinstance(sub, str) else sub.url()
    _, rows = await hub.store.page_deliveries(1000, 0)
    return sorted((d for d in rows if d.target == target), key=lambda d: d.id)


async def the_delivery(hub: Api, sub: Subscriber | str) -> Delivery:
    rows = await deliveries_to(hub, sub)
    assert len(rows) == 1, rows
    return rows[0]


async def attempts_of(hub: Api, delivery_id: int) -> list[tuple[int | None, str | None]]:
    """(status, error) of each recorded attempt of one delivery, in order."""
    a = t.delivery_attempts.c
    async with hub.store.engine.connect() as conn:
        rows = await conn.execute(select(a.status, a.error).where(a.delivery_id == delivery_id)
                                  .order_by(a.id))
        return [(r.status, r.error) for r in rows]


async def wait_state(hub: Api, sub: Subscriber | str, state: str, attempts: int
                     ) -> Delivery:
    """Wait until the subscriber's one delivery row is in `state` after `attempts` tries."""
    rows = await until(lambda: deliveries_to(hub, sub), lambda rows: len(rows) == 1 and (
        rows[0].state, rows[0].attempts) == (state, attempts), timeout=5)
    return rows[0]


async def feed_shows(hub: Api, title: str) -> None:
    """Wait until the site feed's newest entry is `title` (regeneration runs on real time)."""
    await until(lambda: hub.feed_titles(), lambda titles: (titles or [])[:1] == [title])


async def subscription_count(hub: Api) -> int:
    total: int = (await hub.store.page_subscriptions(10, 0))[0]
    return total


async def settle(seconds: float = 0.4) -> None:
    """Let the jobs run a few times (they poll every 0.05 s)."""
    import asyncio
    await asyncio.sleep(seconds)


# -- errors and timeouts are retried ------------------------------------------------------


async def test_a_subscriber_answering_500_gets_the_document_on_the_retry(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [500]
    post = await publish(hub, "Retried")
    await wait_state(hub, subscriber, "pending", 1)
    assert subscriber.deliveries == []
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    delivery = await wait_state(hub, subscriber, "delivered", 2)
    assert [s for s, _ in await attempts_of(hub, delivery.id)] == [500, 200]
    assert post["entry_id"].encode() in subscriber.deliveries[0].body
    assert subscriber.deliveries[0].body == await feed_now(hub)
    await settle()
    assert len(subscriber.deliveries) == 1


async def test_a_subscriber_that_times_out_is_tried_again(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.delay = 1.0  # websub.delivery_timeout_seconds is 0.3
    await publish(hub, "Slowly")
    failed = await wait_state(hub, subscriber, "pending", 1)
    [(status, error)] = await attempts_of(hub, failed.id)
    assert status is None and error is not None and "Timeout" in error
    assert subscriber.deliveries == []  # the hub hung up before the subscriber answered
    subscriber.delay = 0.0
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    await wait_state(hub, subscriber, "delivered", 2)
    assert subscriber.deliveries[0].body == await feed_now(hub)


async def test_a_redirect_is_a_failure_that_is_not_followed_and_is_retried(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [302]  # to /elsewhere, which would answer 200
    await publish(hub, "Not moved")
    failed = await wait_state(hub, subscriber, "pending", 1)
    assert await attempts_of(hub, failed.id) == [(302, "HTTP 302")]
    assert subscriber.deliveries == []
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    delivered = await wait_state(hub, subscriber, "delivered", 2)
    assert [s for s, _ in await attempts_of(hub, delivered.id)] == [302, 200]
    assert subscriber.deliveries[0].path_qs == "/callback"


# -- 410 Gone ------------------------------------------------------------------------------


async def test_410_gone_ends_the_subscription_and_nothing_more_is_sent(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [410]
    await publish(hub, "Anyone there?")
    gone = await wait_state(hub, subscriber, "gone", 1)
    assert await attempts_of(hub, gone.id) == [(410, "HTTP 410")]
    assert await subscription_count(hub) == 0
    await publish(hub, "Still talking")
    await feed_shows(hub, "Still talking")
    hub.clock.advance(seconds=RETRY_DUE)
    await settle()
    assert subscriber.deliveries == []
    assert [d.id for d in await deliveries_to(hub, subscriber)] == [gone.id]


# -- a subscriber down, then up again ------------------------------------------------------


async def test_a_subscriber_down_then_up_again_receives_the_latest_version(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    callback, port, app = subscriber.url(), subscriber.server.port, subscriber.server.app
    await subscriber.server.close()
    first = await publish(hub, "While you were out")
    row = await wait_state(hub, callback, "pending", 1)
    [(status, error)] = await attempts_of(hub, row.id)
    assert status is None and error is not None  # connection refused
    second = await publish(hub, "And another")
    # The newer version brings the pending retry up to date, tried again at once: it fails.
    await until(lambda: attempts_of(hub, row.id), lambda tries: len(tries) == 2)
    row = await wait_state(hub, callback, "pending", 1)
    # Up again on the same port: the next retry gets through, with both posts.
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    subscriber.server = server
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    await wait_state(hub, subscriber, "delivered", 2)
    body = subscriber.deliveries[0].body
    assert body == await feed_now(hub)
    assert first["entry_id"].encode() in body and second["entry_id"].encode() in body
    await settle()
    assert len(subscriber.deliveries) == 1


# -- giving up -----------------------------------------------------------------------------


async def test_after_max_attempts_the_delivery_fails_but_the_next_update_is_tried(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [500, 503, 502]  # websub.max_attempts is 3
    await publish(hub, "Doomed")
    for tries in (1, 2):
        await wait_state(hub, subscriber, "pending", tries)
        hub.clock.advance(seconds=RETRY_DUE)
    failed = await wait_state(hub, subscriber, "failed", 3)
    assert [s for s, _ in await attempts_of(hub, failed.id)] == [500, 503, 502]
    hub.clock.advance(seconds=RETRY_DUE)
    await settle()
    assert (await the_delivery(hub, subscriber)).state == "failed"  # no fourth try
    assert subscriber.deliveries == []
    assert await subscription_count(hub) == 1  # the subscription stays until its lease ends
    post = await publish(hub, "Second chance")
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    rows = await until(lambda: deliveries_to(hub, subscriber),
                       lambda rows: [d.state for d in rows] == ["failed", "delivered"])
    assert await attempts_of(hub, rows[1].id) == [(200, None)]
    assert post["entry_id"].encode() in subscriber.deliveries[0].body


# -- a newer version replaces a pending retry ----------------------------------------------


async def test_a_newer_version_replaces_a_pending_retry_of_an_older_one(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [500, 500]
    await publish(hub, "Version one")
    older = await wait_state(hub, subscriber, "pending", 1)
    newest = await publish(hub, "Version two")
    # Tried again at once with the new version (and refused again): still one row.
    await until(lambda: attempts_of(hub, older.id), lambda tries: len(tries) == 2)
    renewed = await wait_state(hub, subscriber, "pending", 1)
    assert renewed.id == older.id and renewed.etag != older.etag
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    await wait_state(hub, subscriber, "delivered", 2)
    await settle()
    assert len(subscriber.deliveries) == 1
    assert newest["entry_id"].encode() in subscriber.deliveries[0].body
    assert subscriber.deliveries[0].body == await feed_now(hub)


async def test_a_newer_version_during_a_failing_attempt_leaves_one_retry_not_two(
    make_api: Callable[..., Awaitable[Api]], subscriber: Subscriber
) -> None:
    patient = {**FAULTS["websub"], "delivery_timeout_seconds": 2.0}
    hub = await make_api(**{**FAULTS, "websub": patient})
    await subscribed(hub, subscriber)
    subscriber.statuses, subscriber.delay = [500], 0.5  # answers 500, slowly
    await publish(hub, "Version one")
    await until(lambda: deliveries_to(hub, subscriber),
                lambda rows: [d.state for d in rows] == ["sending"])
    newest = await publish(hub, "Version two")  # while the first attempt is under way
    # The newer version gets its own row (sent at once: a slow answer holds one slot).
    await until(lambda: deliveries_to(hub, subscriber), lambda rows: len(rows) == 2)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    # The failed attempt's retry would send the same (newest) document again: not kept.
    rows = await until(lambda: deliveries_to(hub, subscriber),
                       lambda rows: [d.state for d in rows] == ["superseded", "delivered"])
    assert [s for s, _ in await attempts_of(hub, rows[0].id)] == [500]
    hub.clock.advance(seconds=RETRY_DUE)
    await settle()
    assert len(subscriber.deliveries) == 1
    assert newest["entry_id"].encode() in subscriber.deliveries[0].body


# -- leases --------------------------------------------------------------------------------


async def test_a_lease_that_ends_removes_the_subscription(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber, **{"hub.lease_seconds": "3600"})
    [sub] = (await hub.store.page_subscriptions(10, 0))[1]
    assert sub.expires_at == hub.clock.now() + timedelta(seconds=3600)
    hub.clock.advance(seconds=3599)
    assert await expire_leases(hub.app) == 0
    hub.clock.advance(seconds=1)
    assert await expire_leases(hub.app) == 1
    assert await subscription_count(hub) == 0
    await publish(hub, "After the lease")
    await feed_shows(hub, "After the lease")
    await settle()
    assert subscriber.deliveries == []
    assert await deliveries_to(hub, subscriber) == []


async def test_a_lapsed_lease_gets_nothing_even_before_the_expiry_job_runs(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber, **{"hub.lease_seconds": "3600"})
    hub.clock.advance(seconds=3600)  # the lease ended; the expiry job (every minute) not yet
    await publish(hub, "After the lease")
    await feed_shows(hub, "After the lease")
    await settle()
    assert subscriber.deliveries == []
    assert await deliveries_to(hub, subscriber) == []


# -- re-subscription -----------------------------------------------------------------------


async def test_a_resubscription_whose_verification_fails_keeps_the_old_subscription(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber, **{"hub.lease_seconds": "3600"})
    [before] = (await hub.store.page_subscriptions(10, 0))[1]
    hub.clock.advance(seconds=600)
    subscriber.verify_answer = "wrong"
    assert await subscribe(hub, subscriber, **{"hub.lease_seconds": "7200"}) == 202
    await subscriber.wait_for(lambda: len(subscriber.verifications) == 2)
    assert subscriber.verifications[1]["hub.lease_seconds"] == "7200"
    await settle()
    total, [after] = await hub.store.page_subscriptions(10, 0)
    assert total == 1 and after == before  # same row, same lease, same end
    await publish(hub, "Still subscribed")
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))


async def test_a_verified_resubscription_replaces_the_old_one_and_its_secret(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber, **{"hub.secret": "old secret"})
    # Another callback subscribes after it (so the renewed row cannot take the same id).
    other = {"hub.mode": "subscribe", "hub.topic": TOPIC,
             "hub.callback": subscriber.url("/callback?other=1")}
    assert (await hub.client.post("/hub", data=other)).status == 202
    await until(lambda: hub.store.page_subscriptions(10, 0), lambda page: page[0] == 2)
    subscriber.statuses = [500, 500]
    await publish(hub, "Signed")
    await wait_state(hub, subscriber, "pending", 1)
    # While its retry waits, the subscriber renews with another secret and lease.
    assert await subscribe(hub, subscriber, **{"hub.secret": "new secret",
                                               "hub.lease_seconds": "7200"}) == 202
    await subscriber.wait_for(lambda: len(subscriber.verifications) == 3)
    total, subs = await until(lambda: hub.store.page_subscriptions(10, 0), lambda page: any(
        s.lease_seconds == 7200 for s in page[1]))
    [after] = [s for s in subs if s.callback == subscriber.url()]
    assert total == 2 and after.secret == "new secret"
    assert after.expires_at == hub.clock.now() + timedelta(seconds=7200)
    hub.clock.advance(seconds=RETRY_DUE)
    await subscriber.wait_for(lambda: len(subscriber.deliveries) == 2)
    [got] = [d for d in subscriber.deliveries if d.path_qs == "/callback"]
    assert got.signature_ok("new secret"), got.headers.get("X-Hub-Signature")


async def test_an_unsubscription_cancels_a_pending_retry(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribed(hub, subscriber)
    subscriber.statuses = [500]
    await publish(hub, "Unwanted")
    await wait_state(hub, subscriber, "pending", 1)
    form = {"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.callback": subscriber.url()}
    assert (await hub.client.post("/hub", data=form)).status == 202
    await until(lambda: hub.store.page_subscriptions(10, 0), lambda page: page[0] == 0)
    hub.clock.advance(seconds=RETRY_DUE)
    cancelled = await wait_state(hub, subscriber, "gone", 1)
    assert cancelled.last_error == "the subscription ended before delivery"
    assert len(await attempts_of(hub, cancelled.id)) == 1  # not tried again
    await settle()
    assert subscriber.deliveries == []
