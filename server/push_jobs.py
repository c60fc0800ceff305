"""The push jobs: verify subscription requests, send due deliveries, end lapsed leases,
prune old deliveries. Each asks the store what is due and claims it (server/scheduler.py
runs them), so a skipped run, a crash or a second instance loses nothing."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta

from aiohttp import web

from feeds.errors import FeedsError
from feeds.feedset import hub_for
from feeds.models import Delivery, DeliveryKind, Intent
from feeds.query import parse_key_string
from feeds.websub import Outcome, delivery_outcome, next_attempt_at, should_retry
from server.delivery import Attempt, Sender
from server.keys import CLOCK, FEEDS, PUBLISHER, SETTINGS, SITES, STORE, WAKE_OUTBOX

log = logging.getLogger("syndic.push")
CLAIM_BATCH = 1000
INTENT_BATCH = 100
SENDER = web.AppKey("sender", Sender)


def _claim_for(app: web.Application) -> timedelta:
    # Longer than any attempt: a claim lapses only when its process is gone.
    return timedelta(seconds=app[SETTINGS].websub.delivery_timeout_seconds * 3 + 30)


class InFlight:
    """Sends under way: at most websub.delivery_concurrency at once. Each records its own
    outcome the moment it ends, so one slow subscriber holds one slot, not the batch (and a
    crash re-sends only what was still in flight)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tasks: set[asyncio.Task[None]] = set()
        self.more_due = False
        """The last claim filled every free slot: there may be more to claim."""

    @property
    def free(self) -> int:
        return self.limit - len(self.tasks)

    def start(self, app: web.Application, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self.tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("a send failed", exc_info=finished.exception())
            if self.more_due and WAKE_OUTBOX in app:
                app[WAKE_OUTBOX]()  # a slot is free and more may be due

        task.add_done_callback(done)

    async def drain(self) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)


INFLIGHT = web.AppKey("inflight", InFlight)


async def verify_intents(app: web.Application) -> int:
    """Verification of intent (WebSub §5.3) for claimed requests; denials (§5.2) sent."""
    store, clock, inflight = app[STORE], app[CLOCK], app[INFLIGHT]
    want = min(inflight.free, INTENT_BATCH)
    if want <= 0:
        return 0
    intents = await store.claim_intents(clock.now(), want, _claim_for(app))
    sender = app[SENDER]

    async def one(intent: Intent) -> None:
        attempt = await sender.verify(intent)
        ok = attempt.error is None
        await store.finish_intent(intent, ok, attempt.error, clock.now())
        log.info("%s %s for %s: %s", intent.mode, intent.topic.url, intent.callback,
                 "verified" if ok else attempt.error)

    for intent in intents:
        inflight.start(app, one(intent))
    return len(intents)


async def deliver(app: web.Application) -> int:
    """Claim what is due (as many as there are free slots) and start sending it; each send
    records its attempt and schedules its retry (backoff and jitter, up to
    websub.max_attempts) when it ends. Returns how many were claimed."""
    store, clock, inflight = app[STORE], app[CLOCK], app[INFLIGHT]
    want = min(inflight.free, CLAIM_BATCH)
    if want <= 0:
        inflight.more_due = True
        return 0
    due = await store.claim_deliveries(clock.now(), want, _claim_for(app))
    inflight.more_due = len(due) == want

    async def one(delivery: Delivery) -> None:
        attempt = await _send(app, delivery)
        state, retry_at = _next_state(app, delivery, attempt)
        recorded = await store.record_attempt(delivery, attempt.status, attempt.error,
                                              attempt.duration_ms, state, retry_at,
                                              clock.now())
        log.debug("delivery %d to %s: %s", delivery.id, delivery.target, recorded)

    for delivery in due:
        inflight.start(app, one(delivery))
    return len(due)


def _next_state(app: web.Application, delivery: Delivery, attempt: Attempt
                ) -> tuple[str, datetime | None]:
    settings = app[SETTINGS].websub
    # A 2xx with an error is a ping service's flerror: a failure.
    ok_status = attempt.status is not None and 200 <= attempt.status < 300
    outcome = (Outcome.FAILED if attempt.error and ok_status
               else delivery_outcome(attempt.status))
    if outcome is Outcome.DELIVERED:
        return "delivered", None
    if outcome is Outcome.GONE and delivery.kind is DeliveryKind.WEBSUB:
        return "gone", None  # WebSub §7: 410 Gone ends the subscription
    attempts = delivery.attempts + 1
    if not should_retry(attempts, settings.max_attempts):
        # The subscription stays until its lease ends; the next update tries it again.
        return "failed", None
    return "pending", next_attempt_at(attempts, app[CLOCK].now(), settings.retry_base_seconds,
                                      settings.retry_max_seconds, random.random())


async def _send(app: web.Application, delivery: Delivery) -> Attempt:
    sender = app[SENDER]
    site = app[SITES].by_id.get(delivery.topic.site_id)
    if site is None:
        return Attempt(None, "the topic's site is gone", 0)
    if delivery.kind is DeliveryKind.HUB:
        return await sender.publish(delivery.target, delivery.topic.url)
    if delivery.kind is DeliveryKind.PING:
        return await sender.ping(delivery.target, site.title, site.base_url + "/",
                                 delivery.topic.url)
    publisher = app[PUBLISHER]
    try:
        key = parse_key_string(delivery.topic.feed_key, publisher.ctx.default_max,
                               publisher.cap)
        cached = await app[FEEDS].lookup(site, key, delivery.topic.feed_key,
                                         delivery.topic.format, app[CLOCK].now)
    except (FeedsError, LookupError) as exc:
        return Attempt(None, f"the topic has no document: {exc}", 0)
    hub = hub_for(site, publisher.ctx) or f"{site.base_url}/hub"
    artifact = cached.artifact
    return await sender.deliver(delivery.target, cached.bodies["identity"],
                                artifact.content_type, hub, delivery.topic.url,
                                delivery.secret)


async def expire_leases(app: web.Application) -> int:
    return await app[STORE].expire_leases(app[CLOCK].now())


async def prune_deliveries(app: web.Application) -> int:
    days = app[SETTINGS].websub.keep_deliveries_days
    return await app[STORE].prune_deliveries(app[CLOCK].now() - timedelta(days=days))


async def full_regeneration(app: web.Application) -> None:
    """Every feed of every site marked for rendering (the cron job; `syndic regenerate`)."""
    publisher, now = app[PUBLISHER], app[CLOCK].now()
    for site in app[SITES].by_id.values():
        await publisher.mark_all(site, now)


async def outbox(app: web.Application) -> int:
    """One outbox run: start verifications and deliveries while there are free slots and
    due rows; what is sent finishes on its own (InFlight)."""
    started = 0
    while True:
        verified = await verify_intents(app)
        delivered = await deliver(app)
        started += verified + delivered
        if not (verified or delivered) or app[INFLIGHT].free <= 0:
            return started


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    """The hub's HTTP client and its sends under way; at the stop, sends under way finish
    (or time out) before the client closes."""
    settings = app[SETTINGS].websub
    sender = Sender(settings)
    app[SENDER] = sender
    app[INFLIGHT] = InFlight(settings.delivery_concurrency)
    yield
    await app[INFLIGHT].drain()
    await sender.close()
