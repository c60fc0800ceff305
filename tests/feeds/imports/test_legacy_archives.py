"""The old blog's lists of posts read as what they ask for: a date archive as a span of days
in the blog's zone and the feed of that span (`wordpress_date`, `blogger_date`,
`date_feed`), the home page's page N, a search, Blogger's label pages and "Older posts"
(`blogger_list`); and the anchor an imported comment had on the old blog
(`old_comment_anchor`). Pure: no store, no server."""

from __future__ import annotations

from datetime import UTC, date
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from feeds.errors import InvalidParameterError
from feeds.imports.legacy_archives import (
    DateSpan,
    blogger_date,
    blogger_list,
    date_feed,
    wordpress_date,
    wordpress_home_page,
    wordpress_search,
)
from feeds.imports.legacy_urls import old_comment_anchor
from feeds.models import FeedFormat
from feeds.query import parse_feed_request

LA = ZoneInfo("America/Los_Angeles")
KATHMANDU = ZoneInfo("Asia/Kathmandu")


@pytest.mark.parametrize(("path", "query", "span"), [
    ("/2023/", {}, DateSpan(2023)),
    ("/2023", {}, DateSpan(2023)),
    ("/2023/05/", {}, DateSpan(2023, 5)),
    ("/2023/5/", {}, DateSpan(2023, 5)),
    ("/2023/05", {}, DateSpan(2023, 5)),
    ("/2023/05/14/", {}, DateSpan(2023, 5, 14)),
    ("/2023/05/page/2/", {}, DateSpan(2023, 5)),
    ("/2023/05/14/page2/", {}, DateSpan(2023, 5, 14)),
    ("/2023/page/3", {}, DateSpan(2023)),
    ("/index.php/2023/05/", {}, DateSpan(2023, 5)),
    ("/2023/05/", {"m": "1"}, DateSpan(2023, 5)),  # Blogger's mobile view: still May
    ("/", {"m": "2023"}, DateSpan(2023)),
    ("/", {"m": "202305"}, DateSpan(2023, 5)),
    ("/", {"m": "20230514"}, DateSpan(2023, 5, 14)),
    ("/", {"m": "20230514103000"}, DateSpan(2023, 5, 14)),  # an hour's: its day
    ("/", {"m": "202305", "paged": "3"}, DateSpan(2023, 5)),
    ("/index.php", {"m": "202305"}, DateSpan(2023, 5)),
    ("/", {"year": "2023"}, DateSpan(2023)),
    ("/", {"year": "2023", "monthnum": "5"}, DateSpan(2023, 5)),
    ("/", {"year": "2023", "monthnum": "05", "day": "14"}, DateSpan(2023, 5, 14)),
    # Date-shaped, naming no date: a span no feed has (a 404).
    ("/2023/13/", {}, DateSpan(2023, 13)),
    ("/", {"m": "202313"}, DateSpan(2023, 13)),
    ("/", {"monthnum": "5"}, DateSpan(0)),
    ("/", {"year": "2023", "day": "14"}, DateSpan(0)),
    ("/", {"year": "twenty"}, DateSpan(0)),
])
def test_a_wordpress_date_archive_is_a_span_of_days(
    path: str, query: dict[str, str], span: DateSpan,
) -> None:
    assert wordpress_date(path, query) == span


@pytest.mark.parametrize(("path", "query"), [
    ("/", {}), ("/", {"m": "1"}), ("/", {"m": "0"}), ("/", {"m": "2023-05"}),
    ("/", {"w": "20"}), ("/", {"p": "101"}), ("/2023/05/14/first-frost/", {}),
    ("/2023/05/first-frost.html", {}), ("/20230/", {}), ("/2023/123/", {}),
    ("/category/2023/", {}), ("/page/2/", {}),
])
def test_what_is_no_date_archive_gives_none(path: str, query: dict[str, str]) -> None:
    assert wordpress_date(path, query) is None


@pytest.mark.parametrize(("path", "span"), [
    ("/2023/", DateSpan(2023)), ("/2023", DateSpan(2023)), ("/2023/05/", DateSpan(2023, 5)),
    ("/2023/05/14/", DateSpan(2023, 5, 14)), ("/2023/13/", DateSpan(2023, 13)),
    ("/2023/5/", None), ("/2023/05/page/2/", None), ("/2023/05/x.html", None),
])
def test_bloggers_archive_pages_are_years_months_and_days(path: str, span: DateSpan | None,
                                                          ) -> None:
    assert blogger_date(path) == span


