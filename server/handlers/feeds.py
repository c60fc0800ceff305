"""Feed requests: parse -> one lookup -> the cached bytes, or a 304."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.errors import NotFoundError
from feeds.label_moves import followed
from feeds.models import FeedFormat, FeedKind, Site
from feeds.posts import label_name
from feeds.query import (
    feed_key_string,
    parse_feed_request,
    parse_script_request,
    script_callback,
)
from server.feed_cache import CachedFeed, coded_headers
from server.http_cache import codings_by_preference, http_date, select_representation
from server.keys import CLOCK, FEEDS, SETTINGS, SITES, STORE


def respond(request: web.Request, feed: CachedFeed) -> web.Response:
    """200 with the negotiated coding, or 304 (RFC 9110 §13.1.2, §15.4.5), each coding
    with its own ETag; the fast path (server/fastpath.py) answers alike from its heads."""
    coding, not_modified = select_representation(
        codings_by_preference(request.headers.get("Accept-Encoding")),
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        etag=feed.artifact.etag,
        last_modified=feed.artifact.last_modified,
    )
    headers = coded_headers(feed.headers, coding)
    if feed.modified_second is not None and feed.modified_second > time.time():
        # Never later than the Date (RFC 9110 §8.8.2.1): see feeds/versions.py.
        headers = {**headers, "Last-Modified": http_date(datetime.now(UTC))}
    if not_modified:
        return web.Response(status=304, headers=headers)
    if coding != "identity":
        headers = {**headers, "Content-Encoding": coding}
    return web.Response(body=feed.bodies[coding], headers=headers)


async def _moved_label(request: web.Request, site: Site, labels: tuple[str, ...]) -> None:
    """A label feed no post shows: 301 to the feed of the label it became (a rename or a
    merge, api_labels.patch) or of its composed spelling (labels are NFC), if either is
    another; else back to the caller's 404. A label posts have again is served as itself
    (the alias is asked only for a label with nothing)."""
    targets = await request.app[STORE].label_targets(
        site.id, tuple(label_name(lb) for lb in labels))
    moved = followed(labels, targets)
    if moved == labels:
        return
    prefix = request.rel_url.raw_path.split("/-/", 1)[0]
    path = f"{prefix}/-/{'/'.join(quote(lb, safe='') for lb in moved)}"
    query = request.rel_url.raw_query_string
    raise web.HTTPMovedPermanently(site.base_url + path + (f"?{query}" if query else ""))


async def feed(request: web.Request) -> web.Response:
    """/feeds/... in Blogger's URL shapes with Blogger's query parameters, and the
    /feed.atom, /feed.rss, /feed.json aliases of the site's default feed."""
    app = request.app
    settings = app[SETTINGS].feeds
    site = app[SITES].for_host(request.host)
    path, params = request.rel_url.raw_path, request.query
    default_max, cap = settings.default_max_results, settings.max_results_cap
    tz = ZoneInfo(site.timezone)
    callback = script_callback(params)  # Blogger's alt=json-in-script
    try:
        if callback is None:
            key, fmt = parse_feed_request(path, params, default_max=default_max, cap=cap, tz=tz)
        else:
            key = parse_script_request(path, params, default_max=default_max, cap=cap, tz=tz)
            fmt = FeedFormat.ATOM
    except LookupError:
        raise web.HTTPNotFound() from None
    key_string = feed_key_string(key, settings.default_max_results)
    try:
        found = await app[FEEDS].lookup(site, key, key_string, fmt, app[CLOCK].now)
    except NotFoundError:
        if key.kind is FeedKind.LABEL:
            await _moved_label(request, site, key.labels)
        raise
    if callback is not None:
        found = await app[FEEDS].scripts.answer(found, callback)
    elif codings_by_preference(request.headers.get("Accept-Encoding"))[0] not in found.bodies:
        found = await app[FEEDS].compressed(found)  # just regenerated: compressed now
    return respond(request, found)
