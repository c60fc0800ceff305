"""The push jobs: verify subscription requests, send due deliveries, end lapsed leases,
prune old deliveries. Each asks the store what is due and claims it (server/scheduler.py
runs them), so a skipped run, a crash or a second instance loses nothing."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from feeds.errors import FeedsError
from feeds.feedset import hub_for
from feeds.models import Delivery, DeliveryKind, Intent
from feeds.query import parse_key_string
from feeds.websub import Outcome, delivery_outcome, next_attempt_at, should_retry
from server.delivery import Attempt, Sender, bounded
from server.keys import CLOCK, FEEDS, PUBLISHER, SETTINGS, SITES, STORE

log = logging.getLogger("syndic.push")
CLAIM_BATCH = 1000
INTENT_BATCH = 100
SENDER = web.AppKey("sender", Sender)


@dataclass(frozen=True, slots=True)
class Sent:
    delivered: int
    retried: int
    failed: int


def _claim_for(app: web.Application) -> timedelta:
    # Longer than any attempt: a claim lapses only when its process is gone.
    return timedelta(seconds=app[SETTINGS].websub.delivery_timeout_seconds * 3 + 30)


async def verify_intents(app: web.Application) -> int:
    """Verification of intent (WebSub §5.3) for claimed requests; denials (§5.2) sent."""
    store, clock = app[STORE], app[CLOCK]
    intents = await store.claim_intents(clock.now(), INTENT_BATCH, _claim_for(app))
    if not intents:
        return 0
    sender = app[SENDER]

    async def one(intent: Intent) -> None:
        attempt = await sender.verify(intent)
        ok = attempt.error is None
        await store.finish_intent(intent, ok, attempt.error, clock.now())
        log.info("%s %s for %s: %s", intent.mode, intent.topic.url, intent.callback,
                 "verified" if ok else attempt.error)

    await bounded(app[SETTINGS].websub.delivery_concurrency, [one(i) for i in intents])
    return len(intents)


async def deliver(app: web.Application) -> Sent:
    """Send what is due, with bounded concurrency; record each attempt; schedule retries
    with backoff and jitter up to websub.max_attempts."""
    store, clock = app[STORE], app[CLOCK]
    due = await store.claim_deliveries(clock.now(), CLAIM_BATCH, _claim_for(app))
    if not due:
        return Sent(0, 0, 0)
    settings = app[SETTINGS].websub
    results = await bounded(settings.delivery_concurrency, [_send(app, d) for d in due])
    counts = {"delivered": 0, "pending": 0, "failed": 0, "gone": 0, "superseded": 0}
    for delivery, attempt in zip(due, results, strict=True):
        state, retry_at = _next_state(app, delivery, attempt)
        recorded = await store.record_attempt(delivery, attempt.status, attempt.error,
                                              attempt.duration_ms, state, retry_at,
                                              clock.now())
        counts[recorded] += 1
    # A superseded retry is given up for the newer delivery of the same topic.
    sent = Sent(counts["delivered"], counts["pending"],
                counts["failed"] + counts["gone"] + counts["superseded"])
    log.info("deliveries: %d delivered, %d to retry, %d given up", *
             (sent.delivered, sent.retried, sent.failed))
    return sent


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
    """One outbox run: verifications, then deliveries, until nothing due is left (a batch
    at a time)."""
    done = 0
    while True:
        verified = await verify_intents(app)
        sent = await deliver(app)
        work = verified + sent.delivered + sent.retried + sent.failed
        done += work
        if verified < INTENT_BATCH and work < CLAIM_BATCH:
            return done


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    """The hub's HTTP client, closed at the stop."""
    sender = Sender(app[SETTINGS].websub)
    app[SENDER] = sender
    yield
    await sender.close()
