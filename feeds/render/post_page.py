"""A post's own page (/YYYY/MM/slug.html, a page's /p/slug.html): what its feed entries link
to, and where a person lands from a search or a shared link. Besides the post: who wrote it
and when, on the site's clock; its labels, each linking to its feed; and in its head the
discovery links a feed reader looks for when given the page's URL (HTML's
<link rel="alternate">: the site's feed in each format and the post's comment feed, as
WordPress and Blogger post pages carry them), its canonical URL and its summary."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from feeds.models import Post, PostKind, Site
from feeds.render.comment_list import local_time_html


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    href: str
    type: str = ""


def post_page_html(site: Site, post: Post, url: str, feeds: list[Link], labels: list[Link],
                   authors: list[Link], comments_html: str) -> str:
    """`feeds`: the discovery links; `labels`, `authors`: each name with its feed (an empty
    href: no feed, the name alone)."""
    head = "".join(f'<link rel="alternate" type="{escape(f.type)}" title={quoteattr(f.title)} '
                   f"href={quoteattr(f.href)}>\n" for f in feeds)
    byline = ""
    if post.kind is PostKind.POST:  # a page ("About") is not dated, as on either platform
        names = ", ".join(_linked(a) for a in authors)
        when = local_time_html(post.published, ZoneInfo(site.timezone))
        byline = f'<p class="byline">{f"{names}, " if names else ""}{when}</p>\n'
    tags = ""
    if labels:
        tags = '<p class="labels">Labels: ' + ", ".join(_linked(x) for x in labels) + "</p>\n"
    return (
        f'<!doctype html>\n<html lang="{escape(site.language)}"><head><meta charset="utf-8">\n'
        f"<title>{escape(post.title)} — {escape(site.title)}</title>\n"
        f'<link rel="canonical" href={quoteattr(url)}>\n'
        f"<meta name=\"description\" content={quoteattr(post.summary)}>\n{head}</head><body>\n"
        f"<article><h1>{escape(post.title)}</h1>\n{byline}{post.content_html}\n{tags}"
        f"</article>\n{comments_html}"
        f'<p><a href="/">{escape(site.title)}</a></p>\n</body></html>\n'
    )


def _linked(x: Link) -> str:
    return f"<a href={quoteattr(x.href)}>{escape(x.title)}</a>" if x.href else escape(x.title)
