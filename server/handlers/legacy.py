"""WordPress's feed URLs after a WordPress import (site.wordpress_urls): 301 to the syndic
feed that shows the same thing (feeds/imports/legacy_urls.py says which)."""

from __future__ import annotations

from aiohttp import web

from feeds.content import strip_xml_illegal
from feeds.imports.legacy_urls import wordpress_feed
from server.keys import SITES, STORE


async def redirect_or_404(request: web.Request, path: str | None = None) -> web.Response:
    site = request.app[SITES].for_host(request.host)
    wanted = wordpress_feed(path or request.path, request.query)
    if wanted is None:
        raise web.HTTPNotFound()
    if not site.wordpress_urls:
        # A WordPress import (POST /api/imports, or `syndic import` in another process)
        # turns them on in the store; the site directory loaded at start does not know.
        site = await request.app[STORE].get_site(site.id)
        if not site.wordpress_urls:
            raise web.HTTPNotFound()
    target = None
    for key in wanted.alias_keys():  # an author's login, then its WordPress nicename
        if strip_xml_illegal(key) != key:  # in no alias (and PostgreSQL's text takes no NUL)
            continue
        target = await request.app[STORE].alias_target(site.id, key)
        if target is not None:
            break
    else:
        target = wanted.path  # no alias needed, or one not known (?author=ID: the site feed)
    if target is None:
        raise web.HTTPNotFound()
    raise web.HTTPMovedPermanently(site.base_url + wanted.location(target))


async def wordpress(request: web.Request) -> web.Response:
    return await redirect_or_404(request)
