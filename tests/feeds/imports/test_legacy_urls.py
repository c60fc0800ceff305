"""WordPress's feed and post URLs, read as what they ask for (`wordpress_feed`,
`wordpress_permalink`), and the alias keys an import records for what it brought in
(`alias_paths`). Pure: no store, no server."""

from __future__ import annotations

import pytest

from feeds.imports.items import ImportedPost, LabelAlias
from feeds.imports.legacy_urls import (
    COMMENTS_FEED,
    SITE_FEED,
    WordPressFeed,
    alias_author,
    alias_paths,
    comment_feed_path,
    post_id_of_target,
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
    ("/", {"p": "", "feed": "rss2"}, WordPressFeed(None, SITE_FEED, RSS)),
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
    ("/index.php", {"feed": "rss2"}),
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


@pytest.mark.parametrize(("path", "query", "keys"), [
    # Any permalink structure the blog had: the path, with the trailing slash recorded.
    ("/2023/11/14/first-frost/", {}, ("post:/2023/11/14/first-frost/",)),
    ("/2023/11/14/first-frost", {}, ("post:/2023/11/14/first-frost/",)),
    ("/first-frost/", {}, ("post:/first-frost/",)),
    ("/archives/123", {}, ("post:/archives/123/",)),
    ("/category/garden/first-frost/", {}, ("post:/category/garden/first-frost/",)),
    ("/2023/11/first-frost.html", {}, ("post:/2023/11/first-frost.html/",)),
    # The path alone decides: a reply link, an AMP flag, a campaign's tags are left out.
    ("/2023/11/14/first-frost/", {"replytocom": "12", "utm_source": "x"},
     ("post:/2023/11/14/first-frost/",)),
    # The AMP plugin's page of a post: the post (unless a post had that very path).
    ("/2023/11/14/first-frost/amp/", {},
     ("post:/2023/11/14/first-frost/amp/", "post:/2023/11/14/first-frost/")),
    ("/amp/", {}, ("post:/amp/",)),
    # The home page's query forms.
    ("/", {"p": "101"}, ("p:101",)),
    ("/", {"page_id": "107"}, ("page_id:107",)),
    ("/", {"p": ""}, ()),
    ("/", {}, ()),
    ("/", {"s": "frost"}, ()),
])
def test_each_old_post_url_names_the_keys_its_import_recorded(
    path: str, query: dict[str, str], keys: tuple[str, ...],
) -> None:
    assert wordpress_permalink(path, query) == keys


def test_an_old_post_url_finds_what_the_import_recorded_for_it() -> None:
    post = ImportedPost(source_id="107", entry_id="https://old.example/?page_id=107",
                        title="About", content_html="", published=None,
                        old_paths=("/about/", "?p=107", "?page_id=107"))
    recorded = alias_paths(post, 9)
    for path, query in (("/about", {}), ("/about/", {}), ("/about/amp/", {}),
                        ("/", {"p": "107"}), ("/", {"page_id": "107"})):
        assert any(recorded.get(key) == "/feeds/9/comments/default"
                   for key in wordpress_permalink(path, query)), (path, query)


def test_an_alias_target_names_its_post_back() -> None:
    assert post_id_of_target(comment_feed_path(7)) == 7
    assert post_id_of_target(comment_feed_path(4411223344556677001)) == 4411223344556677001
    for target in ("/feeds/posts/default/-/Garden", "/feeds/authors/marta/default",
                   "/feeds/comments/default", "/feeds/7/comments/default?alt=rss",
                   "/feeds/x7/comments/default", "/feeds/99999999999999999999/comments/default",
                   "tag:blog.test,2024-01-01:post-old-slug"):
        assert post_id_of_target(target) is None, target
