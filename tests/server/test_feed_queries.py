"""A reader's feed URL with odd values in it, over real HTTP on loopback: what a reader writes
is read as meant or refused with a 400 naming the parameter, on every feed route and on both
paths (aiohttp's and the fast path); never a dropped connection, a 500 or a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from tests.server.api_conftest import Api, until
from tests.server.conftest import Client
from tests.server.test_feeds_http import TYPES, _with_alt

ROUTES = [
    "/feeds/posts/default",
    "/feeds/posts/summary/-/cooking",
    "/feeds/posts/default/-/feeds/atom",
    "/feeds/authors/zoe-angstrom/default",
    "/feeds/comments/default",
    "/feeds/1/comments/default",
    "/feed.atom",
    "/feed.json",
]
DATES = ["published-min", "published-max", "updated-min", "updated-max"]
EVERY_ROUTE_AND_DATE = [(route, DATES[i % len(DATES)]) for i, route in enumerate(ROUTES)]
"""Each route once, each date parameter at least once."""


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The story ends with nothing at ERROR in the log, and no traceback at any level."""
    with caplog.at_level(logging.INFO):
        yield
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not failures, [r.getMessage() for r in failures]


async def problem_of(demo: Client, url: str) -> dict[str, object]:
    resp = await demo.get(url)
    body = await resp.read()
    assert resp.status == 400, (url, resp.status, body[:300])
    assert resp.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, object] = json.loads(body)
    return problem


async def items(demo: Client, url: str) -> list[str]:
    resp = await demo.get(_with_alt(url, "json"))
    assert resp.status == 200, (url, await resp.text())
    return [item["id"] for item in json.loads(await resp.read())["items"]]


# -- dates that leave the calendar when converted to UTC -----------------------------------------


@pytest.mark.parametrize("route, name", EVERY_ROUTE_AND_DATE)
@pytest.mark.parametrize("value, problem", [
    ("9999-12-31T23:59:59-05:00", "out of range"),  # in the year 10000 in UTC
    ("0001-01-01T00:00:00%2B01:00", "out of range"),  # in the year 0 in UTC
    ("2026-12-07T10:00:00%2B25:00", "less than 24 hours"),
    ("2026-12-07T10:00:00-24:00", "less than 24 hours"),
])
async def test_a_date_off_the_calendar_in_utc_is_a_400_naming_the_parameter(
    demo: Client, no_tracebacks: None, route: str, name: str, value: str, problem: str,
) -> None:
    found = await problem_of(demo, f"{route}?{name}={value}")
    assert found["field"] == name
    assert name in str(found["detail"]) and problem in str(found["detail"])


async def test_the_first_and_last_moments_utc_can_hold_are_ordinary_bounds(
    demo: Client, no_tracebacks: None,
) -> None:
    everything = await items(demo, "/feeds/posts/default?max-results=500")
    wide = ("/feeds/posts/default?max-results=500&published-min=0001-01-01T00:00:00Z"
            "&published-max=9999-12-31T23:59:59.999999Z&updated-min=0001-01-01"
            "&updated-max=9999-12-31T18:59:59-05:00")
    assert await items(demo, wide) == everything


# -- a '+' written unescaped in a date's offset, and dates in other forms ------------------------


@pytest.mark.parametrize("route", ["/feeds/posts/default", "/feeds/posts/summary/-/feeds"])
async def test_an_offset_written_with_a_plain_plus_means_that_offset(
    demo: Client, no_tracebacks: None, route: str,
) -> None:
    # "JSON Feed in an afternoon" was published at 2025-06-07T10:00:00+09:00 exactly. Query
    # decoding makes the '+' a space; read otherwise, the window moved by hours and lost it.
    window = "published-min=2025-06-07T10:00:00{0}09:00&published-max=2025-06-07T10:00:01{0}09:00"
    escaped = await items(demo, f"{route}?{window.format('%2B')}")
    assert len(escaped) == 1
    assert await items(demo, f"{route}?{window.format('+')}") == escaped
    assert await items(demo, f"{route}?{window.format('%20')}") == escaped
    updated = await items(demo, f"{route}?updated-max=2025-06-07T10:00:00+0900&max-results=500")
    assert updated == await items(demo, f"{route}?updated-max=2025-06-07T01:00:00Z&max-results=500")


