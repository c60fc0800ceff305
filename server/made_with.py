"""The settings that shape feed bytes, and the stored feeds made with other ones.

The hub a feed names (websub.hub_url, websub.own_hub) and how many entries it holds
(feeds.default_max_results) are FeedContext's fields: settings, not a feed's data, so no
change marks the feeds when they change. Each stored artifact records the fingerprint of
the settings it was rendered with (artifacts.made_with, revision 0010), and the rule is:

- At its start, a server renders again every stored feed recorded with other settings than
  its own, whichever server stored it (marked dirty: the marks outlive a crash), then is
  the server started last (store_values "started_with").
- In its poll of what other servers stored (server/stored_changes.py), the server whose
  settings are the last started's renders again, itself, each feed another server stored
  with other settings; it records its own. A server whose settings are not the last
  started's serves such feeds as stored and renders none of them again: only one set of
  settings re-renders at any time, and its renders are the ones nobody re-renders, so two
  servers with different settings on one store never undo each other's renders in turn
  (each change an old server stores is rendered once more, by a server with the new
  settings). The rule follows the base URL's: the last server started decides.

So a rolling change of settings converges once a server with the new settings has started,
and an old server left running (or stopped without a restart) leaves no feed made with
its settings behind. Feeds whose bytes the change does not touch (a page size larger than
the feed) keep their version: only the record changes (Store.save_artifacts `restamp`)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Collection

from config import Settings
from feeds.feedset import FeedContext
from feeds.store import Store, StoredFeed
from feeds.versions import settings_fingerprint
from server.feed_cache import FeedCache

log = logging.getLogger("syndic")

CONTEXT_SETTINGS = {"default_max": "feeds.default_max_results", "hub_url": "websub.hub_url",
                    "own_hub": "websub.own_hub"}
"""FeedContext's fields (what of the settings reaches a feed's bytes) and the settings they
come from. The base URL (server.public_url, or the host and server.port) reaches them too:
it is the site's, and checked on the feeds themselves (FeedCache.has_base_url)."""
STARTED_WITH = "started_with"
"""The store_values row holding the settings of the server started last (JSON)."""


def feed_context(settings: Settings) -> FeedContext:
    return FeedContext(settings.feeds.default_max_results, settings.websub.hub_url or None,
                       settings.websub.own_hub)


def made_with(ctx: FeedContext) -> dict[str, object]:
    """The settings a feed rendered in this context depends on, by setting name."""
    return {CONTEXT_SETTINGS[f.name]: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}


def fingerprint(ctx: FeedContext) -> str:
    """What artifacts rendered in this context record (artifacts.made_with)."""
    return settings_fingerprint(made_with(ctx))


def _settings_row(print_: str) -> str:
    """The store_values row holding the settings whose fingerprint is `print_` (JSON)."""
    return f"settings:{print_}"


def settings_change(recorded: str | None, ctx: FeedContext) -> str | None:
    """What differs between recorded settings (made_with as JSON; None: no record) and
    `ctx`'s, as log text; None: nothing."""
    before = json.loads(recorded) if recorded else None
    now = made_with(ctx)
    if before == now:
        return None
    if before is None:
        return "the ones they were made with were not recorded"
    return ", ".join(f"{name} {before.get(name)!r} -> {value!r}"
                     for name, value in now.items() if before.get(name) != value)


async def record_start(store: Store, ctx: FeedContext) -> None:
    """This server's settings, kept by their fingerprint, become the last started's."""
    text = json.dumps(made_with(ctx), sort_keys=True)
    if await store.stored_value(_settings_row(fingerprint(ctx))) != text:
        await store.store_value(_settings_row(fingerprint(ctx)), text)
    if await store.stored_value(STARTED_WITH) != text:
        await store.store_value(STARTED_WITH, text)


async def feeds_made_otherwise(store: Store, cache: FeedCache, ctx: FeedContext
                         ) -> dict[int, list[str]]:
    """At the start, once the stored feeds are loaded: per site, the feeds whose stored
    version records other settings than `ctx`'s (to be marked), said in the log with what
    differs."""
    found = cache.made_otherwise(fingerprint(ctx))
    if not found:
        return {}
    prints = sorted({p for prints in found.values() for p in prints}, key=str)
    said = []
    for print_ in prints:
        recorded = None if print_ is None else await store.stored_value(_settings_row(print_))
        said.append(settings_change(recorded, ctx) or "the same settings")
    log.info("%d stored feeds were rendered with other settings (%s): rendering them again",
             len(found), "; ".join(said))
    by_site: dict[int, list[str]] = {}
    for site_id, key in sorted(found):
        by_site.setdefault(site_id, []).append(key)
    return by_site


async def remade_here(store: Store, ctx: FeedContext, feeds: Collection[StoredFeed]
                      ) -> list[tuple[int, str]]:
    """Of the feeds another server stored (a poll's), those this server renders again: made
    with other settings than its own, when its own are the last started's (the module's
    rule). The record is read only when such a feed is found."""
    own = fingerprint(ctx)
    foreign = [(f.site_id, f.key) for f in feeds
               if any(p != own for p in f.made_with.values())]
    if not foreign:
        return []
    last = await store.stored_value(STARTED_WITH)
    if last is None or settings_fingerprint(json.loads(last)) != own:
        return []
    log.info("%d feeds stored by another server were rendered with other settings: "
             "rendering them again with this server's (the last started's)", len(foreign))
    return foreign


def with_remakes(dirty: dict[int, tuple[int, list[str]]], remake: dict[int, set[str]],
                 held: frozenset[int], mine: Collection[str] | None, mine_only: bool
                 ) -> dict[int, tuple[int, list[str]]]:
    """A run's dirty feeds and its share of the feeds to render again (taken out of
    `remake`): with `mine_only`, the keys in `mine`; else those not in it (all with None).
    A site an import holds keeps its share for later. A key added to a site's dirty keys
    clears no row the run did not read: a dirty row of that key read by this run would
    have put it among the keys already."""
    out = dict(dirty)
    for site_id in [s for s in remake if s not in held]:
        keys = remake[site_id]
        share = {k for k in keys
                 if mine is None or ((k in mine) if mine_only else (k not in mine))}
        if not share:
            continue
        keys -= share
        if not keys:
            del remake[site_id]
        top, listed = out.get(site_id, (0, []))
        out[site_id] = (top, listed + sorted(share - set(listed)))
    return out