@pytest.mark.parametrize(("path", "span", "days"), [
    # Monthly archives (Blogger's default) are named by the month's first day.
    ("/2007_03_01_archive.html", DateSpan(2007, 3), (date(2007, 3, 1), date(2007, 4, 1))),
    # Weekly archives begin on Sundays: 4 March 2007 was one.
    ("/2007_03_04_archive.html", DateSpan(2007, 3, 4, week=True),
     (date(2007, 3, 4), date(2007, 3, 11))),
    # Any other day is a daily archive's.
    ("/2007_03_06_archive.html", DateSpan(2007, 3, 6), (date(2007, 3, 6), date(2007, 3, 7))),
    ("/2007_02_30_archive.html", DateSpan(2007, 2, 30), None),  # no such day: a 404
    ("/2007_3_1_archive.html", None, None),
])
def test_classic_bloggers_archive_pages_are_a_month_a_week_or_a_day(
    path: str, span: DateSpan | None, days: tuple[date, date] | None,
) -> None:
    """/2007_03_01_archive.html: the first day of the span, as the blog's archive frequency
    (which the export does not keep) made it."""
    found = blogger_date(path)
    assert found == span
    assert (found.days() if found else None) == days


def _params(feed: str | None) -> dict[str, str]:
    assert feed is not None
    assert urlsplit(feed).path == "/feeds/posts/default"
    return dict(parse_qsl(urlsplit(feed).query))


@pytest.mark.parametrize(("span", "tz", "first", "after"), [
    (DateSpan(2023, 5), LA, "2023-05-01T00:00:00-07:00", "2023-06-01T00:00:00-07:00"),
    # Summer time begins within the year: each end at its own local midnight.
    (DateSpan(2023), LA, "2023-01-01T00:00:00-08:00", "2024-01-01T00:00:00-08:00"),
    (DateSpan(2023, 12), KATHMANDU, "2023-12-01T00:00:00+05:45", "2024-01-01T00:00:00+05:45"),
    (DateSpan(2024, 2, 29), UTC, "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"),
    (DateSpan(2023, 3, 12), LA, "2023-03-12T00:00:00-08:00", "2023-03-13T00:00:00-07:00"),
])
def test_a_span_is_the_site_feed_from_its_first_local_midnight_to_the_next_spans(
    span: DateSpan, tz: ZoneInfo, first: str, after: str,
) -> None:
    assert _params(date_feed(span, tz)) == {"published-min": first, "published-max": after}


def test_the_span_feed_reads_back_as_those_instants() -> None:
    feed = date_feed(DateSpan(2023, 5), KATHMANDU, FeedFormat.RSS)
    assert feed is not None and "%2B05:45" in feed  # the offset's + escaped, colons kept
    parts = urlsplit(feed)
    key, fmt = parse_feed_request(parts.path, dict(parse_qsl(parts.query)), default_max=25,
                                  cap=500, tz=UTC)
    assert fmt is FeedFormat.RSS
    assert key.query.published_min is not None and key.query.published_max is not None
    assert key.query.published_min.isoformat() == "2023-04-30T18:15:00+00:00"
    assert key.query.published_max.isoformat() == "2023-05-31T18:15:00+00:00"


@pytest.mark.parametrize("span", [
    DateSpan(2023, 13), DateSpan(2023, 0), DateSpan(2023, 2, 30), DateSpan(2023, 4, 31),
    DateSpan(0), DateSpan(9999), DateSpan(9999, 12), DateSpan(9999, 12, 31),
])
def test_a_span_that_is_no_date_has_no_feed(span: DateSpan) -> None:
    assert date_feed(span, LA) is None


def test_the_first_day_past_what_utc_holds_has_no_feed() -> None:
    assert date_feed(DateSpan(1, 1, 1), KATHMANDU) is None  # 0000-12-31 in UTC
    assert date_feed(DateSpan(1, 1, 1), LA) is not None


