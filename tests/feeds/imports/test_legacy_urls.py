"""WordPress's feed, post and archive URLs, read as what they ask for (`wordpress_feed`,
`wordpress_permalink`, `wordpress_archive`), and the alias keys an import records for what it brought in
(`alias_paths`). Pure: no store, no server."""

from __future__ import annotations

import pytest

from feeds.imports.items import ImportedPost, LabelAlias
from feeds.imports.legacy_urls import (
    COMMENTS_FEED,
    SITE_FEED,
    PostLink,
    WordPressFeed,
    alias_author,
    alias_paths,
    comment_feed_path,
    post_id_of_target,
    without_index,
    wordpress_archive,
    wordpress_feed,
    wordpress_permalink,
)
from feeds.models import Author, FeedFormat

RSS, ATOM = FeedFormat.RSS, FeedFormat.ATOM


@pytest.mark.parametrize(("path", "query", "expected"), [
    # The site's feed in each of WordPress's types (RSS 2.0 unless Atom is named).
    ("/feed/", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/feed", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/feed/atom/", {}, WordPressFeed(None, SITE_FEED, ATOM)),
    ("/feed/atom", {}, WordPressFeed(None, SITE_FEED, ATOM)),
    ("/feed/rss2/", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/feed/rss/", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/feed/rdf/", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/comments/feed/", {}, WordPressFeed(None, COMMENTS_FEED, RSS)),
    ("/comments/feed/atom/", {}, WordPressFeed(None, COMMENTS_FEED, ATOM)),
    # Categories (also a child under its parent), tags, authors: looked up by their slug.
    ("/category/garden/feed/", {}, WordPressFeed("category:garden", None, RSS)),
    ("/category/garden/feed/atom/", {}, WordPressFeed("category:garden", None, ATOM)),
    ("/category/garden/vegetables/feed/", {}, WordPressFeed("category:vegetables", None, RSS)),
    ("/category/a/b/c/feed/rss2/", {}, WordPressFeed("category:c", None, RSS)),
    ("/tag/frost/feed/", {}, WordPressFeed("tag:frost", None, RSS)),
    ("/tag/日本/feed/atom/", {}, WordPressFeed("tag:日本", None, ATOM)),
    ("/author/marta/feed/", {}, WordPressFeed("author:marta", None, RSS)),
    ("/author/marta/feed/atom/", {}, WordPressFeed("author:marta", None, ATOM)),
    # A post's permalink with feed/ after it: its comments.
    ("/2023/11/14/first-frost/feed/", {},
     WordPressFeed("post:/2023/11/14/first-frost/", None, RSS)),
    ("/2023/11/14/first-frost/feed/atom/", {},
     WordPressFeed("post:/2023/11/14/first-frost/", None, ATOM)),
    ("/about/feed", {}, WordPressFeed("post:/about/", None, RSS)),
    # The query forms on the home page.
    ("/", {"feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/", {"feed": "rss"}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/", {"feed": "rdf"}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/", {"feed": "atom"}, WordPressFeed(None, SITE_FEED, ATOM)),
    ("/", {"feed": "comments-rss2"}, WordPressFeed(None, COMMENTS_FEED, RSS)),
    ("/", {"feed": "comments-atom"}, WordPressFeed(None, COMMENTS_FEED, ATOM)),
    ("/", {"cat": "5", "feed": "rss2"}, WordPressFeed("cat:5", None, RSS)),
    ("/", {"p": "101", "feed": "rss2"}, WordPressFeed("p:101", None, RSS)),
    ("/", {"p": "101", "feed": "atom"}, WordPressFeed("p:101", None, ATOM)),
    ("/", {"page_id": "107", "feed": "rss2"}, WordPressFeed("page_id:107", None, RSS)),
    ("/", {"tag": "x", "feed": "rss2"}, WordPressFeed("tag:x", None, RSS)),
    ("/", {"tag_ID": "7", "feed": "rss2"}, WordPressFeed("tag_ID:7", None, RSS)),
    ("/", {"author_name": "marta", "feed": "atom"}, WordPressFeed("author:marta", None, ATOM)),
    ("/", {"tag_id": "7", "feed": "rss2"}, WordPressFeed("tag_ID:7", None, RSS)),
    ("/", {"p": "", "feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
    # The same behind /index.php (PATHINFO permalinks, and any WordPress's front controller).
    ("/index.php", {"feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/index.php", {"p": "101", "feed": "atom"}, WordPressFeed("p:101", None, ATOM)),
    ("/index.php/feed/", {}, WordPressFeed(None, SITE_FEED, RSS)),
    ("/index.php/comments/feed/atom/", {}, WordPressFeed(None, COMMENTS_FEED, ATOM)),
    ("/index.php/category/garden/feed/", {}, WordPressFeed("category:garden", None, RSS)),
    ("/index.php/2023/11/14/first-frost/feed/", {},
     WordPressFeed("post:/2023/11/14/first-frost/", None, RSS)),
])
def test_each_wordpress_feed_url_says_what_it_asks_for(
    path: str, query: dict[str, str], expected: WordPressFeed,
) -> None:
    assert wordpress_feed(path, query) == expected


@pytest.mark.parametrize(("path", "query"), [
    ("/", {}),
    ("/", {"p": "101"}),  # the post's page, not a feed
    ("/about/", {}),
    ("/feedback/", {}),
    ("/feeds/posts/default", {}),
    ("/feeds/posts/default/-/Garden", {}),
    ("/feeds/123/comments/default", {}),
    ("/2019/03/momo-folding.html", {}),
    ("/feed/bogus/", {}),
    ("/feed.atom", {}),
    ("/index.php", {}),
    ("/index.php/2023/11/14/first-frost/", {}),
    ("/wp-login.php", {}),
])
def test_paths_that_are_not_wordpress_feeds_give_none(path: str, query: dict[str, str]) -> None:
    assert wordpress_feed(path, query) is None


def test_the_location_asks_for_rss_when_rss_was_asked_for() -> None:
    target = "/feeds/posts/default/-/Garden"
    assert WordPressFeed(None, None, RSS).location(target) == target + "?alt=rss"
    assert WordPressFeed(None, None, ATOM).location(target) == target


def test_a_category_alias_names_its_label_feed_and_its_term_id() -> None:
    alias = LabelAlias("category", "vegetables", "Vegetables & Herbs", "3")
    assert alias_paths(alias) == {
        "category:vegetables": "/feeds/posts/default/-/Vegetables%20%26%20Herbs",
        "cat:3": "/feeds/posts/default/-/Vegetables%20%26%20Herbs",
    }


def test_a_tag_alias_names_its_label_feed_and_its_term_id() -> None:
    assert alias_paths(LabelAlias("tag", "日本", "日本", "9")) == {
        "tag:日本": "/feeds/posts/default/-/%E6%97%A5%E6%9C%AC",
        "tag_ID:9": "/feeds/posts/default/-/%E6%97%A5%E6%9C%AC",
    }
    assert alias_paths(LabelAlias("tag", "compost", "compost")) == {
        "tag:compost": "/feeds/posts/default/-/compost"}


def test_an_author_alias_names_the_feed_the_store_gave_that_author() -> None:
    alias = LabelAlias("author", "marta", "Marta Quiñones")
    assert alias_author(alias) == Author("Marta Quiñones", account="marta")
    assert alias_paths(alias, author="marta-quinones-2") == {
        "author:marta": "/feeds/authors/marta-quinones-2/default"}
    with pytest.raises(ValueError, match="the store's to give"):
        alias_paths(alias)


def test_a_posts_old_paths_lead_to_its_comment_feed() -> None:
    post = ImportedPost(
        source_id="101", entry_id="https://ledger.example.org/?p=101", title="First frost",
        content_html="", published=None,
        old_paths=("/2023/11/14/first-frost/", "/about", "?p=101", "?page_id=101"),
    )
    assert alias_paths(post, 7) == {
        "post:/2023/11/14/first-frost/": "/feeds/7/comments/default",
        "post:/about/": "/feeds/7/comments/default",
        "p:101": "/feeds/7/comments/default",
        "page_id:101": "/feeds/7/comments/default",
    }
    assert alias_paths(post) == {}  # not stored: no id to point at


@pytest.mark.parametrize(("path", "query", "alias"), [
    ("/category/garden/vegetables/feed/", {}, LabelAlias("category", "vegetables", "V", "3")),
    ("/", {"cat": "3", "feed": "rss2"}, LabelAlias("category", "vegetables", "V", "3")),
    ("/tag/frost/feed/", {}, LabelAlias("tag", "frost", "frost", "7")),
    ("/", {"tag": "frost", "feed": "rss2"}, LabelAlias("tag", "frost", "frost", "7")),
    ("/", {"tag_ID": "7", "feed": "rss2"}, LabelAlias("tag", "frost", "frost", "7")),
    ("/author/marta/feed/", {}, LabelAlias("author", "marta", "Marta")),
    ("/", {"author_name": "marta", "feed": "rss2"}, LabelAlias("author", "marta", "Marta")),
])
def test_what_a_url_asks_for_is_a_key_the_import_recorded(
    path: str, query: dict[str, str], alias: LabelAlias,
) -> None:
    wanted = wordpress_feed(path, query)
    assert wanted is not None and wanted.alias in alias_paths(alias, author="marta")


# --- a post's own old URLs ----------------------------------------------------------------


FROST = ("post:/2023/11/14/first-frost/", "post:/index.php/2023/11/14/first-frost/")


@pytest.mark.parametrize(("path", "query", "keys"), [
    # Any permalink structure the blog had: the path, with the trailing slash recorded, and
    # the same with /index.php before it (a blog with PATHINFO permalinks exported that).
    ("/2023/11/14/first-frost/", {}, FROST),
    ("/2023/11/14/first-frost", {}, FROST),
    ("/first-frost/", {}, ("post:/first-frost/", "post:/index.php/first-frost/")),
    ("/category/garden/first-frost/", {},
     ("post:/category/garden/first-frost/", "post:/index.php/category/garden/first-frost/")),
    ("/2023/11/first-frost.html", {},
     ("post:/2023/11/first-frost.html/", "post:/index.php/2023/11/first-frost.html/")),
    # Asked for behind /index.php: the same keys.
    ("/index.php/2023/11/14/first-frost/", {}, FROST),
    ("/index.php/2023/11/14/first-frost", {}, FROST),
    # The path alone decides: a campaign's tags are left out.
    ("/2023/11/14/first-frost/", {"utm_source": "x", "amp": "1"}, FROST),
    # What WordPress reads after a permalink as the same post: the post (unless a post had
    # that very path: /archives/123/ is a post of the /archives/%post_id%/ structure).
    ("/2023/11/14/first-frost/amp/", {},
     ("post:/2023/11/14/first-frost/amp/", "post:/index.php/2023/11/14/first-frost/amp/",
      *FROST)),
    ("/2023/11/14/first-frost/2/", {},
     ("post:/2023/11/14/first-frost/2/", "post:/index.php/2023/11/14/first-frost/2/",
      *FROST)),
    ("/index.php/2023/11/14/first-frost/12", {},
     ("post:/2023/11/14/first-frost/12/", "post:/index.php/2023/11/14/first-frost/12/",
      *FROST)),
    ("/2023/11/14/first-frost/embed/", {},
     ("post:/2023/11/14/first-frost/embed/", "post:/index.php/2023/11/14/first-frost/embed/",
      *FROST)),
    ("/2023/11/14/first-frost/trackback/", {},
     ("post:/2023/11/14/first-frost/trackback/",
      "post:/index.php/2023/11/14/first-frost/trackback/", *FROST)),
    ("/archives/123", {},
     ("post:/archives/123/", "post:/index.php/archives/123/",
      "post:/archives/", "post:/index.php/archives/")),
    ("/amp/", {}, ("post:/amp/", "post:/index.php/amp/")),
    ("/2/", {}, ("post:/2/", "post:/index.php/2/")),
    # The home page's query forms, /index.php's too.
    ("/", {"p": "101"}, ("p:101",)),
    ("/", {"page_id": "107"}, ("page_id:107",)),
    ("/", {"p": "101", "page": "2"}, ("p:101",)),
    ("/index.php", {"p": "101"}, ("p:101",)),
    ("/index.php/", {"page_id": "107"}, ("page_id:107",)),
    ("/", {"p": ""}, ()),
    ("/", {}, ()),
    ("/index.php", {}, ()),
    ("/", {"s": "frost"}, ()),
])
def test_each_old_post_url_names_the_keys_its_import_recorded(
    path: str, query: dict[str, str], keys: tuple[str, ...],
) -> None:
    assert wordpress_permalink(path, query) == PostLink(keys)


@pytest.mark.parametrize(("path", "query", "keys"), [
    ("/2023/11/14/first-frost/comment-page-2/", {},
     ("post:/2023/11/14/first-frost/comment-page-2/",
      "post:/index.php/2023/11/14/first-frost/comment-page-2/", *FROST)),
    ("/index.php/2023/11/14/first-frost/comment-page-10", {},
     ("post:/2023/11/14/first-frost/comment-page-10/",
      "post:/index.php/2023/11/14/first-frost/comment-page-10/", *FROST)),
    ("/2023/11/14/first-frost/", {"cpage": "2"}, FROST),
    ("/2023/11/14/first-frost/", {"replytocom": "12"}, FROST),
    ("/2023/11/14/first-frost/2/", {"replytocom": "12"},
     ("post:/2023/11/14/first-frost/2/", "post:/index.php/2023/11/14/first-frost/2/", *FROST)),
    ("/", {"p": "101", "cpage": "3"}, ("p:101",)),
    ("/", {"p": "101", "replytocom": "12"}, ("p:101",)),
])
def test_a_comment_page_or_reply_link_names_the_post_at_its_comments(
    path: str, query: dict[str, str], keys: tuple[str, ...],
) -> None:
    assert wordpress_permalink(path, query) == PostLink(keys, "#comments")


def test_a_comment_page_of_nothing_names_nothing() -> None:
    assert wordpress_permalink("/", {"cpage": "2"}) == PostLink(())
    assert wordpress_permalink("/", {"replytocom": "12"}) == PostLink(())


def test_an_old_post_url_finds_what_the_import_recorded_for_it() -> None:
    post = ImportedPost(source_id="107", entry_id="https://old.example/?page_id=107",
                        title="About", content_html="", published=None,
                        old_paths=("/about/", "?p=107", "?page_id=107"))
    recorded = alias_paths(post, 9)
    for path, query in (("/about", {}), ("/about/", {}), ("/about/amp/", {}),
                        ("/about/2/", {}), ("/about/comment-page-3/", {}),
                        ("/index.php/about/", {}), ("/index.php/about/2", {}),
                        ("/", {"p": "107"}), ("/", {"page_id": "107"}),
                        ("/index.php", {"page_id": "107"})):
        assert any(recorded.get(key) == "/feeds/9/comments/default"
                   for key in wordpress_permalink(path, query).keys), (path, query)


def test_a_pathinfo_blogs_post_is_found_with_index_php_or_without() -> None:
    post = ImportedPost(source_id="40", entry_id="https://old.example/?p=40", title="Sowing",
                        content_html="", published=None,
                        old_paths=("/index.php/2020/05/sowing/", "?p=40"))
    recorded = alias_paths(post, 9)
    for path in ("/index.php/2020/05/sowing/", "/2020/05/sowing/", "/2020/05/sowing/2/",
                 "/index.php/2020/05/sowing/comment-page-2/"):
        assert any(recorded.get(key) == "/feeds/9/comments/default"
                   for key in wordpress_permalink(path, {}).keys), path
    feed = wordpress_feed("/2020/05/sowing/feed/", {})
    assert feed is not None and any(key in recorded for key in feed.alias_keys())


@pytest.mark.parametrize(("path", "expected"), [
    ("/index.php", "/"), ("/index.php/", "/"), ("/index.php/feed/", "/feed/"),
    ("/index.php/2020/05/slug/", "/2020/05/slug/"), ("/index.phpx", "/index.phpx"),
    ("/blog/index.php/x/", "/blog/index.php/x/"), ("/", "/"),
])
def test_index_php_is_read_through_to_the_path_after_it(path: str, expected: str) -> None:
    assert without_index(path) == expected


# --- a category's, tag's or author's archive ------------------------------------------------


@pytest.mark.parametrize(("path", "query", "alias"), [
    ("/category/garden/", {}, "category:garden"),
    ("/category/garden", {}, "category:garden"),
    ("/category/garden/vegetables/", {}, "category:vegetables"),
    ("/category/garden/page/2/", {}, "category:garden"),
    ("/category/garden/vegetables/page/3", {}, "category:vegetables"),
    ("/index.php/category/garden/", {}, "category:garden"),
    ("/tag/frost/", {}, "tag:frost"),
    ("/tag/frost/page/2/", {}, "tag:frost"),
    ("/tag/page2/", {}, "tag:page2"),  # a tag named so: no page number without a tag
    ("/tag/日本/", {}, "tag:日本"),
    ("/author/marta/", {}, "author:marta"),
    ("/author/marta/page/4/", {}, "author:marta"),
    ("/", {"cat": "4"}, "cat:4"),
    ("/", {"cat": "4", "paged": "2"}, "cat:4"),
    ("/index.php", {"cat": "4"}, "cat:4"),
    ("/", {"tag": "frost"}, "tag:frost"),
    ("/", {"tag_id": "7"}, "tag_ID:7"),
    ("/", {"author": "7"}, "author_id:7"),
    ("/", {"author_name": "marta"}, "author:marta"),
    # Not a number, or several: looked up as asked, found nowhere.
    ("/", {"author": "-7"}, "author_id:-7"),
    ("/", {"cat": "abc"}, "cat:abc"),
])
def test_an_archive_url_asks_for_its_posts_feed_in_atom(
    path: str, query: dict[str, str], alias: str,
) -> None:
    assert wordpress_archive(path, query) == WordPressFeed(alias, None, ATOM)


@pytest.mark.parametrize(("path", "query"), [
    ("/", {}), ("/", {"p": "101"}), ("/", {"s": "frost"}), ("/", {"cat": ""}),
    ("/category/", {}), ("/tag/", {}), ("/author/", {}), ("/2023/11/14/first-frost/", {}),
    ("/page/2/", {}), ("/index.php", {}),
])
def test_what_is_no_archive_gives_none(path: str, query: dict[str, str]) -> None:
    assert wordpress_archive(path, query) is None


@pytest.mark.parametrize(("path", "query", "alias"), [
    ("/category/garden/vegetables/", {}, LabelAlias("category", "vegetables", "V", "3")),
    ("/", {"cat": "3"}, LabelAlias("category", "vegetables", "V", "3")),
    ("/tag/frost/", {}, LabelAlias("tag", "frost", "frost", "7")),
    ("/", {"tag_id": "7"}, LabelAlias("tag", "frost", "frost", "7")),
    ("/author/marta/", {}, LabelAlias("author", "marta", "Marta", "2")),
    ("/", {"author": "2"}, LabelAlias("author", "marta", "Marta", "2")),
])
def test_an_archive_url_asks_for_a_key_the_import_recorded(
    path: str, query: dict[str, str], alias: LabelAlias,
) -> None:
    wanted = wordpress_archive(path, query)
    author = alias.slug if alias.kind == "author" else None  # the store gives its slug
    assert wanted is not None and any(
        k in alias_paths(alias, author=author) for k in wanted.alias_keys())


def test_an_alias_target_names_its_post_back() -> None:
    assert post_id_of_target(comment_feed_path(7)) == 7
    assert post_id_of_target(comment_feed_path(4411223344556677001)) == 4411223344556677001
    for target in ("/feeds/posts/default/-/Garden", "/feeds/authors/marta/default",
                   "/feeds/comments/default", "/feeds/7/comments/default?alt=rss",
                   "/feeds/x7/comments/default", "/feeds/99999999999999999999/comments/default",
                   "tag:blog.test,2024-01-01:post-old-slug"):
        assert post_id_of_target(target) is None, target
