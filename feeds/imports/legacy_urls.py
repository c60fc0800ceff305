"""WordPress's feed and post URLs, answered with 301s to syndic's after a WordPress import.

WordPress serves RSS 2.0 at /feed/ (and /feed/rss2/), Atom at /feed/atom/, and the same
under /comments/, /category/SLUG/, /tag/SLUG/, /author/NICENAME/ and each post's
permalink, plus the query forms `?feed=rss2`, `?cat=ID&feed=rss2`, `?p=ID&feed=rss2`,
`?author=ID&feed=rss2` (https://wordpress.org/documentation/article/wordpress-feeds/). The
import records, per site, what each category, tag, author and post is now called
(`alias_paths`); the handler turns a request into alias keys (`wordpress_feed`,
`WordPressFeed.alias_keys`) and looks them up.

A post's own old URLs (its permalink, whatever structure the blog had: /2023/05/01/slug/,
/slug/, /archives/123; `?p=ID`; a page's `?page_id=ID`) lead to its page here: the keys
recorded for its feed (`post:PATH/`, `p:ID`, `page_id:ID`) name its comment feed
(`comment_feed_path`), which names the post (`post_id_of_target`); `wordpress_permalink`
turns a request into those keys.

What else the old blog's URLs may carry leads to the same place (`wordpress_permalink`,
`wordpress_archive` and `wordpress_feed` read it): `/index.php` before any of them
(WordPress's PATHINFO permalinks, /index.php/2020/05/slug/, and what any WordPress also
answered: /index.php?p=ID, /index.php/feed/); a post's page number (/slug/2/, the pages
`<!--nextpage-->` splits it into: shown whole here); a comment page (/slug/comment-page-2/,
`?cpage=2`) or a reply link (`?replytocom=ID`): the post's page at its #comments. A
category, tag or author archive (/category/x/, `?cat=ID`, /tag/x/, `?tag=x`, /author/x/,
`?author=ID`, each with /page/N/ or `?paged=N`) has no page here: it leads to the feed of
the same posts, in Atom (docs/publishing.md says why).

An author's URLs name the user's `user_nicename`, which WordPress makes from the login
(`wordpress_nicename`: John.Doe -> john-doe) and which WXR does not export: the import records
both the login and the nicename, and a request is also tried as the nicename of what it names
(WordPress sanitizes `author_name` the same way, so /author/John.Doe/ works there too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from feeds.content import clean_text
from feeds.imports.items import ImportedPost, LabelAlias
from feeds.models import Author, FeedFormat
from feeds.query import post_id_of

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
_NUMBER = re.compile(r"[0-9]+")
_COMMENT_FEED = re.compile(r"^/feeds/([0-9]+)/comments/default$")
_BLOGGER_COMMENT = re.compile(r"tag:blogger\.com,1999:blog-[0-9]+\.post-([0-9]+)")
# The query forms of a post's page, and the alias key each names: ?p=ID (any post, pages
# too: WordPress redirects it to the permalink), ?page_id=ID (a page).
_PAGE_QUERIES = (("p", "p"), ("page_id", "page_id"))
# The query forms of a category's, tag's or author's posts (WordPress's public query vars
# cat, tag, author_name, tag_id; tag_ID as its admin screens write it), and their keys.
_LIST_QUERIES = (("cat", "cat"), ("tag", "tag"), ("author_name", "author"),
                 ("tag_ID", "tag_ID"), ("tag_id", "tag_ID"))
# WordPress's PATHINFO permalinks put /index.php before every path (/index.php/2020/05/slug/,
# /index.php/feed/), and every WordPress reads a path after /index.php as it reads the path.
_INDEX = "/index.php"
# What WordPress's rewrite rules read after a post's permalink as the same post: its page N
# (/slug/2/, the `<!--nextpage-->` pages), comment page N (/slug/comment-page-2/), its
# trackback URL, its embed view (WordPress 4.4's oEmbed iframe), the AMP plugin's page.
_POST_TAIL = re.compile(r"^(/.+/)(?:(comment-page-[0-9]+)|[0-9]+|amp|embed|trackback)/$")
# A category's, tag's or author's archive, its page N (/category/x/page/2/) the same: read
# the way WordPress's rules are ordered, the page rule first (page/2 is no child category).
_PAGED = re.compile(r"^(/.+/)page/?[0-9]+/$")
_ARCHIVES = [
    (re.compile(r"^/category/(?:[^?#]+/)?([^/?#]+)/$"), "category"),
    (re.compile(r"^/tag/([^/?#]+)/$"), "tag"),
    (re.compile(r"^/author/([^/?#]+)/$"), "author"),
]
COMMENTS_ANCHOR = "#comments"
"""Where on a post's page its comments are (server/handlers/pages.py renders it always)."""

