"""syndic's WebSub hub and its outbox in the store: subscription requests waiting for
verification, verified subscriptions, and deliveries (WebSub, external hubs, pings) written
in the same transaction as the artifact that caused them.

Jobs claim rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances can share
the store; SQLite has one writer and ignores it) and mark them claimed until a deadline: a
process killed mid-send leaves rows whose claim lapses, and the next run sends them again
(at least once)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from feeds.models import (
    Artifact,
    Delivery,
    DeliveryKind,
    Fanout,
    FeedFormat,
    Intent,
    Subscription,
    Topic,
)
from feeds.store import schema as t
from feeds.store.engine import StoreBase
from feeds.store.label_moves import claimed_moves

DONE_STATES = ("delivered", "failed", "gone", "superseded")


def _topic(row: Any) -> Topic:
    return Topic(row.site_id, row.feed_key, FeedFormat(row.format), row.topic)


def _subscription(row: Any) -> Subscription:
    return Subscription(row.id, _topic(row), row.callback, row.secret, row.lease_seconds,
                        row.expires_at, row.created, row.verified_at)


def _delivery(row: Any, secret: str | None = None) -> Delivery:
    return Delivery(row.id, DeliveryKind(row.kind), _topic(row), row.subscription_id,
                    row.target, row.etag, row.state, row.attempts, row.next_attempt_at,
                    row.last_status, row.last_error, secret)


def enqueue(conn: Connection, artifacts: Iterable[Artifact], fanout: Fanout,
            now: datetime) -> int:
    """Deliveries for changed artifacts: one per subscriber of each, one per external hub
    per topic, one per ping service when a site's main feed changed. A pending delivery of
    an older version is brought up to this one instead of a second row (the body is read at
    send time). Returns how many rows were written or renewed."""
    s, d = t.subscriptions.c, t.deliveries.c
    changed = {(a.site_id, a.key, a.format.value): a for a in artifacts}
    if not changed:
        return 0

    def base(a: Artifact) -> dict[str, Any]:
        return {"site_id": a.site_id, "feed_key": a.key, "format": a.format.value,
                "etag": a.etag}

    wanted: list[dict[str, Any]] = []
    # WebSub §5.1 (hub.lease_seconds): a subscription is active for its lease only; one
    # whose lease ended gets nothing, even before the expiry job removes it.
    subs = conn.execute(select(s.id, s.site_id, s.feed_key, s.format, s.callback,
                                     s.topic).where(
        s.site_id.in_({k[0] for k in changed}), s.feed_key.in_({k[1] for k in changed}),
        s.expires_at > now))
    for r in subs:
        if (a := changed.get((r.site_id, r.feed_key, r.format))) is not None:
            wanted.append({**base(a), "kind": DeliveryKind.WEBSUB.value,
                           "subscription_id": r.id, "target": r.callback, "topic": r.topic})
    for a in changed.values():
        wanted += [{**base(a), "kind": DeliveryKind.HUB.value, "subscription_id": None,
                    "target": hub, "topic": a.self_url} for hub in fanout.external_hubs]
        if a.key == fanout.main_feed_key and a.format is FeedFormat.ATOM:
            wanted += [{**base(a), "kind": DeliveryKind.PING.value, "subscription_id": None,
                        "target": svc, "topic": a.self_url} for svc in fanout.ping_services]
    if not wanted:
        return 0
    pending = conn.execute(select(d.id, d.kind, d.target, d.topic, d.site_id).where(
        d.state == "pending", d.target.in_({w["target"] for w in wanted})))
    by_key = {(r.kind, r.target, r.topic, r.site_id): r.id for r in pending}
    renew, fresh = [], []
    for w in wanted:
        row_id = by_key.get((w["kind"], w["target"], w["topic"], w["site_id"]))
        if row_id is None:
            fresh.append({**w, "state": "pending", "attempts": 0, "next_attempt_at": now,
                          "created": now, "updated": now})
        else:
            renew.append((row_id, w["etag"]))
    if renew:
        # A newer version replaces a pending retry of an older one (tried again now); one
        # statement for all (executemany): each round trip holds SQLite's one writer.
        conn.execute(
            update(t.deliveries).where(d.id == bindparam("b_id")).values(
                etag=bindparam("b_etag"), attempts=0, next_attempt_at=now, updated=now),
            [{"b_id": row_id, "b_etag": etag} for row_id, etag in renew])
    if fresh:
        conn.execute(insert(t.deliveries), fresh)
    return len(wanted)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    delivery: Delivery
    status: int | None
    error: str | None
    duration_ms: int
    state: str
    next_attempt_at: datetime | None


class Outbox(StoreBase):
    # -- subscription requests -------------------------------------------------------

    async def add_intent(self, mode: str, topic: Topic, callback: str, callback_host: str,
                         secret: str | None, lease_seconds: int, reason: str | None,
                         now: datetime) -> int:
        async with self.writing() as conn:
            result = await conn.execute(insert(t.intents).values(
                site_id=topic.site_id, mode=mode, topic=topic.url, feed_key=topic.feed_key,
                format=topic.format.value, callback=callback, callback_host=callback_host,
                secret=secret, lease_seconds=lease_seconds, reason=reason, state="pending",
                attempts=0, next_attempt_at=now, created=now))
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])

    async def pending_intents(self, callback_host: str | None = None) -> int:
        i = t.intents.c
        # A label's moves are the hub's own work, not requests: they never make it refuse one.
        query = select(func.count()).select_from(t.intents).where(i.state == "pending",
                                                                  i.mode != "move")
        if callback_host is not None:
            query = query.where(i.callback_host == callback_host)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def subscriptions_of_host(self, callback_host: str) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(t.subscriptions)
                        .where(t.subscriptions.c.callback_host == callback_host))).scalar_one())

    async def claim_intents(self, now: datetime, limit: int, claim_for: timedelta
                            ) -> list[Intent]:
        i = t.intents.c
        ready = (i.state == "pending", i.next_attempt_at <= now,
                 or_(i.claimed_until.is_(None), i.claimed_until < now))
        # Asked with a read first (any_row): a run with nothing due does not take SQLite's
        # one writer. The outbox job runs after every regeneration; with an API writer that
        # was two empty claiming UPDATEs a create, each holding the writer the next create
        # waited for. A row due a moment later is claimed by the next run.
        if not await self.any_row(select(i.id).where(*ready)):
            return []
        due = (select(i.id).where(*ready)
               .order_by(i.id).limit(limit).with_for_update(skip_locked=True))
        async with self.writing() as conn:
            rows = (await conn.execute(update(t.intents).where(i.id.in_(due))
                                       .values(claimed_until=now + claim_for)
                                       .returning(t.intents))).all()
            moves = await claimed_moves(conn, [r for r in rows if r.mode == "move"], now)
        return sorted((Intent(r.id, r.mode, _topic(r), r.callback, r.secret,
                              moves.get(r.id, r.lease_seconds), r.reason, r.attempts,
                              r.moved_from)
                       for r in rows if r.mode != "move" or r.id in moves),
                      key=lambda x: x.id)

    async def finish_intent(self, intent: Intent, verified: bool, error: str | None,
                            now: datetime) -> Subscription | None:
        """Record a verification (or a denial sent). A verified subscribe replaces the
        callback's subscription to the topic, if any, in the same transaction (WebSub §5.3:
        only a verified request changes state); a verified unsubscribe removes it. Either
        also ends the callback's subscription to the same feed by another URL (a renamed
        label's, which follows the new one: label_moves.py): one callback, one push a
        change."""
        s = t.subscriptions.c
        async with self.writing() as conn:
            await conn.execute(update(t.intents).where(t.intents.c.id == intent.id).values(
                state="verified" if verified else "failed", attempts=intent.attempts + 1,
                last_error=error, claimed_until=None))
            if not verified or intent.mode == "denied":
                return None
            same_feed = ((s.site_id == intent.topic.site_id)
                         & (s.feed_key == intent.topic.feed_key)
                         & (s.format == intent.topic.format.value))
            await conn.execute(delete(t.subscriptions).where(
                s.callback == intent.callback, or_(s.topic == intent.topic.url, same_feed)))
            if intent.mode != "subscribe":
                return None
            result = await conn.execute(insert(t.subscriptions).values(
                site_id=intent.topic.site_id, topic=intent.topic.url,
                feed_key=intent.topic.feed_key, format=intent.topic.format.value,
                callback=intent.callback, callback_host=_host(intent.callback),
                secret=intent.secret, lease_seconds=intent.lease_seconds,
                expires_at=now + timedelta(seconds=intent.lease_seconds), created=now,
                verified_at=now).returning(t.subscriptions))
            return _subscription(result.one())

    # -- subscriptions ---------------------------------------------------------------

    async def page_subscriptions(self, limit: int, offset: int, site_id: int | None = None
                                 ) -> tuple[int, list[Subscription]]:
        s = t.subscriptions.c
        cond = [s.site_id == site_id] if site_id is not None else []
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(t.subscriptions)
                                        .where(*cond))).scalar_one()
            rows = await conn.execute(select(t.subscriptions).where(*cond)
                                      .order_by(s.id).limit(limit).offset(offset))
            return int(total), [_subscription(r) for r in rows]

    async def end_subscription(self, subscription_id: int) -> None:
        async with self.writing() as conn:
            await conn.execute(delete(t.subscriptions).where(
                t.subscriptions.c.id == subscription_id))

    async def expire_leases(self, now: datetime) -> int:
        """Remove subscriptions whose lease ended (WebSub §5.1: the subscriber renews)."""
        async with self.writing() as conn:
            result = await conn.execute(delete(t.subscriptions).where(
                t.subscriptions.c.expires_at <= now))
            return int(result.rowcount)

    # -- deliveries ------------------------------------------------------------------

    async def claim_deliveries(self, now: datetime, limit: int, claim_for: timedelta
                               ) -> list[Delivery]:
        """Due deliveries, marked as being sent until now + claim_for; a claim that lapsed
        (its process died) is due again."""
        d = t.deliveries.c
        ready = or_((d.state == "pending") & (d.next_attempt_at <= now),
                    (d.state == "sending") & (d.claimed_until < now))
        if not await self.any_row(select(d.id).where(ready)):  # as claim_intents
            return []
        due = (select(d.id).where(ready).order_by(d.next_attempt_at, d.id).limit(limit)
               .with_for_update(skip_locked=True))
        s = t.subscriptions.c
        async with self.writing() as conn:
            rows = (await conn.execute(update(t.deliveries).where(d.id.in_(due))
                                       .values(state="sending", claimed_until=now + claim_for)
                                       .returning(t.deliveries))).all()
            # A WebSub delivery goes to the callback's subscription to the topic as it is
            # now: a verified re-subscription replaced the row (and maybe the secret the
            # signature uses, WebSub §7.1) after the delivery was written, and an
            # unsubscription (§5.3), a 410 (§7) or a lease that ended (§5.1) means it
            # must not be sent at all.
            websub = [r for r in rows if r.kind == DeliveryKind.WEBSUB.value]
            live = {(r.callback, r.topic): r for r in await conn.execute(
                select(s.id, s.callback, s.topic, s.secret).where(
                    s.callback.in_({r.target for r in websub}),
                    s.topic.in_({r.topic for r in websub}), s.expires_at > now))
            } if websub else {}
            out: list[Delivery] = []
            ended: list[int] = []
            for r in rows:
                if r.kind != DeliveryKind.WEBSUB.value:
                    out.append(_delivery(r))
                elif (sub := live.get((r.target, r.topic))) is None:
                    ended.append(r.id)
                else:
                    if sub.id != r.subscription_id:
                        await conn.execute(update(t.deliveries).where(d.id == r.id)
                                           .values(subscription_id=sub.id))
                    out.append(replace(_delivery(r, sub.secret), subscription_id=sub.id))
            if ended:
                await conn.execute(update(t.deliveries).where(d.id.in_(ended)).values(
                    state="gone", claimed_until=None, updated=now,
                    last_error="the subscription ended before delivery"))
        return sorted(out, key=lambda x: x.id)

    async def record_attempt(self, delivery: Delivery, status: int | None, error: str | None,
                             duration_ms: int, state: str, next_attempt_at: datetime | None,
                             now: datetime) -> str:
        """One attempt's outcome (see record_attempts); returns the state recorded."""
        record = AttemptRecord(delivery, status, error, duration_ms, state, next_attempt_at)
        return (await self.record_attempts([record], now))[0]

    async def record_attempts(self, records: list[AttemptRecord], now: datetime) -> list[str]:
        """Outcomes of attempts, in one transaction (a fan-out records a thousand at a time:
        one transaction each cost more than the sends): delivered, gone, failed (no more
        tries) or pending again at next_attempt_at. A 410 also ends the subscription
        (WebSub §7). Returns the states recorded: a retry is "superseded" when a newer
        delivery of the same topic to the same target was written while it was sent."""
        d = t.deliveries.c
        states = []
        async with self.writing() as conn:
            await conn.execute(insert(t.delivery_attempts), [
                {"delivery_id": r.delivery.id, "at": now, "status": r.status,
                 "error": r.error, "duration_ms": r.duration_ms} for r in records])
            rows = []
            for r in records:
                delivery, state, next_at = r.delivery, r.state, r.next_attempt_at
                if state == "pending":
                    # enqueue() renews a pending row but writes a new one while this one
                    # was being sent; both would send the newest document (read at send
                    # time), so the subscriber would get it twice (WebSub §7 wants the new
                    # content once). Only the older row steps aside: one always stays.
                    newer = (await conn.execute(select(d.id).where(
                        d.kind == delivery.kind.value, d.target == delivery.target,
                        d.topic == delivery.topic.url, d.site_id == delivery.topic.site_id,
                        d.state.in_(("pending", "sending")), d.id > delivery.id).limit(1)
                    )).first()
                    if newer is not None:
                        state, next_at = "superseded", None
                states.append(state)
                rows.append({"b_id": delivery.id, "b_state": state,
                             "b_attempts": delivery.attempts + 1, "b_status": r.status,
                             "b_error": r.error,
                             "b_next": next_at or delivery.next_attempt_at})
            await conn.execute(update(t.deliveries).where(d.id == bindparam("b_id")).values(
                state=bindparam("b_state"), attempts=bindparam("b_attempts"),
                claimed_until=None, last_status=bindparam("b_status"),
                last_error=bindparam("b_error"), updated=now,
                next_attempt_at=bindparam("b_next")), rows)
            gone = [r.delivery.subscription_id for r, st in zip(records, states, strict=True)
                    if st == "gone" and r.delivery.subscription_id is not None]
            if gone:
                await conn.execute(delete(t.subscriptions).where(
                    t.subscriptions.c.id.in_(gone)))
        return states

    async def release_deliveries(self, ids: list[int]) -> None:
        """Give back claimed rows that were never sent (a clean stop)."""
        d = t.deliveries.c
        async with self.writing() as conn:
            await conn.execute(update(t.deliveries).where(
                d.id.in_(ids), d.state == "sending").values(state="pending", claimed_until=None))

    async def page_deliveries(self, limit: int, offset: int, state: str | None = None
                              ) -> tuple[int, list[Delivery]]:
        d = t.deliveries.c
        cond = [d.state == state] if state else []
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(t.deliveries)
                                        .where(*cond))).scalar_one()
            rows = await conn.execute(select(t.deliveries).where(*cond)
                                      .order_by(d.id.desc()).limit(limit).offset(offset))
            return int(total), [_delivery(r) for r in rows]

    async def prune_deliveries(self, before: datetime) -> int:
        """Finished deliveries (and their attempts) older than `before`."""
        d = t.deliveries.c
        async with self.writing() as conn:
            old = select(d.id).where(d.state.in_(DONE_STATES), d.updated < before)
            await conn.execute(delete(t.delivery_attempts).where(
                t.delivery_attempts.c.delivery_id.in_(old)))
            result = await conn.execute(delete(t.deliveries).where(
                d.state.in_(DONE_STATES), d.updated < before))
            return int(result.rowcount)

    async def next_delivery_at(self) -> datetime | None:
        d = t.deliveries.c
        async with self.engine.connect() as conn:
            value = (await conn.execute(select(func.min(d.next_attempt_at)).where(
                d.state == "pending"))).scalar_one()
            return t.UTCDateTime().process_result_value(value, conn.dialect)


def _host(url: str) -> str:
    from urllib.parse import urlsplit
    return (urlsplit(url).hostname or "").lower()
