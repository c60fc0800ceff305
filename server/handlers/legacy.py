"""WordPress's URLs after a WordPress import (site.wordpress_urls): a feed URL answers 301 to
the syndic feed that shows the same thing, a post's old URL (its permalink, `?p=ID`, a page
or comment page of it) 301 to its page here, a category's, tag's, author's or date archive
and the home page's page N 301 to their feed (feeds/imports/legacy_urls.py and
legacy_archives.py say which), a search to a page saying there is none. And Blogger's URLs
on every site: its first feed URLs (/atom.xml, /rss.xml), its label and date archives and
"Older posts" pages (to their feed), its search."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import NoReturn
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.content import strip_xml_illegal
from feeds.imports.legacy_archives import (
    DateSpan,
    blogger_date,
    blogger_list,
    date_feed,
    wordpress_date,
    wordpress_home_page,
    wordpress_search,
)
from feeds.imports.legacy_urls import (
    SITE_FEED,
    PostLink,
    post_id_of_target,
    without_index,
    wordpress_archive,
    wordpress_feed,
    wordpress_permalink,
)
from feeds.models import FeedFormat, Site
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


def wordpress_home_query(query: Mapping[str, str]) -> bool:
    """Whether the home page's query is one of WordPress's old URLs (`?p=ID`, `?cat=ID`,
    `?m=202305`, `?paged=2`, `?s=TERM`...): answered as such when the site answers them."""
    return bool(wordpress_permalink("/", query).keys or wordpress_archive("/", query)
                or wordpress_date("/", query) or wordpress_home_page("/", query)
                or wordpress_search("/", query))


def redirect_to_span(site: Site, span: DateSpan, fmt: FeedFormat = FeedFormat.ATOM
                     ) -> NoReturn:
    """301 to the site feed of the span's posts (days in the site's zone); 404 when the
    span is no date (month 13, February 30)."""
    feed = date_feed(span, ZoneInfo(site.timezone), fmt)
    if feed is None:
        raise web.HTTPNotFound()
    raise web.HTTPMovedPermanently(site.base_url + feed)


def no_search(site: Site) -> web.Response:
    """What an old search URL gets: a 404 (the results it named are nowhere here, and a
    redirect to the home page would be a soft 404) whose page says so and where the posts
    are. The term is not shown: nothing of the URL is echoed."""
    page = (
        f'<!doctype html>\n<html lang="{escape(site.language)}"><head><meta charset="utf-8">\n'
        f"<title>No search — {escape(site.title)}</title></head><body>\n"
        "<h1>This blog has no search</h1>\n<p>Its posts are in its feeds, each entry "
        f'linking to the post: <a href="{escape(site.base_url)}{SITE_FEED}">the newest '
        f'posts</a>, and every feed (labels, authors) on <a href="{escape(site.base_url)}/">'
        f"{escape(site.title)}</a>.</p>\n</body></html>\n"
    )
    return web.Response(status=404, text=page, content_type="text/html")


async def redirect_old_url(request: web.Request, site: Site, path: str) -> web.Response:
    """301 to where the old blog's URL `path` (with the request's query) leads here, 404
    when it leads nowhere: a post not shown here (a draft, scheduled, deleted: 404 as
    WordPress answers an unknown post), a category the import did not record, a date that
    is none; a search, which syndic does not have: `no_search`."""
    query = request.query
    if (wanted := wordpress_feed(path, query)) is not None:
        if (target := await _target(request, site, wanted.alias_keys())) is None:
            # No alias needed, or one not known (?author=ID: the site feed; else a 404).
            target = wanted.path
        if target is None and wanted.alias and wanted.alias.startswith("post:") and (
                span := wordpress_date(wanted.alias[5:], {})) is not None:
            redirect_to_span(site, span, wanted.format)  # a date archive's feed, /2023/05/feed/
        if target is None:
            raise web.HTTPNotFound()
        raise web.HTTPMovedPermanently(site.base_url + wanted.location(target))
    link = wordpress_permalink(path, query)
    await redirect_to_post(request, site, link)
    archive = wordpress_archive(path, query)
    if archive is not None and (target := await _target(request, site, archive.alias_keys())):
        raise web.HTTPMovedPermanently(site.base_url + archive.location(target))
    # After the posts: a post may have had a date's path (/%year%/%postname%/ with slug 05).
    if archive is None and (span := wordpress_date(path, query)) is not None:
        redirect_to_span(site, span)
    if archive is None and wordpress_search(path, query):
        return no_search(site)
    if archive is None and wordpress_home_page(path, query):
        # The home page's "Older posts": the site feed's first page (docs/publishing.md).
        raise web.HTTPMovedPermanently(site.base_url + SITE_FEED)
    if path != "/" and without_index(path) == "/" and not link.keys and archive is None:
        raise web.HTTPMovedPermanently(site.base_url + "/")  # /index.php: the home page
    raise web.HTTPNotFound()


async def redirect_or_404(request: web.Request, path: str | None = None) -> web.Response:
    site = await wordpress_site(request)
    if site is None:
        raise web.HTTPNotFound()
    return await redirect_old_url(request, site, path or request.path)


async def old_url(request: web.Request) -> web.Response:
    """The catch-all route: Blogger's list pages and search (/search/label/NAME, /search)
    on every site; the old blog's URLs on a site that answers WordPress's (whose date
    archives Blogger's are among); Blogger's date archives on any other; else 404."""
    site = request.app[SITES].for_host(request.host)
    path = request.path
    if path == "/search" or path.startswith("/search/label/"):
        if "q" in request.query:
            return no_search(site)
        if (feed := blogger_list(path, request.query, ZoneInfo(site.timezone))) is not None:
            raise web.HTTPMovedPermanently(site.base_url + feed)
    if (wordpress := await wordpress_site(request)) is not None:
        return await redirect_old_url(request, wordpress, path)
    if (span := blogger_date(path)) is not None:
        redirect_to_span(site, span)
    raise web.HTTPNotFound()


BLOGGER_FEEDS = {"/atom.xml": SITE_FEED, "/rss.xml": f"{SITE_FEED}?alt=rss"}
"""Blogger's feed URLs before /feeds/posts/default (2004-2007), which Blogger still answers
with a 301 to it: subscriptions made then name them. Every site answers them: they name
no other feed, and syndic has no page there."""


async def blogger(request: web.Request) -> web.Response:
    site = request.app[SITES].for_host(request.host)
    raise web.HTTPMovedPermanently(site.base_url + BLOGGER_FEEDS[request.path])