# WordPress's sanitize_title for a user_nicename (wp-includes/formatting.php: remove_accents,
# then sanitize_title_with_dashes in its "save" context), on a request's decoded path: what
# WordPress percent-encodes (other scripts) is kept as the character.
_TAGS = re.compile(r"<[^>]*>")
_ENTITIES = re.compile(r"&.+?;")
_DROPPED = re.compile(r"[\x00-\x1f!-,/:-^`{-\x7f]")  # ASCII other than a-z 0-9 _ - and space
_HYPHENS = re.compile(r"[- ]+")
# remove_accents' letters that are no accented form of an ASCII one.
_LETTERS = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
            "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ł": "l", "Ł": "L",
            "ħ": "h", "Ħ": "H", "ı": "i", "ĸ": "k", "ŉ": "n", "ŋ": "n", "Ŋ": "N", "ŧ": "t"}
_SAVE = str.maketrans(
    # nbsp, non-breaking hyphen, figure dash, en and em dash, horizontal bar; slash.
    dict.fromkeys("\u00a0\u2011\u2012\u2013\u2014\u2015/", "-")
    | {"\u00d7": "x"}  # &times;
    # Soft hyphen, ¡ ¿, angle and curly quotes, bullet, © ® ° … ™, acute and grave
    # accents, macron, caron, zero-width and direction marks, BOM, object replacement.
    | dict.fromkeys("\u00ad\u00a1\u00bf\u00ab\u00bb\u2039\u203a\u2018\u2019\u201a\u201b"
                    "\u201c\u201d\u201e\u201f\u2022\u00a9\u00ae\u00b0\u2026\u2122\u00b4"
                    "\u02ca\u0301\u0341\u0300\u0304\u030c\u200b\u200c\u200d\u200e\u200f"
                    "\u202a\u202b\u202c\u202d\u202e\ufeff\ufffc"))


@dataclass(frozen=True, slots=True)
class WordPressFeed:
    """A WordPress feed request: the alias to look up (None: the site or comments feed,
    which need none), the syndic path to go to when no alias is needed or the alias is not
    known (None with an alias: 404), and the format asked for."""

    alias: str | None
    path: str | None
    format: FeedFormat

    def alias_keys(self) -> tuple[str, ...]:
        """The alias keys to look up, first found wins: the alias as asked, then for an
        author the nicename WordPress makes of it, as WordPress sanitizes `author_name`
        itself (/author/JOHN.DOE/ and ?author_name=John.Doe lead to john-doe's feed)."""
        if self.alias is None:
            return ()
        kind, _, name = self.alias.partition(":")
        if kind == "author" and (nicename := wordpress_nicename(name)) and nicename != name:
            return (self.alias, f"author:{nicename}")
        if kind == "post":  # the post's feed: the path as recorded with /index.php or not
            return _post_keys(name)
        return (self.alias,)

    def location(self, target: str) -> str:
        return target + ("?alt=rss" if self.format is FeedFormat.RSS else "")


@dataclass(frozen=True, slots=True)
class PostLink:
    """An old URL of a post's page: the alias keys that may name the post, first found wins,
    and the part of its page here to go to ("" or COMMENTS_ANCHOR)."""

    keys: tuple[str, ...]
    fragment: str = ""


def label_feed(name: str) -> str:
    return f"{SITE_FEED}/-/{quote(name, safe='')}"


