"""Discovery: the site's page with a <link rel="alternate"> per feed and format, OPML 2.0 of
every feed, and a plain page per post so entry links resolve."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.content import strip_xml_illegal
from feeds.errors import PostNotFoundError
from feeds.imports.legacy_urls import (
    old_comment_anchor,
    post_id_of_target,
    wordpress_permalink,
)
from feeds.models import (
    VISIBLE_STATUSES,
    FeedFormat,
    FeedKey,
    FeedKind,
    FeedQuery,
    Post,
    PostKind,
    Site,
)
from feeds.posts import link_of, old_post_path
from feeds.query import feed_url
from feeds.render import etag_for
from feeds.render.comment_list import comment_list_html
from feeds.render.post_page import Link, post_page_html
from server.handlers.legacy import (
    redirect_old_url,
    redirect_or_404,
    wordpress_home_query,
    wordpress_site,
)
from server.http_cache import http_date, is_not_modified
from server.keys import CLOCK, SETTINGS, SITES, STORE

_TYPES = {FeedFormat.ATOM: "application/atom+xml", FeedFormat.RSS: "application/rss+xml",
          FeedFormat.JSON: "application/feed+json"}


async def _comments(request: web.Request, site: Site, post: Post, now: datetime) -> str:
    """The post's approved comments, threaded (a reply under the comment it answers), each
    at the #comment-ID its feed entry links to (the newest 500, the most a comment feed's
    page holds), dated on the site's clock, and an imported one also at the anchor the old
    blog's links name (#comment-12, #c123: old_comment_anchor), unless that is another
    comment's id here: its feed's links keep their comment."""
    key = FeedKey(FeedKind.POST_COMMENTS, FeedQuery(max_results=500), post_id=post.id)
    page = await request.app[STORE].select_comments(site.id, key, now)
    comments = [c for c, _ in reversed(page.comments)]  # oldest first
    ours = {f"comment-{c.id}" for c in comments}
    olds = {c.id: old for c in comments
            if (old := old_comment_anchor(post.entry_id, c.entry_id)) and old not in ours}
    items = comment_list_html(comments, ZoneInfo(site.timezone), olds)
    return f'<section id="comments"><h2>Comments</h2>\n{items}</section>\n' \
        if items else '<section id="comments"></section>\n'


def _validated(request: web.Request, text: str, content_type: str) -> web.Response:
    """A page with a strong ETag (a hash of its bytes, as a feed's) and the feeds'
    Cache-Control, or a 304 when the reader holds those bytes: OPML and discovery pollers
    need not fetch an unchanged page again."""
    body = text.encode()
    headers = {"ETag": etag_for(body),
               "Cache-Control": f"public, max-age={request.app[SETTINGS].feeds.cache_max_age}"}
    if is_not_modified(if_none_match=request.headers.get("If-None-Match"),
                       if_modified_since=None, etag=headers["ETag"], last_modified=None):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


def _shown(post: Post, now: datetime) -> bool:
    return post.status in VISIBLE_STATUSES and post.published <= now


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
    pages = FeedKey(FeedKind.PAGES, q)
    if (await store.select_posts(site.id, replace(pages, query=FeedQuery(1)), now)).total:
        out.append(Listed(f"{site.title}: pages", pages))  # a site with pages
    return out


def _url(request: web.Request, site: Site, key: FeedKey, fmt: FeedFormat) -> str:
    return feed_url(site.base_url, key, fmt, request.app[SETTINGS].feeds.default_max_results)


async def index(request: web.Request) -> web.Response:
    if "feed" in request.query:  # WordPress's /?feed=rss2 and friends
        return await redirect_or_404(request, "/")
    # /?p=ID, /?cat=ID, /?m=202305, /?paged=2, /?s=x...: when the site answers them.
    if wordpress_home_query(request.query) and (wordpress := await wordpress_site(request)):
        return await redirect_old_url(request, wordpress, "/")
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
    return _validated(request, page, "text/html")


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
    return _validated(request, body, "text/x-opml")


async def _former_owner(request: web.Request, site: Site, by_slug: Post | None) -> Post | None:
    """The post whose former URL the request's path is (None: one no longer there): the
    post renamed or re-dated here (syndic's own alias of its old URL), else the post an
    import recorded at that path on the old blog, else the post with the path's slug.
    Blogger makes a path unique within its month only: /2015/01/bilan-du-mois.html and
    /2015/02/bilan-du-mois.html are two posts, the second `bilan-du-mois-2` here, and its
    old link must not lead to the first, which kept the slug. The import's record is
    followed whatever the site's `wordpress_urls`: this is syndic's own URL shape, which
    every site answers."""
    store = request.app[STORE]
    moved = await store.alias_target(site.id, old_post_path(request.path))
    if moved is None:
        keys = wordpress_permalink(request.path, {}).keys
        target = await store.first_alias_target(site.id, keys)
        if target is not None and (post_id := post_id_of_target(target)) is not None:
            moved = str(post_id)
    if moved is None:
        return by_slug
    try:
        return await store.get_post(site.id, moved, by_id=moved.isdigit())
    except PostNotFoundError:
        return None


async def _by_slug(request: web.Request, site: Site, slug: str) -> Post | None:
    if strip_xml_illegal(slug) != slug:  # in no slug (and PostgreSQL's text takes no NUL)
        raise web.HTTPNotFound()
    try:
        return await request.app[STORE].get_post(site.id, slug, by_id=False)
    except PostNotFoundError:
        return None


async def post_page(request: web.Request) -> web.Response:
    """/YYYY/MM/slug.html: the post, so the links in feeds lead somewhere. A URL the post had
    before its date or slug changed answers 301 to the one it has now: readers keep the
    links they were given (WordPress does the same for an old slug). A page's is /p/slug.html
    (page_page): a post made a page answers 301 there from its post URL."""
    site = request.app[SITES].for_host(request.host)
    now = request.app[CLOCK].now()
    post = await _by_slug(request, site, request.match_info["slug"])
    url = link_of(site, post) if post else ""
    if post is None or not _shown(post, now) or not url.endswith(request.path):
        post = await _former_owner(request, site, post)
        if post is None or not _shown(post, now):
            # A WordPress permalink of this shape (/%year%/%monthnum%/%postname%.html) that
            # is no post's URL here: WordPress dated it in the old blog's zone, or slugged
            # it otherwise.
            return await redirect_or_404(request)
        raise web.HTTPMovedPermanently(link_of(site, post))
    return await _article(request, site, post, now)


async def page_page(request: web.Request) -> web.Response:
    """/p/slug.html: a page (PostKind.PAGE), at Blogger's URL of its pages, on every site.
    A page renamed (or a post made a page) answers 301 from its former URL; a path the old
    blog had that is no page here (a page imported as a post by an older syndic) 301 to
    where the import's record leads, or with the site's `wordpress_urls`, to what the old
    blog's URL names (server/handlers/legacy.py)."""
    site = request.app[SITES].for_host(request.host)
    now = request.app[CLOCK].now()
    post = await _by_slug(request, site, request.match_info["slug"])
    if post is not None and post.kind is PostKind.PAGE and _shown(post, now):
        return await _article(request, site, post, now)
    owner = await _former_owner(request, site, None)
    if owner is None or not _shown(owner, now) or link_of(site, owner).endswith(request.path):
        return await redirect_or_404(request)
    raise web.HTTPMovedPermanently(link_of(site, owner))


async def _article(request: web.Request, site: Site, post: Post, now: datetime
                   ) -> web.Response:
    q = FeedQuery(max_results=request.app[SETTINGS].feeds.default_max_results)
    comments = FeedKey(FeedKind.POST_COMMENTS, q, post_id=post.id)
    feeds = [Link(f"{site.title} ({fmt})", _url(request, site, FeedKey(FeedKind.POSTS, q), fmt),
                  _TYPES[fmt]) for fmt in FeedFormat]
    feeds.append(Link(f"Comments on {post.title}",
                      _url(request, site, comments, FeedFormat.ATOM), _TYPES[FeedFormat.ATOM]))
    labels = [Link(label, _url(request, site, FeedKey(FeedKind.LABEL, q, labels=(label,)),
                               FeedFormat.ATOM)) for label in post.labels]
    authors = [Link(a.name, _url(request, site, FeedKey(FeedKind.AUTHOR, q, author=a.feed),
                                 FeedFormat.ATOM) if a.feed else "") for a in post.authors]
    if post.kind is PostKind.PAGE:  # a page makes no label's or author's feed
        labels = [replace(x, href="") for x in labels]
    page = post_page_html(site, post, link_of(site, post), feeds, labels, authors,
                          await _comments(request, site, post, now))
    return _validated(request, page, "text/html")