@pytest.mark.parametrize("value", ["2026-01-01 10:00 EST", "2026-01-01T10:00:00 UTC%2B2",
                                   "November 2026", "10:00"])
async def test_a_date_in_no_rfc_3339_form_is_refused_not_guessed(
    demo: Client, no_tracebacks: None, value: str,
) -> None:
    found = await problem_of(demo, f"/feeds/posts/default?published-min={value}")
    assert found["field"] == "published-min"
    assert "RFC 3339" in str(found["detail"])


# -- numbers and names no feed can have ----------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("value", ["18446744073709551616", "2147483648"])
async def test_a_start_index_past_any_page_is_a_400_naming_it(
    demo: Client, no_tracebacks: None, route: str, value: str,
) -> None:
    found = await problem_of(demo, f"{route}?start-index={value}")
    assert found["field"] == "start-index"
    assert "at most 2147483647" in str(found["detail"])


async def test_the_largest_start_index_is_an_empty_page_and_no_larger_is_read(
    demo: Client, no_tracebacks: None,
) -> None:
    assert await items(demo, "/feeds/posts/default?start-index=2147483647") == []
    for value in ("99999999999999999999999999", "1" * 5000):
        found = await problem_of(demo, f"/feeds/comments/default?alt=json&start-index={value}")
        assert found["field"] == "start-index"


@pytest.mark.parametrize("value", ["18446744073709551616", "9" * 5000])
async def test_a_huge_max_results_is_capped_like_any_other_over_the_cap(
    demo: Client, no_tracebacks: None, value: str,
) -> None:
    resp = await demo.get(f"/feeds/posts/default?max-results={value}")
    assert resp.status == 200
    assert "<openSearch:itemsPerPage>500</openSearch:itemsPerPage>" in await resp.text()


@pytest.mark.parametrize("name", ["max-results", "start-index"])
@pytest.mark.parametrize("value", ["%EF%BC%91", "%D9%A3", "1_0", "%2010", "%C2%B2"])
async def test_a_number_in_other_digits_or_spelling_is_refused_naming_it(
    demo: Client, no_tracebacks: None, name: str, value: str,
) -> None:
    # Fullwidth 1, Arabic-Indic 3, Python's 1_0, " 10", superscript 2: int() takes most.
    found = await problem_of(demo, f"/feeds/posts/default?{name}={value}")
    assert found["field"] == name


@pytest.mark.parametrize("post", ["18446744073709551616", "%EF%BC%91", "%C2%B2", "1" * 5000])
async def test_a_post_id_no_post_can_have_is_a_404(
    demo: Client, no_tracebacks: None, post: str,
) -> None:
    resp = await demo.get(f"/feeds/{post}/comments/default")
    assert resp.status == 404
    assert resp.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("url", ["/feeds/posts/default/-/cook%00ing",
                                 "/feeds/posts/default/-/feeds/at%0Bom",
                                 "/feeds/authors/zoe%00-angstrom/default",
                                 "/2025/01/why-we-still%00-publish-feeds.html"])
async def test_a_name_with_a_control_character_is_a_404(
    demo: Client, no_tracebacks: None, url: str,
) -> None:
    # No label, author or slug has one, and PostgreSQL's text cannot hold NUL: asking it
    # was a 500 there (SQLite answered 404 anyway).
    resp = await demo.get(url)
    assert resp.status == 404


# -- labels that all exist but share no post -----------------------------------------------------


