"""WordPress's feed URLs, answered with 301s to syndic's feeds after a WordPress import.

WordPress serves RSS 2.0 at /feed/ (and /feed/rss2/), Atom at /feed/atom/, and the same
under /comments/, /category/SLUG/, /tag/SLUG/, /author/LOGIN/ and each post's permalink,
plus the query forms `?feed=rss2`, `?cat=ID&feed=rss2`, `?p=ID&feed=rss2`
(https://wordpress.org/documentation/article/wordpress-feeds/). The import records, per
site, what each category, tag, author and post is now called (`alias_paths`); the handler
turns a request into an alias key (`wordpress_feed`) and looks it up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from feeds.imports.items import ImportedPost, LabelAlias
from feeds.models import FeedFormat
from feeds.query import slugify

SITE_FEED = "/feeds/posts/default"
COMMENTS_FEED = "/feeds/comments/default"
# /feed/, /feed/rss2/, /feed/atom/, /feed/rdf/, /feed/rss/ (WordPress's feed types).
_TYPES = {"": FeedFormat.RSS, "rss2": FeedFormat.RSS, "rss": FeedFormat.RSS,
          "rdf": FeedFormat.RSS, "atom": FeedFormat.ATOM}
_TAIL = r"feed(?:/(rss2|rss|rdf|atom))?/?"
_PATHS = [
    (re.compile(rf"^/{_TAIL}$"), "site"),
    (re.compile(rf"^/comments/{_TAIL}$"), "comments"),
    (re.compile(rf"^/category/(?:[^?#]+/)?([^/?#]+)/{_TAIL}$"), "category"),
    (re.compile(rf"^/tag/([^/?#]+)/{_TAIL}$"), "tag"),
    (re.compile(rf"^/author/([^/?#]+)/{_TAIL}$"), "author"),
    # A post's permalink with feed/ after it: its comments (any permalink structure).
    (re.compile(rf"^(/.+/){_TAIL}$"), "post"),
]


@dataclass(frozen=True, slots=True)
class WordPressFeed:
    """A WordPress feed request: the alias to look up (None: the site or comments feed,
    which need none), the syndic path when no alias is needed, and the format asked for."""

    alias: str | None
    path: str | None
    format: FeedFormat

    def location(self, target: str) -> str:
        return target + ("?alt=rss" if self.format is FeedFormat.RSS else "")


def _label_feed(name: str) -> str:
    return f"{SITE_FEED}/-/{quote(name, safe='')}"


def alias_paths(item: LabelAlias | ImportedPost, post_id: int | None = None) -> dict[str, str]:
    """alias key -> syndic feed path, for what an import brought in."""
    if isinstance(item, LabelAlias):
        if item.kind == "author":
            return {f"author:{item.slug}": f"/feeds/authors/{slugify(item.name)}/default"}
        out = {f"{item.kind}:{item.slug}": _label_feed(item.name)}
        if item.legacy_id and item.kind == "category":
            out[f"cat:{item.legacy_id}"] = _label_feed(item.name)
        if item.legacy_id and item.kind == "tag":
            out[f"tag_ID:{item.legacy_id}"] = _label_feed(item.name)
        return out
    if post_id is None:
        return {}
    target = f"/feeds/{post_id}/comments/default"
    out = {}
    for path in item.old_paths:
        if path.startswith("?p="):
            out[f"p:{path[3:]}"] = target
        elif path.startswith("/"):
            out[f"post:{path if path.endswith('/') else path + '/'}"] = target
    return out


def wordpress_feed(path: str, query: Mapping[str, str]) -> WordPressFeed | None:
    """What a WordPress feed URL asks for, or None when it is not one."""
    if path == "/" and "feed" in query:
        kind = query["feed"]
        fmt = FeedFormat.ATOM if kind.endswith("atom") else FeedFormat.RSS
        if kind.startswith("comments-"):
            return WordPressFeed(None, COMMENTS_FEED, fmt)
        for param, prefix in (("p", "p"), ("cat", "cat"), ("tag", "tag"),
                              ("author_name", "author"), ("tag_ID", "tag_ID")):
            if query.get(param):
                return WordPressFeed(f"{prefix}:{query[param]}", None, fmt)
        return WordPressFeed(None, SITE_FEED, fmt)
    for pattern, kind in _PATHS:
        m = pattern.match(path)
        if m is None:
            continue
        if kind == "site":
            return WordPressFeed(None, SITE_FEED, _TYPES[m.group(1) or ""])
        if kind == "comments":
            return WordPressFeed(None, COMMENTS_FEED, _TYPES[m.group(1) or ""])
        fmt = _TYPES[m.group(2) or ""]
        return WordPressFeed(f"{kind}:{m.group(1)}", None, fmt)
    return None
