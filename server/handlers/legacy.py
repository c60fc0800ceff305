"""WordPress's URLs after a WordPress import (site.wordpress_urls): a feed URL answers 301 to
the syndic feed that shows the same thing, a post's old URL (its permalink, `?p=ID`, a page
or comment page of it) 301 to its page here, a category's, tag's or author's archive 301 to
its feed (feeds/imports/legacy_urls.py says which). And Blogger's first feed URLs,
/atom.xml and /rss.xml, on every site."""

from __future__ import annotations

from typing import NoReturn

from aiohttp import web

from feeds.content import strip_xml_illegal
from feeds.imports.legacy_urls import (
    SITE_FEED,
    PostLink,
    post_id_of_target,
    without_index,
    wordpress_archive,
    wordpress_feed,
    wordpress_permalink,
)
from feeds.models import Site
from feeds.posts import link_of
from server.keys import CLOCK, SITES, STORE


async def wordpress_site(request: web.Request) -> Site | None:
    """The request's site if it answers WordPress's URLs, else None."""
    site = request.app[SITES].for_host(request.host)
    if not site.wordpress_urls:
        # A WordPress import (POST /api/imports, or `syndic import` in another process)
        # turns them on in the store; the site directory loaded at start does not know.
        site = await request.app[STORE].get_site(site.id)
    return site if site.wordpress_urls else None


async def _target(request: web.Request, site: Site, keys: tuple[str, ...]) -> str | None:
    """The target of the first of `keys` the import recorded."""
    # A key with a NUL or a lone surrogate is in no alias (and PostgreSQL's text takes no NUL).
    keys = tuple(key for key in keys if strip_xml_illegal(key) == key)
    return await request.app[STORE].first_alias_target(site.id, keys)


async def redirect_to_post(request: web.Request, site: Site, link: PostLink) -> None:
    """301 to the page of the post the first recorded key names, when the post is shown
    (published, not deleted, not dated in the future: the store's rule for what feeds
    show, and post_page's); returns otherwise."""
    target = await _target(request, site, link.keys)
    post_id = None if target is None else post_id_of_target(target)
    if post_id is not None:
        now = request.app[CLOCK].now()
        post = await request.app[STORE].visible_post(site.id, post_id, now)
        if post is not None:
            location = link_of(site, post) + link.fragment
            raise web.HTTPMovedPermanently(location)


async def redirect_old_url(request: web.Request, site: Site, path: str) -> NoReturn:
    """301 to where the old blog's URL `path` (with the request's query) leads here, 404
    when it leads nowhere: a post not shown here (a draft, scheduled, deleted: 404 as
    WordPress answers an unknown post), a category the import did not record."""
    query = request.query
    if (wanted := wordpress_feed(path, query)) is not None:
        if (target := await _target(request, site, wanted.alias_keys())) is None:
            # No alias needed, or one not known (?author=ID: the site feed; else a 404).
            target = wanted.path
        if target is None:
            raise web.HTTPNotFound()
        raise web.HTTPMovedPermanently(site.base_url + wanted.location(target))
    link = wordpress_permalink(path, query)
    await redirect_to_post(request, site, link)
    archive = wordpress_archive(path, query)
    if archive is not None and (target := await _target(request, site, archive.alias_keys())):
        raise web.HTTPMovedPermanently(site.base_url + archive.location(target))
    if path != "/" and without_index(path) == "/" and not link.keys and archive is None:
        raise web.HTTPMovedPermanently(site.base_url + "/")  # /index.php: the home page
    raise web.HTTPNotFound()


async def redirect_or_404(request: web.Request, path: str | None = None) -> web.Response:
    site = await wordpress_site(request)
    if site is None:
        raise web.HTTPNotFound()
    await redirect_old_url(request, site, path or request.path)


async def wordpress(request: web.Request) -> web.Response:
    return await redirect_or_404(request)


BLOGGER_FEEDS = {"/atom.xml": SITE_FEED, "/rss.xml": f"{SITE_FEED}?alt=rss"}
"""Blogger's feed URLs before /feeds/posts/default (2004-2007), which Blogger still answers
with a 301 to it: subscriptions made then name them. Every site answers them: they name
no other feed, and syndic has no page there."""


async def blogger(request: web.Request) -> web.Response:
    site = request.app[SITES].for_host(request.host)
    raise web.HTTPMovedPermanently(site.base_url + BLOGGER_FEEDS[request.path])
