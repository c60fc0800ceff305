"""POST /hub: syndic's WebSub hub takes subscription requests (W3C WebSub §5.1). It answers
202 and verifies intent later (a job), or refuses at once with a 4xx and a plain-text reason
that does not depend on verification (§5.1.2)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.errors import FeedsError
from feeds.feedset import is_pushed
from feeds.label_moves import followed, label_segments, with_labels
from feeds.models import Site, Topic
from feeds.posts import label_name
from feeds.query import feed_key_string, is_standard, parse_feed_request, parse_key_string
from feeds.websub import (
    HubRequestError,
    callback_host,
    clamp_lease,
    is_private_address,
    parse_hub_request,
)
from server.keys import CLOCK, SETTINGS, SITES, STORE, WAKE_OUTBOX

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
"""What a subscription request's body may be: the form WebSub §5.1 names, and a multipart
one, which aiohttp reads the same (curl -F sends it)."""


def _refuse(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n", content_type="text/plain")


def topic_for_url(request: web.Request, url: str) -> Topic:
    """The feed a topic URL names: a standard feed (pushed when it changes) of one of this
    deployment's sites."""
    parts = urlsplit(url)
    site: Site | None = None
    for candidate in request.app[SITES].by_id.values():
        base = urlsplit(candidate.base_url)
        if (base.scheme, base.netloc.lower()) == (parts.scheme, parts.netloc.lower()) and (
                parts.path.startswith(base.path.rstrip("/") + "/")):
            site = candidate
            break
    if site is None:
        raise HubRequestError("hub.topic", "not a feed of this hub's sites")
    feeds = request.app[SETTINGS].feeds
    path = parts.path[len(urlsplit(site.base_url).path.rstrip("/")):]
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        key, fmt = parse_feed_request(path, params, default_max=feeds.default_max_results,
                                      cap=feeds.max_results_cap, tz=ZoneInfo(site.timezone))
    except (LookupError, FeedsError):
        raise HubRequestError("hub.topic", "not a feed of this hub's sites") from None
    if not is_standard(key) or key.query.max_results != feeds.default_max_results:
        raise HubRequestError("hub.topic", "only whole feeds are pushed, not a query's page")
    if not is_pushed(key):
        # Rendered when asked and never stored, so no change would be pushed to it (and the
        # feed names no hub): refused now rather than verified and never delivered (§5.1).
        raise HubRequestError("hub.topic", "this feed is not pushed: subscribe to the feed "
                              "in the site's own projection, with one label")
    return Topic(site.id, feed_key_string(key, feeds.default_max_results), fmt, url)


async def following_label(request: web.Request, topic: Topic) -> Topic:
    """A topic naming a label renamed or merged away (or spelled uncomposed), whose feed no
    post shows: the same feed of the label it became, as its URL's 301 leads
    (handlers/feeds.py). The subscription keeps the URL the subscriber gave: verification
    names it (WebSub §5.3: hub.topic is "the topic URL given in the corresponding
    subscription request", and §5.3.1 has the subscriber refuse any other), deliveries
    name the new one in Link rel=self (§7). A label posts have again is its own feed."""
    parts = label_segments(topic.feed_key)
    if parts is None:
        return topic
    app = request.app
    labels = parts[1]
    targets = await app[STORE].label_targets(topic.site_id,
                                             tuple(label_name(lb) for lb in labels))
    moved = followed(labels, targets)
    new_key = with_labels(topic.feed_key, moved)
    if moved == labels or new_key is None:
        return topic
    feeds = app[SETTINGS].feeds
    key = parse_key_string(topic.feed_key, feeds.default_max_results, feeds.max_results_cap)
    if await app[STORE].shows_posts(topic.site_id, key, app[CLOCK].now()):
        return topic
    return Topic(topic.site_id, new_key, topic.format, topic.url)


async def _check_callback(request: web.Request, callback: str) -> None:
    """Callback policy: http(s) only (parse_hub_request), and no loopback, private or
    link-local address unless websub.allow_private_callbacks."""
    if request.app[SETTINGS].websub.allow_private_callbacks:
        return
    host = urlsplit(callback).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None,
                                                             type=socket.SOCK_STREAM)
    except OSError:
        raise HubRequestError("hub.callback", "the callback's host does not resolve") from None
    if all(is_private_address(str(info[4][0])) for info in infos):
        raise HubRequestError("hub.callback", "callbacks on private addresses are refused")


async def hub(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS].websub
    if not settings.own_hub:
        raise web.HTTPNotFound()
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        # Bodies are not decoded by aiohttp (server/api_body.py); a hub form is small.
        return _refuse(415, "Content-Encoding: send the form without a content coding")
    if request.body_exists and request.content_type.lower() not in FORM_TYPES:
        # WebSub §5.1: the request is a form. A JSON body, or one with no type (taken as
        # application/octet-stream, RFC 9110 §8.3), would read as an empty form: "hub.mode:
        # is required" said nothing of what was wrong.
        sent = (f"is {request.content_type}" if "Content-Type" in request.headers
                else "is missing")
        refused = _refuse(415, f"Content-Type {sent}: send the request as an HTML form "
                          f"({FORM_TYPES[0]}, WebSub §5.1)")
        refused.headers["Accept-Post"] = ", ".join(FORM_TYPES)
        return refused
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    store = app[STORE]
    try:
        asked = parse_hub_request(fields)
        topic = await following_label(request, topic_for_url(request, asked.topic))
        await _check_callback(request, asked.callback)
        host = callback_host(asked.callback)
        if await store.pending_intents() >= settings.max_pending_verifications:
            return _refuse(429, "too many subscription requests waiting; try again later")
        if asked.mode == "subscribe" and (await store.subscriptions_of_host(host)
                                          >= settings.max_subscriptions_per_host):
            raise HubRequestError("hub.callback", "this callback host has too many "
                                  "subscriptions")
    except HubRequestError as exc:
        return _refuse(400, f"{exc.field}: {exc.problem}")
    lease = clamp_lease(asked.lease_seconds, settings.lease_min_seconds,
                        settings.lease_max_seconds, settings.lease_default_seconds)
    await store.add_intent(asked.mode, topic, asked.callback, host, asked.secret, lease, None,
                           app[CLOCK].now())
    app[WAKE_OUTBOX]()
    return web.Response(status=202, text="Accepted: verification of intent follows.\n")
