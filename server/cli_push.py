"""`syndic hub ...` (the hub's subscriptions and deliveries) and `syndic regenerate [FEED]`."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

from config import Settings
from feeds.query import feed_named
from feeds.store import Store
from server.cli_content import CLOCK, every, out, pick_site, publisher_for
from server.representations import delivery_json, subscription_json


async def hub_list(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    async for s in every(lambda at: store.page_subscriptions(500, at)):
        out(args, subscription_json(s),
            f"{s.id}\t{s.topic.url}\t{s.callback}\texpires {s.expires_at:%Y-%m-%d %H:%M}"
            + ("\tsigned" if s.secret else ""))
    return 0


async def hub_deliveries(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    _, deliveries = await store.page_deliveries(args.limit, 0, args.state)
    for d in deliveries:
        out(args, delivery_json(d),
            f"{d.id}\t{d.kind.value}\t{d.state}\t{d.attempts}\t{d.target}\t"
            f"{d.last_status or ''}\t{d.last_error or ''}")
    return 0


async def regenerate(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    """Mark every feed (or the one named) for rendering; the running server renders it
    within a second."""
    publisher = publisher_for(store, settings)
    site = await pick_site(store, settings, args.site)
    if not args.feed:
        for each in ([site] if args.site else await store.sites()):
            await publisher.mark_all(each, CLOCK.now())
        print("every feed is marked; the running server renders them within a second")
        return 0
    feeds = settings.feeds
    key_string = feed_named(args.feed, "FEED", default_max=feeds.default_max_results,
                            cap=feeds.max_results_cap, tz=ZoneInfo(site.timezone))
    await store.mark_dirty(site.id, [key_string], CLOCK.now())
    print(f"{key_string} is marked; the running server renders it within a second")
    return 0
