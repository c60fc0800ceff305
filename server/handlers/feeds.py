"""Feed requests: parse -> one lookup -> the cached bytes, or a 304."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.models import FeedFormat, FeedKey, FeedKind, FeedQuery
from feeds.query import feed_key_string, parse_feed_path, parse_feed_query, parse_format
from server.feed_cache import CachedFeed
from server.http_cache import choose_encoding, is_not_modified
from server.keys import CLOCK, FEEDS, SETTINGS, SITES

_ALIASES = {"/feed.atom": FeedFormat.ATOM, "/feed.rss": FeedFormat.RSS,
            "/feed.json": FeedFormat.JSON}


def respond(request: web.Request, feed: CachedFeed) -> web.Response:
    """200 with the negotiated encoding, or 304 (RFC 9110 §13.1.2, §15.4.5)."""
    headers = feed.headers
    if is_not_modified(
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        etag=feed.artifact.etag,
        last_modified=feed.artifact.last_modified,
    ):
        return web.Response(status=304, headers=headers)
    encoding = choose_encoding(request.headers.get("Accept-Encoding"))
    body = feed.bodies[encoding]
    if encoding != "identity":
        headers = {**headers, "Content-Encoding": encoding}
    return web.Response(body=body, headers=headers)


async def _serve(request: web.Request, key: FeedKey, fmt: FeedFormat) -> web.Response:
    app = request.app
    site = app[SITES].for_host(request.host)
    default_max = app[SETTINGS].feeds.default_max_results
    feed = await app[FEEDS].lookup(site, key, feed_key_string(key, default_max), fmt,
                                   app[CLOCK].now)
    return respond(request, feed)


async def feed(request: web.Request) -> web.Response:
    """/feeds/... in Blogger's URL shapes, with Blogger's query parameters."""
    settings = request.app[SETTINGS].feeds
    site = request.app[SITES].for_host(request.host)
    fmt = parse_format(request.query)
    query = parse_feed_query(request.query, default_max=settings.default_max_results,
                             cap=settings.max_results_cap, tz=ZoneInfo(site.timezone))
    try:
        key = parse_feed_path(request.rel_url.raw_path, query)
    except LookupError:
        raise web.HTTPNotFound() from None
    return await _serve(request, key, fmt)


async def alias(request: web.Request) -> web.Response:
    """/feed.atom, /feed.rss, /feed.json: the site's default feed."""
    default_max = request.app[SETTINGS].feeds.default_max_results
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=default_max))
    return await _serve(request, key, _ALIASES[request.path])
