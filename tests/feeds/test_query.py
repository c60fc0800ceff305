"""Stories about feed URLs: a blog moving from Blogger keeps every feed URL its readers have
subscribed to, and anything malformed a reader types is refused naming the parameter."""

from __future__ import annotations

import datetime as real_datetime
import types
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import dateutil.parser._parser as dateutil_parser
import pytest

from feeds.errors import InvalidParameterError
from feeds.feedset import is_pushed
from feeds.models import FeedFormat, FeedKey, FeedKind, FeedMode, FeedQuery, OrderBy
from feeds.query import (
    MAX_START_INDEX,
    feed_key_string,
    feed_url,
    paging_starts,
    parse_date,
    parse_feed_path,
    parse_feed_query,
    parse_feed_request,
    parse_format,
    parse_key_string,
    parse_query_date,
    slugify,
)

WARSAW = ZoneInfo("Europe/Warsaw")
BASE = "https://blog.example.org"
Q = FeedQuery(max_results=25)


def query(**params: str) -> FeedQuery:
    return parse_feed_query(params, default_max=25, cap=500, tz=WARSAW)


def request(path: str, params: dict[str, str]) -> tuple[FeedKey, FeedFormat]:
    return parse_feed_request(path, params, default_max=25, cap=500, tz=WARSAW)


# --- parse_feed_query ---------------------------------------------------------------------------


def test_a_plain_feed_url_gets_the_defaults() -> None:
    assert query() == FeedQuery(max_results=25, start_index=1, orderby=OrderBy.PUBLISHED)


def test_unknown_parameters_that_readers_add_are_ignored() -> None:
    assert query(utm_source="feedly", v="2") == query()


def test_a_reader_asking_for_more_than_the_cap_gets_the_cap() -> None:
    assert query(**{"max-results": "100000"}).max_results == 500
    assert query(**{"max-results": "500"}).max_results == 500
    assert query(**{"max-results": "7"}).max_results == 7


def test_a_start_index_past_every_page_is_refused_naming_it() -> None:
    assert query(**{"start-index": "2147483647"}).start_index == MAX_START_INDEX
    for huge in ("2147483648", "18446744073709551616", "9" * 5000):
        with pytest.raises(InvalidParameterError) as caught:
            query(**{"start-index": huge})
        assert caught.value.field == "start-index"
        assert caught.value.problem == f"must be at most {MAX_START_INDEX}"


def test_a_max_results_of_any_size_past_the_cap_is_the_cap() -> None:
    for huge in ("18446744073709551616", "9" * 5000, "0" * 5000 + "7"):
        assert query(**{"max-results": huge}).max_results == (7 if huge.endswith("07") else 500)


def test_paging_parameters_are_read() -> None:
    q = query(**{"max-results": "10", "start-index": "31"})
    assert (q.max_results, q.start_index) == (10, 31)


@pytest.mark.parametrize("name", ["max-results", "start-index"])
@pytest.mark.parametrize("bad", ["abc", "-1", "", "2.5", "1e3", "-0", "０",
                                 "１", "٣", "²", "1_0", " 7", "7 ", "-99999999999999999999"])
