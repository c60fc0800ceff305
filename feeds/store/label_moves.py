"""A label renamed or merged takes its feeds' WebSub subscribers along (docs/design-notes.md,
"A renamed label's subscribers follow it").

In the transaction that writes the label's alias (admin.py move_label_aliases), every active
subscription to a feed naming the old label is re-pointed to the same feed of the new one:
it is pushed the new label's feed from then on, under the URL the subscriber knows (WebSub
§7: "the topic URL in the content distribution request may be different from the topic URL
that was originally subscribed to"; the push's Link rel=self names the new URL). The new
feed's current document is pushed to it at once (a pending delivery of the old feed is
re-pointed, or one is written): what the subscriber follows changed with the rename. And a
"move" intent is recorded: the hub's verification job asks the subscriber, with a
verification of intent for the new URL (hub.mode=subscribe, the lease that remains), to
take the new URL as the subscription's name. Echoed, the subscription is named by it;
refused, or unanswered after websub.max_attempts, it keeps the old URL, still pushed the
new feed, until its lease ends. All in one transaction with the rename's alias: a crash
loses no move, and the job claims what is due like any verification (outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from feeds.label_moves import label_segments, relabelled, with_labels
from feeds.models import DeliveryKind, FeedKey, Intent
from feeds.store import schema as t
from feeds.store.engine import StoreBase
from feeds.store.reads import feed_post_ids


async def follow_label(conn: AsyncConnection, site_id: int, old: str, new: str,
                       now: datetime) -> int:
    """Re-point the site's active subscriptions to feeds naming `old` at `new`'s, push them
    the new feed, and record a move for each (see the module's doc). A callback that holds
    the new feed already (or comes to hold it twice: two spellings of one URL) keeps one
    subscription: the other ends, as it would be pushed every change twice. Returns how
    many subscriptions were re-pointed."""
    s = t.subscriptions.c
    rows = (await conn.execute(select(t.subscriptions).where(
        s.site_id == site_id, s.feed_key.contains("/-/", autoescape=True), s.expires_at > now)
        .order_by(s.id))).all()
    held = {(r.callback, r.feed_key, r.format) for r in rows}
    ended: list[int] = []
    moved = 0
    for r in rows:
        parts = label_segments(r.feed_key)
        labels = None if parts is None else relabelled(parts[1], old, new)
        new_key = None if labels is None else with_labels(r.feed_key, labels)
        if labels is None or new_key is None:
            continue
        if (r.callback, new_key, r.format) in held:
            ended.append(r.id)
            continue
        held.add((r.callback, new_key, r.format))
        await conn.execute(update(t.subscriptions).where(s.id == r.id).values(feed_key=new_key))
        await _push_new_feed(conn, r, new_key, now)
        new_url = with_labels(r.topic, labels)
        if new_url is not None and new_url != r.topic:
            await conn.execute(insert(t.intents).values(
                site_id=site_id, mode="move", topic=new_url, feed_key=new_key,
                format=r.format, callback=r.callback, callback_host=r.callback_host,
                secret=None, lease_seconds=r.lease_seconds, reason=None, state="pending",
                attempts=0, next_attempt_at=now, created=now, moved_from=r.topic))
        moved += 1
    if ended:
        await conn.execute(delete(t.subscriptions).where(s.id.in_(ended)))
    return moved


async def _push_new_feed(conn: AsyncConnection, sub: Any, new_key: str, now: datetime) -> None:
    """The subscription's deliveries not yet sent now carry the new feed (the body is read
    at send time: outbox.py); with none pending, one is written for the new feed's stored
    document. A feed not stored yet (its regeneration is pending) is pushed by that
    regeneration, to this subscription among the feed's others."""
    d, a = t.deliveries.c, t.artifacts.c
    mine = (d.kind == DeliveryKind.WEBSUB.value, d.site_id == sub.site_id,
            d.target == sub.callback, d.topic == sub.topic)
    # A row being sent stays claimed (its attempt is recorded by id); retried, it sends
    # the new feed.
    await conn.execute(update(t.deliveries).where(*mine, d.state == "sending")
                       .values(feed_key=new_key))
    stored = (await conn.execute(select(a.etag).where(
        a.site_id == sub.site_id, a.key == new_key, a.format == sub.format))).first()
    if stored is None:
        await conn.execute(update(t.deliveries).where(*mine, d.state == "pending")
                           .values(feed_key=new_key))
        return
    pending = await conn.execute(update(t.deliveries).where(*mine, d.state == "pending").values(
        feed_key=new_key, etag=stored.etag, attempts=0, next_attempt_at=now, updated=now))
    if not pending.rowcount:
        await conn.execute(insert(t.deliveries).values(
            kind=DeliveryKind.WEBSUB.value, site_id=sub.site_id, feed_key=new_key,
            format=sub.format, subscription_id=sub.id, target=sub.callback, topic=sub.topic,
            etag=stored.etag, state="pending", attempts=0, next_attempt_at=now, created=now,
            updated=now))


