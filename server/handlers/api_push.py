"""/api/subscriptions and /api/deliveries (what the hub holds and sends: state, attempts,
last status and error, next attempt), and POST /api/regenerate (render now)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.errors import InvalidInputError
from feeds.query import feed_named
from server.api_input import next_link, page, query_value, site_of
from server.handlers.api_common import json_response
from server.keys import CLOCK, PUBLISHER, SETTINGS, STORE, WAKE
from server.openapi import DELIVERY_STATES
from server.representations import delivery_json, subscription_json


async def subscriptions(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    total, subs = await request.app[STORE].page_subscriptions(limit, offset, site.id)
    return json_response({"items": [subscription_json(s) for s in subs], "total": total,
                          "next": next_link(request, total, limit, offset)})


async def deliveries(request: web.Request) -> web.Response:
    limit, offset = page(request)
    state = query_value(request, "state")
    if state is not None and state not in DELIVERY_STATES:
        raise InvalidInputError("state", f"must be one of {', '.join(DELIVERY_STATES)}")
    total, rows = await request.app[STORE].page_deliveries(limit, offset, state)
    return json_response({"items": [delivery_json(d) for d in rows], "total": total,
                          "next": next_link(request, total, limit, offset)})


async def regenerate(request: web.Request) -> web.Response:
    """Every feed of the site, or the one `?feed=PATH` names, rendered now (202: the
    regeneration job is woken and renders within moments)."""
    app = request.app
    site = site_of(request)
    now = app[CLOCK].now()
    feed = query_value(request, "feed")
    if feed is None:
        await app[PUBLISHER].mark_all(site, now)
        marked = "every feed"
    else:
        settings = app[SETTINGS].feeds
        marked = feed_named(feed, "feed", default_max=settings.default_max_results,
                            cap=settings.max_results_cap, tz=ZoneInfo(site.timezone))
        await app[STORE].mark_dirty(site.id, [marked], now)
    app[WAKE]()
    return json_response({"marked": marked, "site_id": site.id}, 202)