def test_a_bad_number_is_refused_naming_the_parameter(name: str, bad: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        query(**{name: bad})
    assert caught.value.field == name
    assert isinstance(caught.value, ValueError)


def test_a_search_is_refused_rather_than_answered_with_every_post() -> None:
    """Blogger's q= asks for the posts matching a term; syndic has no search, and ignoring
    q (as a reader's own parameters are) would answer every post as a match."""
    with pytest.raises(InvalidParameterError) as caught:
        query(q="tomatoes")
    assert caught.value.field == "q"


@pytest.mark.parametrize("zero", ["0", "000"])
def test_a_start_index_of_zero_is_refused(zero: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        query(**{"start-index": zero})
    assert caught.value.field == "start-index"


@pytest.mark.parametrize("zero", ["0", "000"])
def test_max_results_zero_asks_for_the_counts_alone_as_blogger_widgets_do(zero: str) -> None:
    """A "N posts" widget asks /feeds/posts/summary?max-results=0 and reads totalResults."""
    q = query(**{"max-results": zero})
    assert q.max_results == 0
    assert paging_starts(q.start_index, q.max_results, 120) == {}


@pytest.mark.parametrize("name", ["published-min", "published-max", "updated-min", "updated-max"])
@pytest.mark.parametrize("bad", ["abc", "2026-13-45", "yesterday-ish", ""])
def test_a_bad_date_is_refused_naming_the_parameter(name: str, bad: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        query(**{name: bad})
    assert caught.value.field == name


def test_dates_with_a_zone_are_read_as_written_and_stored_in_utc() -> None:
    q = query(**{
        "published-min": "2026-07-01T10:00:00+05:30",
        "published-max": "2026-07-02T00:00:00Z",
        "updated-min": "2026-07-01T10:00:00-04:00",
    })
    assert q.published_min == datetime(2026, 7, 1, 4, 30, tzinfo=UTC)
    assert q.published_max == datetime(2026, 7, 2, tzinfo=UTC)
    assert q.updated_min == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
    assert q.updated_max is None
    assert q.published_min is not None and q.published_min.utcoffset() == timedelta(0)


def test_dates_without_a_zone_take_the_sites_zone() -> None:
    summer = query(**{"published-min": "2026-07-01T10:00:00"}).published_min
    winter = query(**{"published-max": "2026-01-15"}).published_max
    assert summer == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # Warsaw is +02:00 in July
    assert winter == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)  # and +01:00 in January


@pytest.mark.parametrize("name", ["published-min", "published-max", "updated-min", "updated-max"])
@pytest.mark.parametrize(("value", "tz", "problem"), [
    ("9999-12-31T23:59:59-05:00", UTC, "date out of range"),  # the year 10000 in UTC
    ("0001-01-01T00:00:00+01:00", UTC, "date out of range"),  # the year 0 in UTC
    ("0001-01-01T05:00:00", ZoneInfo("Asia/Tokyo"), "date out of range"),
    ("2026-12-07T10:00:00+25:00", UTC, "a UTC offset must be less than 24 hours"),
    ("2026-12-07T10:00:00 24:00", UTC, "a UTC offset must be less than 24 hours"),
    ("2026-12-07T10:00:00-2400", UTC, "a UTC offset must be less than 24 hours"),
])
def test_a_date_off_the_calendar_in_utc_is_refused_naming_the_parameter(
    name: str, value: str, tz: tzinfo, problem: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_feed_query({name: value}, default_max=25, cap=500, tz=tz)
    assert caught.value.field == name
    assert caught.value.problem == f"{problem}: {value!r}"


def test_the_edges_of_the_calendar_are_ordinary_bounds() -> None:
    q = query(**{"published-min": "0001-01-01T00:00:00Z",
                 "updated-max": "9999-12-31T18:59:59.999999-05:00"})
    assert q.published_min == datetime.min.replace(tzinfo=UTC)
    assert q.updated_max == datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize(("written", "meant"), [
    ("2026-11-17T00:00:00 05:00", "2026-11-17T00:00:00+05:00"),
    ("2026-11-17T00:00:00.250 0530", "2026-11-17T00:00:00.250+05:30"),
    ("2026-11-17T00:00 09", "2026-11-17T00:00+09:00"),
    ("2026-11-17 00:00:00 01:00", "2026-11-17T00:00:00+01:00"),
])
def test_an_offset_whose_plus_query_decoding_made_a_space_is_that_offset(
    written: str, meant: str
) -> None:
    # An unescaped '+' in a query is a space once decoded (application/x-www-form-urlencoded).
    for name in ("published-min", "updated-max"):
        assert parse_query_date(written, name, WARSAW) == parse_query_date(meant, name, WARSAW)


def test_a_space_between_date_and_time_is_no_offset() -> None:
    assert query(**{"published-min": "2026-11-17 05:00"}).published_min == datetime(
        2026, 11, 17, 4, 0, tzinfo=UTC)  # 05:00 in Warsaw


@pytest.mark.parametrize("value", ["2026-01-01 10:00 EST", "2026-01-01T10:00:00 UTC+2",
                                   "March 2026", "10:00", "5", "Mon, 05 Jan 2026 10:00:00 GMT"])
def test_a_feed_date_in_no_iso_8601_form_is_refused_not_guessed(value: str) -> None:
    # dateutil's lenient reading takes EST as nothing and UTC+2 as -02:00: other posts.
    with pytest.raises(InvalidParameterError) as caught:
        query(**{"published-max": value})
    assert caught.value.field == "published-max"
    assert "RFC 3339" in caught.value.problem


@pytest.mark.parametrize("value", ["2026-12-07T10:00:00+25:00", "9999-12-31T23:59:59-05:00"])
def test_any_date_past_what_utc_can_hold_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_date(value, "publish_at", UTC)
    assert caught.value.field == "publish_at"


def test_the_zone_of_naive_dates_is_the_one_given() -> None:
    tokyo = parse_feed_query(
        {"updated-max": "2026-03-01T09:00:00"}, default_max=25, cap=500, tz=ZoneInfo("Asia/Tokyo")
    )
    assert tokyo.updated_max == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def _wall_clock(monkeypatch: pytest.MonkeyPatch, today: datetime) -> None:
    """Make dateutil's parser believe it is `today` (it reads the clock to fill gaps)."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:
            return cls(today.year, today.month, today.day, tzinfo=tz)

    fake = types.ModuleType("datetime")
    fake.__dict__.update(vars(real_datetime))
    fake.datetime = Frozen  # type: ignore[attr-defined]
    monkeypatch.setattr(dateutil_parser, "datetime", fake)


@pytest.mark.parametrize("partial", ["March 2026", "10:00", "5"])
def test_a_partial_date_means_the_same_whatever_day_it_is(
    partial: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings: list[datetime | None] = []
    for today in (datetime(2031, 2, 3), datetime(2032, 9, 20)):
        _wall_clock(monkeypatch, today)
        try:
            readings.append(parse_date(partial, "published-min", UTC))
        except InvalidParameterError:
            readings.append(None)  # refusing it is fine too
    assert readings[0] == readings[1]


def test_parse_date_returns_aware_utc() -> None:
    moment = parse_date("2026-11-24T12:00:00+01:00", "published-min", timezone.utc)
    assert moment == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("published", OrderBy.PUBLISHED),
        ("updated", OrderBy.UPDATED),
        ("lastmodified", OrderBy.UPDATED),  # Blogger's names
        ("starttime", OrderBy.PUBLISHED),
    ],
)
def test_blogger_orderby_values_are_understood(raw: str, expected: OrderBy) -> None:
    assert query(orderby=raw).orderby is expected


@pytest.mark.parametrize("bad", ["relevance", "", "PUBLISHED-DESC"])
def test_an_unknown_orderby_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        query(orderby=bad)
    assert caught.value.field == "orderby"


@pytest.mark.parametrize(
    ("alt", "fmt"),
    [("atom", FeedFormat.ATOM), ("rss", FeedFormat.RSS), ("json", FeedFormat.JSON),
     ("RSS", FeedFormat.RSS)],
)
def test_alt_picks_the_format(alt: str, fmt: FeedFormat) -> None:
    assert parse_format({"alt": alt}) is fmt


def test_atom_is_the_default_format() -> None:
    assert parse_format({}) is FeedFormat.ATOM


@pytest.mark.parametrize("bad", ["xml", "json-in-script", ""])
def test_an_unknown_alt_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_format({"alt": bad})
    assert caught.value.field == "alt"


# --- parse_feed_path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/feeds/posts/default", FeedKey(FeedKind.POSTS, Q)),
        ("/feeds/posts/full", FeedKey(FeedKind.POSTS, Q, FeedMode.FULL)),
        ("/feeds/posts/summary", FeedKey(FeedKind.POSTS, Q, FeedMode.SUMMARY)),
        ("/feeds/posts/default/", FeedKey(FeedKind.POSTS, Q)),
        ("/feeds/posts/default/-/garden", FeedKey(FeedKind.LABEL, Q, labels=("garden",))),
        ("/feeds/posts/summary/-/garden",
         FeedKey(FeedKind.LABEL, Q, FeedMode.SUMMARY, labels=("garden",))),
        ("/feeds/posts/default/-/garden/winter",
         FeedKey(FeedKind.LABEL, Q, labels=("garden", "winter"))),
        ("/feeds/posts/default/-/web%20publishing",
         FeedKey(FeedKind.LABEL, Q, labels=("web publishing",))),
        ("/feeds/posts/default/-/caf%C3%A9/%E6%97%85%E8%A1%8C",
         FeedKey(FeedKind.LABEL, Q, labels=("café", "旅行"))),
        ("/feeds/posts/default/-/a%2Fb", FeedKey(FeedKind.LABEL, Q, labels=("a/b",))),
        ("/feeds/comments/default", FeedKey(FeedKind.COMMENTS, Q)),
        ("/feeds/comments/full", FeedKey(FeedKind.COMMENTS, Q, FeedMode.FULL)),
        ("/feeds/pages/default", FeedKey(FeedKind.PAGES, Q)),
        ("/feeds/pages/summary", FeedKey(FeedKind.PAGES, Q, FeedMode.SUMMARY)),
        ("/feeds/123/comments/default", FeedKey(FeedKind.POST_COMMENTS, Q, post_id=123)),
        ("/feeds/123/comments/summary",
         FeedKey(FeedKind.POST_COMMENTS, Q, FeedMode.SUMMARY, post_id=123)),
        ("/feeds/authors/zoe/default", FeedKey(FeedKind.AUTHOR, Q, author="zoe")),
        ("/feeds/authors/kenji-%E7%94%B0%E4%B8%AD/full",
         FeedKey(FeedKind.AUTHOR, Q, FeedMode.FULL, author="kenji-田中")),
    ],
)
def test_every_blogger_feed_url_shape_is_understood(path: str, expected: FeedKey) -> None:
    assert parse_feed_path(path, Q) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/feeds",
        "/feeds/posts",
        "/atom.xml",
        "/feeds/pages/default/-/about",
        "/feeds/posts/default/garden",
        "/feeds/posts/default/-",
        "/feeds/posts/default/-/",
        "/feeds/posts/default/-/a//b",
        "/feeds/comments/default/-/garden",
        "/feeds/abc/comments/default",
        "/feeds/123/posts/default",
        "/feeds/authors/default",
        "/feeds/authors/zoe/default/extra",
        "/blog/feeds/posts/default",
    ],
)
def test_an_unknown_url_shape_is_not_found(path: str) -> None:
    with pytest.raises(LookupError):
        parse_feed_path(path, Q)


def test_a_blogger_post_id_of_nineteen_digits_names_its_comment_feed() -> None:
    key = parse_feed_path("/feeds/7412345678901234567/comments/default", Q)
    assert key.post_id == 7412345678901234567


@pytest.mark.parametrize("path", [
    "/feeds/9223372036854775808/comments/default",  # 2**63: no store holds that id
    "/feeds/" + "1" * 5000 + "/comments/default",
    "/feeds/%EF%BC%91/comments/default",  # fullwidth 1
    "/feeds/%C2%B2/comments/default",  # superscript 2: isdigit(), yet int() refuses it
    "/feeds/0/comments/default",
    "/feeds/posts/default/-/cook%00ing",
    "/feeds/posts/default/-/feeds/at%0Bom",
    "/feeds/authors/zoe%00/default",
])
def test_a_post_id_or_name_that_nothing_can_have_is_no_feed(path: str) -> None:
    # No label or author holds a character XML forbids (PostgreSQL's text takes no NUL).
    with pytest.raises(LookupError):
        parse_feed_path(path, Q)


def test_an_unknown_projection_is_a_bad_parameter() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_feed_path("/feeds/posts/everything", Q)
    assert caught.value.field == "projection"


def test_the_query_travels_with_the_key() -> None:
    q = FeedQuery(max_results=7, start_index=15, orderby=OrderBy.UPDATED)
    assert parse_feed_path("/feeds/posts/default/-/garden", q).query == q


@pytest.mark.parametrize(("alias", "fmt"), [("/feed.atom", FeedFormat.ATOM),
                                           ("/feed.rss", FeedFormat.RSS),
                                           ("/feed.json", FeedFormat.JSON)])
def test_a_short_alias_is_the_site_feed_with_the_same_query(alias: str, fmt: FeedFormat) -> None:
    params = {"max-results": "2", "orderby": "updated", "published-min": "2026-01-01"}
    assert request(alias, params) == (request("/feeds/posts/default", params)[0], fmt)
    assert request(alias, {**params, "alt": fmt.value})[1] is fmt
    with pytest.raises(InvalidParameterError) as caught:
        request(alias, {"max-results": "abc"})
    assert caught.value.field == "max-results"


def test_a_short_alias_asked_for_another_format_is_refused_naming_alt() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        request("/feed.atom", {"alt": "rss"})
    assert caught.value.field == "alt"
    assert "/feeds/posts/default?alt=rss" in caught.value.problem


# --- canonical key strings ----------------------------------------------------------------------

ROUND_TRIP = [
    FeedKey(FeedKind.POSTS, Q),
    FeedKey(FeedKind.POSTS, Q, FeedMode.SUMMARY),
    FeedKey(FeedKind.LABEL, Q, labels=("web publishing", "café", "旅行")),
    FeedKey(FeedKind.LABEL, Q, FeedMode.FULL, labels=("a/b", "50%", "c&d=e?")),
    FeedKey(FeedKind.AUTHOR, Q, author="kenji-田中"),
    FeedKey(FeedKind.COMMENTS, Q),
    FeedKey(FeedKind.POST_COMMENTS, Q, FeedMode.SUMMARY, post_id=42),
    FeedKey(
        FeedKind.POSTS,
        FeedQuery(
            max_results=7,
            start_index=15,
            published_min=datetime(2026, 1, 1, tzinfo=UTC),
            published_max=datetime(2026, 6, 30, 23, 59, 59, 123456, tzinfo=UTC),
            updated_min=datetime(2026, 2, 1, 12, 30, tzinfo=UTC),
            updated_max=datetime(2026, 12, 31, tzinfo=UTC),
            orderby=OrderBy.UPDATED,
        ),
        FeedMode.FULL,
    ),
]


@pytest.mark.parametrize("key", ROUND_TRIP, ids=lambda k: feed_key_string(k, 25))
def test_a_key_string_reads_back_as_the_same_key(key: FeedKey) -> None:
    string = feed_key_string(key, 25)
    assert parse_key_string(string, 25, 500) == key
    assert feed_key_string(parse_key_string(string, 25, 500), 25) == string


def test_key_strings_are_canonical_and_leave_out_defaults() -> None:
    assert feed_key_string(FeedKey(FeedKind.POSTS, Q), 25) == "/feeds/posts/default"
    label = FeedKey(FeedKind.LABEL, Q, labels=("web publishing", "café"))
    assert feed_key_string(label, 25) == "/feeds/posts/default/-/web%20publishing/caf%C3%A9"
    paged = FeedKey(FeedKind.POSTS, FeedQuery(max_results=7, start_index=15))
    assert feed_key_string(paged, 25) == "/feeds/posts/default?max-results=7&start-index=15"


def test_the_same_query_written_two_ways_is_one_key() -> None:
    a = query(**{"start-index": "15", "max-results": "7", "orderby": "lastmodified"})
    b = query(**{"orderby": "updated", "max-results": "07", "start-index": "15"})
    path = "/feeds/posts/default/-/garden"
    assert feed_key_string(parse_feed_path(path, a), 25) == feed_key_string(
        parse_feed_path(path, b), 25
    )


# --- feed_url -----------------------------------------------------------------------------------


def test_feed_url_adds_alt_for_rss_and_json_only() -> None:
    key = FeedKey(FeedKind.LABEL, Q, labels=("web publishing",))
    path = BASE + "/feeds/posts/default/-/web%20publishing"
    assert feed_url(BASE, key, FeedFormat.ATOM, 25) == path
    assert feed_url(BASE, key, FeedFormat.RSS, 25) == path + "?alt=rss"
    assert feed_url(BASE, key, FeedFormat.JSON, 25) == path + "?alt=json"


def test_feed_url_of_another_page_keeps_the_rest_of_the_query() -> None:
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=10, orderby=OrderBy.UPDATED))
    assert feed_url(BASE, key, FeedFormat.ATOM, 25, start_index=21) == (
        BASE + "/feeds/posts/default?orderby=updated&max-results=10&start-index=21"
    )
    assert feed_url(BASE, key, FeedFormat.RSS, 25, start_index=1) == (
        BASE + "/feeds/posts/default?orderby=updated&max-results=10&alt=rss"
    )


def test_a_feed_url_parses_back_to_its_key() -> None:
    from urllib.parse import parse_qsl, urlsplit

    key = FeedKey(FeedKind.AUTHOR, FeedQuery(max_results=5, start_index=6), author="zoë")
    url = urlsplit(feed_url(BASE, key, FeedFormat.JSON, 25))
    params = dict(parse_qsl(url.query))
    assert parse_format(params) is FeedFormat.JSON
    q = parse_feed_query(params, default_max=25, cap=500, tz=UTC)
    assert parse_feed_path(url.path, q) == key


# --- RFC 5005 paging ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "per_page", "total", "expected"),
    [
        (1, 25, 0, {"first": 1, "last": 1}),  # an empty feed is one (empty) page
        (1, 25, 1, {"first": 1, "last": 1}),
        (1, 25, 25, {"first": 1, "last": 1}),
        (1, 25, 26, {"first": 1, "last": 26, "next": 26}),
        (1, 25, 100, {"first": 1, "last": 76, "next": 26}),
        (26, 25, 100, {"first": 1, "last": 76, "previous": 1, "next": 51}),
        (51, 25, 100, {"first": 1, "last": 76, "previous": 26, "next": 76}),
        (76, 25, 100, {"first": 1, "last": 76, "previous": 51}),
        (10, 25, 100, {"first": 1, "last": 76, "previous": 1, "next": 35}),
        (500, 25, 100, {"first": 1, "last": 76, "previous": 475}),
    ],
)
def test_paging_links_for_first_middle_last_and_empty_pages(
    start: int, per_page: int, total: int, expected: dict[str, int]
) -> None:
    assert paging_starts(start, per_page, total) == expected


# --- slugify ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Zoë Ångström", "zoe-angstrom"),
        ("Kenji 田中", "kenji-田中"),
        ("Ryszard Łukasiewicz", "ryszard-łukasiewicz"),  # Ł has no NFKD decomposition
        ("  Why we still publish feeds!  ", "why-we-still-publish-feeds"),
        ("“Curly” quotes — and dashes", "curly-quotes-and-dashes"),
        ("ＦＵＬＬ width", "full-width"),
        ("!!!", "x"),
        # Marks of other scripts are part of the word: パン (bread) must not become ハン.
        ("パンの焼き方", "パンの焼き方"),
        ("Καλημέρα", "καλημέρα"),
    ],
)
def test_names_become_slugs_people_can_type(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_a_post_id_under_a_projection_is_that_post_alone_as_on_blogger() -> None:
    """/feeds/posts/default/POSTID: one post (a featured-post widget's URL); never pushed."""
    key = parse_feed_path("/feeds/posts/summary/7423180123", Q)
    assert key == FeedKey(FeedKind.ENTRY, Q, FeedMode.SUMMARY, post_id=7423180123)
    assert feed_key_string(key, 25) == "/feeds/posts/summary/7423180123"
    assert not is_pushed(key)
    for not_an_id in ("/feeds/posts/default/x", "/feeds/posts/default/0",
                      "/feeds/posts/default/" + "9" * 20):
        with pytest.raises(LookupError):
            parse_feed_path(not_an_id, Q)