def old_comment_anchor(post_entry_id: str, comment_entry_id: str) -> str | None:
    """The fragment (without "#") that named an imported comment on the old blog's post
    page, read from the entry id the import kept: WordPress's `comment-N` (N its
    wp:comment_id; feeds/imports/wordpress.py makes the id `POST-GUID#comment-N`),
    Blogger's `cN` (N the comment's numeric id: its entry id is
    tag:blogger.com,1999:blog-B.post-N, and Blogger's pages anchor it `c` + N). None for a
    comment made here (its entry id is tag:HOST,DATE:comment-...)."""
    if m := _BLOGGER_COMMENT.fullmatch(comment_entry_id):
        return f"c{m.group(1)}"
    wordpress = post_entry_id + "#comment-"
    number = comment_entry_id[len(wordpress):]
    if comment_entry_id.startswith(wordpress) and _NUMBER.fullmatch(number):
        return f"comment-{number}"
    return None


def _unaccented(char: str) -> str:
    if char.isascii():
        return char
    if char in _LETTERS:
        return _LETTERS[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else char


def wordpress_nicename(login: str) -> str:
    """The user_nicename WordPress gives a user with this login (wp_insert_user: the login's
    first 50 characters through sanitize_title), the name in the user's author URLs:
    John.Doe -> john-doe, "Anne O'Neil" -> anne-oneil. "" when nothing is left.

    WordPress appends -2, -3, ... when another user has the nicename already; an export
    does not say so, and those are not guessed."""
    text = _TAGS.sub("", login[:50]).replace("%", "")
    text = "".join(map(_unaccented, unicodedata.normalize("NFC", text))).lower()
    text = _ENTITIES.sub("", text.translate(_SAVE)).replace(".", "-")
    return _HYPHENS.sub("-", _DROPPED.sub("", text)).strip("-")


def comment_feed_path(post_id: int) -> str:
    """A post's comment feed: the target of every alias an import records for a post."""
    return f"/feeds/{post_id}/comments/default"


def post_id_of_target(target: str) -> int | None:
    """The post an import's alias names (`comment_feed_path` read back), or None when the
    target is something else (a label's or an author's feed)."""
    m = _COMMENT_FEED.match(target)
    return post_id_of(m.group(1)) if m else None


def alias_author(item: LabelAlias) -> Author:
    """The author a WordPress user's alias is: as the user's posts name them (their display
    name, cleaned as prepare_post cleans it, and their login), so that both lead to one
    author's feed (feeds/authors.py)."""
    return Author(clean_text(item.name) or item.slug, account=item.slug)


def alias_paths(item: LabelAlias | ImportedPost, post_id: int | None = None,
                author: str | None = None) -> dict[str, str]:
    """alias key -> syndic feed path, for what an import brought in. `author`: for an
    author's alias, the slug of that author's feed, which the store gives
    (Store.author_slug of `alias_author(item)`: two users of one display name have two)."""
    if isinstance(item, LabelAlias):
        if item.kind == "author":
            if author is None:
                raise ValueError(f"the feed of author {item.slug!r} is the store's to give")
            feed = f"/feeds/authors/{author}/default"
            out = {f"author:{item.slug}": feed}  # the login, as ?author_name= may name it
            if nicename := wordpress_nicename(item.slug):
                out[f"author:{nicename}"] = feed  # /author/NICENAME/feed/
            if item.legacy_id:
                out[f"author_id:{item.legacy_id}"] = feed  # ?author=ID&feed=rss2
            return out
        out = {f"{item.kind}:{item.slug}": label_feed(item.name)}
        if item.legacy_id and item.kind == "category":
            out[f"cat:{item.legacy_id}"] = label_feed(item.name)
        if item.legacy_id and item.kind == "tag":
            out[f"tag_ID:{item.legacy_id}"] = label_feed(item.name)
        return out
    if post_id is None:
        return {}
    target = comment_feed_path(post_id)
    out = {}
    for path in item.old_paths:
        if path.startswith("?p="):
            out[f"p:{path[3:]}"] = target
        elif path.startswith("?page_id="):
            out[f"page_id:{path[9:]}"] = target
        elif path.startswith("/"):
            out[f"post:{path if path.endswith('/') else path + '/'}"] = target
    return out


def without_index(path: str) -> str:
    """The path WordPress reads after /index.php: /index.php/feed/ -> /feed/,
    /index.php -> /; any other path as it is."""
    if path == _INDEX:
        return "/"
    return path[len(_INDEX):] if path.startswith(_INDEX + "/") else path


def _post_keys(*paths: str) -> tuple[str, ...]:
    """The keys of posts whose old path was one of `paths` (each with its trailing slash,
    as recorded), with /index.php before it or not: a blog with PATHINFO permalinks
    exported /index.php/2020/05/slug/, and either form may be asked for."""
    return tuple(f"post:{p}" for path in paths for p in (path, _INDEX + path))


def wordpress_feed(path: str, query: Mapping[str, str]) -> WordPressFeed | None:
    """What a WordPress feed URL asks for, or None when it is not one."""
    path = without_index(path)
    if path == "/" and "feed" in query:
        kind = query["feed"]
        fmt = FeedFormat.ATOM if kind.endswith("atom") else FeedFormat.RSS
        if kind.startswith("comments-"):
            return WordPressFeed(None, COMMENTS_FEED, fmt)
        for param, prefix in (*_PAGE_QUERIES, *_LIST_QUERIES):
            if query.get(param):
                return WordPressFeed(f"{prefix}:{query[param]}", None, fmt)
        if _NUMBER.fullmatch(author := query.get("author", "")):
            # A user's id (wp:author_id): that author's feed when the import recorded it
            # (alias_paths). One not recorded leads to the site feed, as these URLs always
            # did, not to a 404: imports made before the importer kept wp:author_id have
            # none. ("-3" and "1,2", excluding or combining users, are no one author's
            # feed: the site feed, below.)
            return WordPressFeed(f"author_id:{author}", SITE_FEED, fmt)
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


def wordpress_permalink(path: str, query: Mapping[str, str]) -> PostLink:
    """What a request of an old post URL names: on the home page `?p=ID` or `?page_id=ID`;
    anywhere else the path alone, with the trailing slash the import recorded (any other
    query, say ?utm_source=x, is left out), then the path without what WordPress reads after
    a permalink as the same post (_POST_TAIL: /slug/2/, /slug/comment-page-2/, /slug/amp/),
    each with /index.php before it or not. No keys for the home page without those (or a
    feed request: `wordpress_feed` first). A comment page, `?cpage=N` or a reply link
    (`?replytocom=ID`, its comment's id on the old blog, which is not its id here) leads to
    the post's comments."""
    path = without_index(path)
    fragment = COMMENTS_ANCHOR if query.get("cpage") or query.get("replytocom") else ""
    if path == "/":
        keys = tuple(f"{key}:{query[param]}" for param, key in _PAGE_QUERIES
                     if query.get(param))
        return PostLink(keys, fragment if keys else "")
    path = path if path.endswith("/") else path + "/"
    if (m := _POST_TAIL.match(path)) is None:
        return PostLink(_post_keys(path), fragment)
    # The whole path first: a post may have had that very path (/archives/123/, /amp/x/amp/).
    return PostLink(_post_keys(path, m.group(1)), COMMENTS_ANCHOR if m.group(2) else fragment)


def wordpress_archive(path: str, query: Mapping[str, str]) -> WordPressFeed | None:
    """The category's, tag's or author's posts a WordPress archive URL asks for (its first
    page, whichever it asked for), as their feed in Atom; None when it is no archive.
    An author's id that is no number (-3 and 1,2 exclude and combine users) is looked up
    as it is and found nowhere: a 404, as an unknown category is (unlike the feed form,
    where the site feed stands in: `wordpress_feed`)."""
    path = without_index(path)
    if path == "/":
        for param, prefix in _LIST_QUERIES:
            if query.get(param):
                return WordPressFeed(f"{prefix}:{query[param]}", None, FeedFormat.ATOM)
        if author := query.get("author"):
            return WordPressFeed(f"author_id:{author}", None, FeedFormat.ATOM)
        return None
    path = path if path.endswith("/") else path + "/"
    paged = _PAGED.match(path)
    for candidate in (paged.group(1), path) if paged else (path,):
        for pattern, kind in _ARCHIVES:
            if m := pattern.match(candidate):
                return WordPressFeed(f"{kind}:{m.group(1)}", None, FeedFormat.ATOM)
    return None
