"""/api/sites: the sites this deployment serves. A change to a site's look (title, base URL,
time zone...) re-renders its feeds; a new site is served at once; a deleted one leaves
nothing served (server/sites.py on_gone). A site carries its ETag, and PATCH and DELETE
take If-Match, as posts do (api_conditional). The default site's base URL is the
settings' (server/sites.py site_changes)."""

from __future__ import annotations

from aiohttp import web

from feeds.errors import ConflictError, InvalidInputError
from feeds.models import FeedMode, Site
from feeds.sites import host_base_url
from feeds.store import Idempotency, SiteSpec
from server.api_body import read_body
from server.api_input import idempotency, next_link, page, path_id, read_json, site_of
from server.handlers.api_common import (
    json_response,
    remember_answer,
    replay,
    tag_of,
    tagged_response,
)
from server.handlers.api_conditional import (
    change_current,
    conditional_get,
    first_then,
    if_match,
)
from server.keys import CLOCK, PUBLISHER, SETTINGS, SITES, SITES_CHANGED, STORE, WAKE
from server.representations import site_json
from server.sites import checked_site_fields, site_changes


def _site_id(request: web.Request) -> int:
    return path_id(request, "site_id", 9)


async def _refresh(request: web.Request) -> None:
    request.app[SITES].replace(await request.app[STORE].sites())
    request.app[SITES_CHANGED]()


async def listing(request: web.Request) -> web.Response:
    limit, offset = page(request)
    sites = await request.app[STORE].sites()
    return json_response({"items": [site_json(s) for s in sites[offset:offset + limit]],
                          "total": len(sites),
                          "next": next_link(request, len(sites), limit, offset)})


async def show(request: web.Request) -> web.Response:
    return conditional_get(request, site_json(await request.app[STORE].get_site(
        _site_id(request))))


def _site_tag(site: Site) -> str:
    return tag_of(site_json(site))


async def _replay(request: web.Request, idem: Idempotency | None) -> web.Response | None:
    # ?site= scopes the key (as on every create), and is looked up only with a key.
    return None if idem is None else await replay(request, idem, site_of(request))


async def create(request: web.Request) -> web.Response:
    """A new site. With an Idempotency-Key, a retry gets the first answer again (not a 400
    for the host the first request took)."""
    app = request.app
    idem = idempotency(request, "site", await read_body(request))
    if (again := await _replay(request, idem)) is not None:
        return again
    body = await read_json(request, "SiteCreate")
    checked_site_fields(body)
    defaults = app[SETTINGS].site
    store = app[STORE]
    if any(s.host.lower() == body["host"].lower() for s in await store.sites()):
        # The same key sent twice at once: the other request may have answered by now.
        if (again := await _replay(request, idem)) is not None:
            return again
        raise InvalidInputError("host", "another site has it")
    spec = SiteSpec(
        host=body["host"], title=body["title"], subtitle=body.get("subtitle", ""),
        base_url=body.get("base_url") or host_base_url(body["host"]),
        timezone=body.get("timezone", defaults.timezone),
        language=body.get("language", defaults.language),
        default_feed=FeedMode(body.get("default_feed", defaults.default_feed)),
        summary_length=body.get("summary_length", defaults.summary_length),
    )
    now = app[CLOCK].now()
    try:
        site = await store.create_site(spec, now)
    except ConflictError:
        # Another request took the host a moment ago: with this key, it was this one.
        if (again := await _replay(request, idem)) is not None:
            return again
        raise
    if body.get("wordpress_urls"):
        site = await store.update_site(site.id, {"wordpress_urls": True})
    await _refresh(request)
    await app[PUBLISHER].mark_all(site, now)
    app[WAKE]()
    answer = site_json(site)
    await remember_answer(request, idem, answer)
    return tagged_response(answer, 201, Location=f"/api/sites/{site.id}")


async def patch(request: web.Request) -> web.Response:
    """The changed fields, made to the site as it is at the write (a change made meanwhile
    to another field is not undone); with If-Match, only to the version the client saw."""
    app = request.app
    condition = if_match(request)
    site_id = _site_id(request)
    store = app[STORE]
    first = await store.get_site(site_id)  # a 404 before a bad body's 400
    body = await read_json(request, "SitePatch")
    checked_site_fields(body)
    settings = app[SETTINGS]
    site = await change_current(
        first_then(first, lambda: store.get_site(site_id)),
        lambda before: store.update_site(site_id, site_changes(settings, before, body),
                                         replaces=before),
        condition, _site_tag, "site")
    # The directory first, then the dirty marks: a regeneration that sees the marks must
    # render with the changed site, not the one it had (it would clear the marks with
    # feeds in the old look, and nothing would render them again).
    await _refresh(request)
    await app[PUBLISHER].mark_all(site, app[CLOCK].now())
    app[WAKE]()
    return tagged_response(site_json(site))


async def delete(request: web.Request) -> web.Response:
    condition = if_match(request)
    site_id = _site_id(request)
    store = request.app[STORE]
    await change_current(lambda: store.get_site(site_id),
                         lambda before: store.delete_site(site_id, replaces=before),
                         condition, _site_tag, "site")
    await _refresh(request)
    return web.Response(status=204)