async def claimed_moves(conn: AsyncConnection, rows: Sequence[Any], now: datetime
                        ) -> dict[int, int]:
    """Of claimed move intents, those still to ask, with the lease to ask for: what remains
    of the subscription's, in whole seconds rounded down (WebSub §5.3: measured from the
    verification request, sent now; the subscriber's own reckoning ends no later than
    ours). The others are closed: their subscription ended, or moved again since."""
    s = t.subscriptions.c
    due: dict[int, int] = {}
    closed: dict[int, str] = {}
    for r in rows:
        sub = (await conn.execute(select(s.feed_key, s.format, s.expires_at).where(
            s.callback == r.callback, s.topic == r.moved_from))).first()
        left = 0 if sub is None else int((sub.expires_at - now).total_seconds())
        if sub is None or left < 1:
            closed[r.id] = "the subscription ended before it was moved"
        elif (sub.feed_key, sub.format) != (r.feed_key, r.format):
            closed[r.id] = "the label moved again: a later move asks for its new URL"
        else:
            due[r.id] = left
    for intent_id, why in closed.items():
        await conn.execute(update(t.intents).where(t.intents.c.id == intent_id).values(
            state="failed", last_error=why, claimed_until=None))
    return due


class MoveOutcome(StrEnum):
    TAKEN = "taken"
    """The subscriber echoed the challenge: the subscription is named by the new URL."""
    KEPT = "kept"
    """It refused, or never answered: the subscription keeps the old URL."""
    RETRY = "retry"
    """No answer yet: asked again at `retry_at`."""


class LabelMoves(StoreBase):

    async def label_targets(self, site_id: int, labels: tuple[str, ...]
                            ) -> dict[str, str]:
        """What each of `labels` was renamed or merged into, for those that were
        (url_aliases "label:NAME", admin.py move_label_aliases)."""
        a = t.url_aliases.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(a.path, a.target).where(
                a.site_id == site_id, a.path.in_([f"label:{lb}" for lb in labels])))
            return {str(r.path).removeprefix("label:"): str(r.target) for r in rows}

    async def shows_posts(self, site_id: int, key: FeedKey, now: datetime) -> bool:
        """Whether the feed shows a post now (asked of the posts, not of a stored feed: a
        renamed label's feed may be stored still until its regeneration drops it)."""
        return await self.any_row(feed_post_ids(site_id, key, now))

    async def finish_move(self, intent: Intent, outcome: MoveOutcome, error: str | None,
                          now: datetime, retry_at: datetime | None = None) -> None:
        """Record a move's verification. TAKEN names the subscription by the new URL, with
        the lease the subscriber was told (it ends when it would have), unless it changed
        meanwhile; its deliveries not yet done follow the name (they find their
        subscription by callback and URL)."""
        i, s, d = t.intents.c, t.subscriptions.c, t.deliveries.c
        done = {"attempts": intent.attempts + 1, "last_error": error, "claimed_until": None}
        async with self.writing() as conn:
            if outcome is MoveOutcome.RETRY:
                await conn.execute(update(t.intents).where(i.id == intent.id).values(
                    **done, state="pending", next_attempt_at=retry_at or now))
                return
            if outcome is MoveOutcome.KEPT:
                await conn.execute(update(t.intents).where(i.id == intent.id).values(
                    **done, state="failed"))
                return
            sub = (await conn.execute(select(s.id, s.feed_key, s.format).where(
                s.callback == intent.callback, s.topic == intent.moved_from))).first()
            if sub is None or (sub.feed_key, sub.format) != (intent.topic.feed_key,
                                                             intent.topic.format.value):
                await conn.execute(update(t.intents).where(i.id == intent.id).values(
                    **done, state="failed",
                    last_error="the subscription changed before it was moved"))
                return
            await conn.execute(delete(t.subscriptions).where(
                s.callback == intent.callback, s.topic == intent.topic.url, s.id != sub.id))
            await conn.execute(update(t.subscriptions).where(s.id == sub.id).values(
                topic=intent.topic.url, lease_seconds=intent.lease_seconds, verified_at=now))
            await conn.execute(update(t.deliveries).where(
                d.kind == DeliveryKind.WEBSUB.value, d.target == intent.callback,
                d.topic == intent.moved_from, d.state.in_(("pending", "sending"))
            ).values(topic=intent.topic.url))
            await conn.execute(update(t.intents).where(i.id == intent.id).values(
                **done, state="verified"))