async def test_labels_that_share_no_post_are_an_empty_feed(
    demo: Client, no_tracebacks: None,
) -> None:
    assert await items(demo, "/feeds/posts/default/-/cooking") != []
    assert await items(demo, "/feeds/posts/default/-/atom") != []
    for alt in ("atom", "rss", "json"):
        resp = await demo.get(_with_alt("/feeds/posts/default/-/cooking/atom", alt))
        assert resp.status == 200
        assert resp.headers["Content-Type"] == TYPES[alt]
    atom = await (await demo.get("/feeds/posts/default/-/cooking/atom")).text()
    assert "<openSearch:totalResults>0</openSearch:totalResults>" in atom
    assert "<entry>" not in atom


async def test_a_combined_label_feed_stays_a_feed_when_its_last_common_post_changes(
    api: Api, no_tracebacks: None,
) -> None:
    both = await api.create_post(title="Bread and tea", labels=["bread", "tea"])
    await api.create_post(title="Just tea", labels=["tea"])
    feed = "/feeds/posts/default/-/bread/tea"
    await until(lambda: api.feed_titles(feed), lambda t: t == ["Bread and tea"])
    await api.patch(f"/api/posts/{both['id']}", {"labels": ["bread"]}, expect=200)
    assert await until(lambda: api.feed_titles(feed), lambda t: t != ["Bread and tea"]) == []
    await api.delete(f"/api/posts/{both['id']}", expect=204)
    gone = await until(lambda: api.feed(feed), lambda r: r.status == 404)
    assert gone.json["detail"] == "no label 'bread'"


@pytest.mark.parametrize("url, missing", [
    ("/feeds/posts/default/-/cooking/no-such-label", "no-such-label"),
    ("/feeds/posts/default/-/no-such-label/cooking", "no-such-label"),
    ("/feeds/posts/summary/-/feeds/atom/gone?max-results=3", "gone"),
    ("/feeds/posts/default/-/a%2Fb/cooking", "a/b"),
])
async def test_a_label_that_does_not_exist_is_a_404_naming_it(
    demo: Client, no_tracebacks: None, url: str, missing: str,
) -> None:
    resp = await demo.get(url)
    assert resp.status == 404
    assert json.loads(await resp.read())["detail"] == f"no label {missing!r}"


# -- the short aliases take the site feed's parameters -------------------------------------------


@pytest.mark.parametrize("alias, alt", [("/feed.atom", "atom"), ("/feed.rss", "rss"),
                                        ("/feed.json", "json")])
async def test_a_short_alias_reads_the_query_as_the_site_feed_does(
    demo: Client, no_tracebacks: None, alias: str, alt: str,
) -> None:
    query = "max-results=2&start-index=3&orderby=updated&published-min=2025-03-01"
    short = await demo.get(f"{alias}?{query}")
    full = await demo.get(_with_alt(f"/feeds/posts/default?{query}", alt))
    assert short.status == 200
    assert short.headers["Content-Type"] == TYPES[alt]
    assert await short.read() == await full.read()
    assert await items(demo, "/feed.json?max-results=2") == (
        await items(demo, "/feeds/posts/default?max-results=2"))


@pytest.mark.parametrize("alias", ["/feed.atom", "/feed.rss", "/feed.json"])
@pytest.mark.parametrize("query, field", [
    ("max-results=abc", "max-results"),
    ("start-index=0", "start-index"),
    ("published-min=yesterday-ish", "published-min"),
    ("orderby=random", "orderby"),
    ("alt=xml", "alt"),
])
async def test_a_short_alias_refuses_what_the_site_feed_refuses(
    demo: Client, no_tracebacks: None, alias: str, query: str, field: str,
) -> None:
    found = await problem_of(demo, f"{alias}?{query}")
    canonical = await problem_of(demo, f"/feeds/posts/default?{query}")
    assert found["field"] == canonical["field"] == field
    assert found["detail"] == canonical["detail"]


async def test_a_short_alias_asked_for_another_format_says_where_that_is(
    demo: Client, no_tracebacks: None,
) -> None:
    found = await problem_of(demo, "/feed.atom?alt=rss")
    assert found["field"] == "alt"
    assert "/feeds/posts/default?alt=rss" in str(found["detail"])
    same = await demo.get("/feed.rss?alt=rss")
    assert same.status == 200 and same.headers["Content-Type"] == TYPES["rss"]
