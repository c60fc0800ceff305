"""The push jobs: verify subscription requests, send due deliveries, end lapsed leases,
prune old deliveries. Each asks the store what is due and claims it (server/scheduler.py
runs them), so a skipped run, a crash or a second instance loses nothing."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta

from aiohttp import web

from config import redact_urls_in
from feeds.errors import FeedsError
from feeds.feedset import hub_for
from feeds.models import Delivery, DeliveryKind, Intent
from feeds.query import parse_key_string
from feeds.store.label_moves import MoveOutcome
from feeds.store.outbox import AttemptRecord
from feeds.websub import (
    Outcome,
    delivery_outcome,
    next_attempt_at,
    should_retry,
    verification_unanswered,
)
from server.delivery import Attempt, Sender
from server.delivery_log import FailureLog, loggable_url
from server.keys import CLOCK, FEEDS, PUBLISHER, SETTINGS, SITES, STORE, WAKE_OUTBOX

log = logging.getLogger("syndic.push")
CLAIM_BATCH = 1000
FLUSH_SECONDS = 0.05
FLUSH_COUNT = 200
INTENT_BATCH = 100
SENDER = web.AppKey("sender", Sender)


def _claim_for(app: web.Application) -> timedelta:
    # Longer than a claimed row can wait for a slot and be sent: a claim lapses only when
    # its process is gone (a second instance never sends what this one still holds).
    settings = app[SETTINGS].websub
    rounds = -(-CLAIM_BATCH // settings.delivery_concurrency) + 2
    return timedelta(seconds=settings.delivery_timeout_seconds * rounds + 30)


class InFlight:
    """Sends under way (at most websub.delivery_concurrency at once) and the claimed rows
    waiting for a slot. A slow subscriber holds one slot, not the batch. Outcomes are
    recorded in batches (every FLUSH_SECONDS or FLUSH_COUNT results, one transaction): one
    transaction per result cost more than the send itself. A crash re-sends what was in
    flight or not yet recorded (at least once)."""

    def __init__(self, app: web.Application, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.tasks: set[asyncio.Task[None]] = set()
        self.queue: deque[Delivery] = deque()
        self.results: list[AttemptRecord] = []
        self.flusher: asyncio.Task[None] | None = None
        self.more_due = False
        """The last claim took all it asked for: there may be more to claim."""
        self.failures = FailureLog()

    @property
    def free(self) -> int:
        return self.limit - len(self.tasks)

    def start(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, finished: asyncio.Task[None]) -> None:
        self.tasks.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("a send failed", exc_info=finished.exception())
        self.pump()
        if not self.queue and self.more_due and WAKE_OUTBOX in self.app:
            self.app[WAKE_OUTBOX]()  # slots are free and more may be due

    def pump(self) -> int:
        """Start queued deliveries while there are free slots."""
        started = 0
        while self.queue and self.free > 0:
            self.start(_deliver_one(self.app, self.queue.popleft()))
            started += 1
        return started

    def record(self, result: AttemptRecord) -> None:
        self.results.append(result)
        if len(self.results) >= FLUSH_COUNT or self.flusher is None:
            self._schedule_flush(0 if len(self.results) >= FLUSH_COUNT else FLUSH_SECONDS)

    def _schedule_flush(self, delay: float) -> None:
        if self.flusher is not None and not self.flusher.done() and delay:
            return
        self.flusher = asyncio.ensure_future(self._flush_after(delay))

    async def _flush_after(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self.flush()
        while self.results:  # what arrived while that batch was being written
            await self.flush()
        if self.flusher is asyncio.current_task():
            self.flusher = None

    async def flush(self) -> None:
        batch, self.results = self.results, []
        if batch:
            try:
                await self.app[STORE].record_attempts(batch, self.app[CLOCK].now())
            except Exception:
                # The rows stay claimed and are sent again when the claims lapse.
                log.exception("recording %d delivery attempts failed", len(batch))

    async def drain(self) -> None:
        """At the stop: let sends under way end, record them, give back unstarted claims."""
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.flusher is not None:
            await asyncio.gather(self.flusher, return_exceptions=True)
        await self.flush()
        if self.queue:
            await self.app[STORE].release_deliveries([d.id for d in self.queue])
            self.queue.clear()


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
        callback = loggable_url(intent.callback)  # no token of its query in the log
        if intent.mode == "move":
            log.info("move %s -> %s for %s: %s", intent.moved_from, intent.topic.url,
                     callback, await _finish_move(app, intent, attempt))
            return
        ok = attempt.error is None
        await store.finish_intent(intent, ok, attempt.error, clock.now())
        log.info("%s %s for %s: %s", intent.mode, intent.topic.url, callback,
                 "verified" if ok else redact_urls_in(
                     (attempt.error or "").replace(intent.callback, callback)))

    for intent in intents:
        inflight.start(one(intent))
    return len(intents)


async def _finish_move(app: web.Application, intent: Intent, attempt: Attempt) -> str:
    """A label move's verification recorded (feeds/store/label_moves.py): echoed, the
    subscription takes the new URL; refused, it keeps the old one; unanswered (no
    response, a 5xx, 408 or 429), asked again with backoff up to websub.max_attempts, as a
    delivery is. Returns what happened, for the log."""
    settings, now = app[SETTINGS].websub, app[CLOCK].now()
    error = None if attempt.error is None else redact_urls_in(
        attempt.error.replace(intent.callback, loggable_url(intent.callback)))
    if error is None:
        await app[STORE].finish_move(intent, MoveOutcome.TAKEN, None, now)
        return "moved"
    if verification_unanswered(attempt.status) and should_retry(intent.attempts + 1,
                                                               settings.max_attempts):
        retry_at = next_attempt_at(intent.attempts + 1, now, settings.retry_base_seconds,
                                   settings.retry_max_seconds, random.random())
        await app[STORE].finish_move(intent, MoveOutcome.RETRY, error, now, retry_at)
        return f"{error}; asked again at {retry_at.isoformat()}"
    await app[STORE].finish_move(intent, MoveOutcome.KEPT, error, now)
    return f"{error}; it keeps the old URL"


async def deliver(app: web.Application) -> int:
    """Claim what is due (up to CLAIM_BATCH waiting rows) and start sending it in the free
    slots; each send's outcome is recorded, and its retry scheduled (backoff and jitter, up
    to websub.max_attempts), when it ends. Returns how many rows were claimed."""
    store, clock, inflight = app[STORE], app[CLOCK], app[INFLIGHT]
    want = CLAIM_BATCH - len(inflight.queue)
    claimed = 0
    if want > 0:
        due = await store.claim_deliveries(clock.now(), want, _claim_for(app))
        inflight.more_due = len(due) == want
        inflight.queue.extend(due)
        claimed = len(due)
    else:
        inflight.more_due = True
    inflight.pump()
    return claimed


async def _deliver_one(app: web.Application, delivery: Delivery) -> None:
    attempt = await _send(app, delivery)
    state, retry_at = _next_state(app, delivery, attempt)
    if state != "delivered":
        app[INFLIGHT].failures.failed(delivery, attempt.status, attempt.error, state, retry_at,
                                      app[SETTINGS].websub.max_attempts, app[CLOCK].now())
    app[INFLIGHT].record(AttemptRecord(delivery, attempt.status, attempt.error,
                                       attempt.duration_ms, state, retry_at))


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
    artifact, body = cached.artifact, cached.bodies["identity"]
    if artifact.etag != delivery.etag:
        # Another server stored the version this row was written for, and this one has not
        # followed it yet (server/stored_changes.py): what is stored now is sent, not the
        # older version in memory (a subscriber would never get the new one).
        stored = await app[STORE].artifact_bodies(site.id, delivery.topic.feed_key,
                                                  delivery.topic.format)
        if stored is not None:
            body = stored[0]
    # rel=self is the feed's own URL, "the canonical URL of the topic being updated" (WebSub
    # §7), which may differ from the URL subscribed to: a renamed label's subscription
    # keeps its old URL until the subscriber takes the new one (store/label_moves.py).
    return await sender.deliver(delivery.target, body, artifact.content_type, hub,
                                artifact.self_url, delivery.secret)


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
        if not (verified or delivered) or app[INFLIGHT].free <= 0 or app[INFLIGHT].queue:
            return started


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    """The hub's HTTP client and its sends under way; at the stop, sends under way finish
    (or time out) before the client closes."""
    settings = app[SETTINGS].websub
    sender = Sender(settings)
    app[SENDER] = sender
    app[INFLIGHT] = InFlight(app, settings.delivery_concurrency)
    yield
    await app[INFLIGHT].drain()
    await sender.close()
