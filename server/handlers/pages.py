"""Discovery: the site's page with a <link rel="alternate"> per feed and format, OPML 2.0 of
every feed, and a plain page per post so entry links resolve."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from xml.sax.saxutils import quoteattr

from aiohttp import web

from feeds.content import strip_xml_illegal
from feeds.errors import PostNotFoundError
from feeds.models import VISIBLE_STATUSES, FeedFormat, FeedKey, FeedKind, FeedQuery, Site
from feeds.posts import post_url
from feeds.query import feed_url
from server.handlers.legacy import redirect_or_404
from server.http_cache import http_date
from server.keys import CLOCK, SETTINGS, SITES, STORE

_TYPES = {FeedFormat.ATOM: "application/atom+xml", FeedFormat.RSS: "application/rss+xml",
          FeedFormat.JSON: "application/feed+json"}


@dataclass(frozen=True, slots=True)
class Listed:
    title: str
    key: FeedKey


async def _listed(request: web.Request, site: Site) -> list[Listed]:
    store, now = request.app[STORE], request.app[CLOCK].now()
    q = FeedQuery(max_results=request.app[SETTINGS].feeds.default_max_results)
    out = [Listed(site.title, FeedKey(FeedKind.POSTS, q)),
           Listed(f"{site.title}: comments", FeedKey(FeedKind.COMMENTS, q))]
    out += [Listed(f"{site.title}: {label}", FeedKey(FeedKind.LABEL, q, labels=(label,)))
            for label, _ in await store.labels(site.id, now)]
    out += [Listed(f"{site.title}: posts by {name}", FeedKey(FeedKind.AUTHOR, q, author=slug))
            for slug, name, _ in await store.authors(site.id, now)]
    return out


def _url(request: web.Request, site: Site, key: FeedKey, fmt: FeedFormat) -> str:
    return feed_url(site.base_url, key, fmt, request.app[SETTINGS].feeds.default_max_results)


async def index(request: web.Request) -> web.Response:
    if "feed" in request.query:  # WordPress's /?feed=rss2 and friends
        return await redirect_or_404(request, "/")
    site = request.app[SITES].for_host(request.host)
    listed = await _listed(request, site)
    head = "".join(
        f'<link rel="alternate" type="{_TYPES[fmt]}" title={quoteattr(f"{x.title} ({fmt})")} '
        f'href={quoteattr(_url(request, site, x.key, fmt))}>\n'
        for x in listed for fmt in FeedFormat
    )
    rows = "".join(
        f"<li>{escape(x.title)}: "
        + ", ".join(f'<a href={quoteattr(_url(request, site, x.key, fmt))}>{fmt.value}</a>'
                    for fmt in FeedFormat)
        + "</li>\n"
        for x in listed
    )
    page = (
        f'<!doctype html>\n<html lang="{escape(site.language)}"><head><meta charset="utf-8">\n'
        f"<title>{escape(site.title)}</title>\n{head}"
        f'<link rel="alternate" type="text/x-opml" title="All feeds (OPML)" '
        f'href="{escape(site.base_url)}/feeds.opml">\n</head><body>\n'
        f"<h1>{escape(site.title)}</h1>\n<p>{escape(site.subtitle)}</p>\n<h2>Feeds</h2>\n"
        f'<ul>\n{rows}</ul>\n<p><a href="/feeds.opml">All feeds as OPML</a></p>\n</body></html>\n'
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def opml(request: web.Request) -> web.Response:
    """OPML 2.0 (http://opml.org/spec2.opml): one outline per feed, type rss, xmlUrl."""
    site = request.app[SITES].for_host(request.host)
    listed = await _listed(request, site)
    outlines = "".join(
        f"    <outline type=\"rss\" text={quoteattr(x.title)} title={quoteattr(x.title)} "
        f"xmlUrl={quoteattr(_url(request, site, x.key, FeedFormat.ATOM))} "
        f"htmlUrl={quoteattr(site.base_url + '/')}/>\n"
        for x in listed
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n'
        f"    <title>{escape(site.title)}</title>\n"
        f"    <dateCreated>{http_date(site.created)}</dateCreated>\n"
        f"  </head>\n  <body>\n{outlines}  </body>\n</opml>\n"
    )
    return web.Response(text=body, content_type="text/x-opml", charset="utf-8")


async def post_page(request: web.Request) -> web.Response:
    """/YYYY/MM/slug.html: the post, so the links in feeds lead somewhere."""
    site = request.app[SITES].for_host(request.host)
    slug = request.match_info["slug"]
    if strip_xml_illegal(slug) != slug:  # in no slug (and PostgreSQL's text takes no NUL)
        raise web.HTTPNotFound()
    try:
        post = await request.app[STORE].get_post(site.id, slug)
    except PostNotFoundError:
        raise web.HTTPNotFound() from None
    now = request.app[CLOCK].now()
    url = post_url(site, post.slug, post.published)
    if post.status not in VISIBLE_STATUSES or post.published > now or not url.endswith(
        request.path
    ):
        raise web.HTTPNotFound()
    page = (
        f'<!doctype html>\n<html lang="{escape(site.language)}"><head><meta charset="utf-8">\n'
        f"<title>{escape(post.title)} — {escape(site.title)}</title></head><body>\n"
        f"<article><h1>{escape(post.title)}</h1>\n{post.content_html}\n</article>\n"
        f'<p id="comments"><a href="/">{escape(site.title)}</a></p>\n</body></html>\n'
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")