@pytest.mark.parametrize(("path", "query", "is_page"), [
    ("/page/2/", {}, True), ("/page/2", {}, True), ("/page2/", {}, True),
    ("/index.php/page/3/", {}, True), ("/", {"paged": "2"}, True),
    ("/index.php", {"paged": "2"}, True), ("/", {"paged": "x"}, False), ("/", {}, False),
    ("/page/", {}, False), ("/pages/2/", {}, False),
])
def test_the_home_pages_page_n(path: str, query: dict[str, str], is_page: bool) -> None:
    assert wordpress_home_page(path, query) is is_page


@pytest.mark.parametrize(("path", "query", "is_search"), [
    ("/", {"s": "frost"}, True), ("/", {"s": ""}, True), ("/index.php", {"s": "x"}, True),
    ("/search/frost/", {}, True), ("/search/frost/page/2/", {}, True),
    ("/search/", {}, False), ("/", {"q": "x"}, False), ("/research/x/", {}, False),
])
def test_a_wordpress_search(path: str, query: dict[str, str], is_search: bool) -> None:
    assert wordpress_search(path, query) is is_search


@pytest.mark.parametrize(("path", "query", "feed"), [
    ("/search/label/Travel", {}, "/feeds/posts/default/-/Travel"),
    ("/search/label/Travel/", {"m": "1"}, "/feeds/posts/default/-/Travel"),
    ("/search/label/Road Trips", {}, "/feeds/posts/default/-/Road%20Trips"),
    ("/search/label/Café", {}, "/feeds/posts/default/-/Caf%C3%A9"),
    ("/search/label/Travel", {"updated-max": "2023-05-20T10:00:00-07:00", "max-results": "20",
                              "start": "20", "by-date": "false"},
     "/feeds/posts/default/-/Travel?published-max=2023-05-20T17:00:00Z&max-results=20"),
    ("/search/label/Travel", {"max-results": "20", "start": "20", "by-date": "false"},
     "/feeds/posts/default/-/Travel?max-results=20&start-index=21"),
    ("/search", {}, "/feeds/posts/default"),
    ("/search", {"updated-max": "2023-05-20T10:00:00 05:30", "max-results": "7"},
     "/feeds/posts/default?published-max=2023-05-20T04:30:00Z&max-results=7"),
    ("/search", {"updated-max": "2023-05-20T10:00:00", "max-results": "0"},
     "/feeds/posts/default?published-max=2023-05-20T17:00:00Z"),
    ("/search", {"updated-min": "2023-05-20T10:00:00-07:00", "reverse-paginate": "true"},
     "/feeds/posts/default?published-min=2023-05-20T17:00:00Z"),
    ("/search", {"max-results": "x", "start": "-3"}, "/feeds/posts/default"),
])
def test_bloggers_list_pages_lead_to_the_feed_of_the_same_posts(
    path: str, query: dict[str, str], feed: str,
) -> None:
    assert blogger_list(path, query, LA) == feed


@pytest.mark.parametrize(("path", "query"), [
    ("/search", {"q": "momo"}), ("/search/label/Travel", {"q": "x"}), ("/search/label/", {}),
    ("/search/label/a/b", {}), ("/search/frost/", {}), ("/searchx", {}),
])
def test_a_search_or_no_list_page_is_none(path: str, query: dict[str, str]) -> None:
    assert blogger_list(path, query, LA) is None


def test_an_older_posts_date_that_is_no_date_is_refused_naming_it() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        blogger_list("/search", {"updated-max": "last Tuesday"}, LA)
    assert caught.value.field == "updated-max"


@pytest.mark.parametrize(("post", "comment", "anchor"), [
    ("https://old.example/?p=101", "https://old.example/?p=101#comment-12", "comment-12"),
    ("tag:blogger.com,1999:blog-70.post-44", "tag:blogger.com,1999:blog-70.post-66", "c66"),
    # Made here, or another post's: none.
    ("tag:blog.test,2026-01-01:x", "tag:blog.test,2026-01-02:comment-5-1", None),
    ("https://old.example/?p=101", "https://old.example/?p=102#comment-12", None),
    ("https://old.example/?p=101", "https://old.example/?p=101#comment-x", None),
    ("https://old.example/?p=101", "https://old.example/?p=101#comment-", None),
])
def test_an_imported_comment_keeps_the_anchor_the_old_blog_gave_it(
    post: str, comment: str, anchor: str | None,
) -> None:
    assert old_comment_anchor(post, comment) == anchor
