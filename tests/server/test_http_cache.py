"""How feed readers see syndic's caching: validators, conditional GETs and compression."""

from __future__ import annotations

import locale
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from server.http_cache import (
    choose_encoding,
    coded_etag,
    codings_by_preference,
    etag_for,
    http_date,
    is_not_modified,
    link_header,
    parse_entity_tags,
    parse_http_date,
    select_representation,
    weak_match,
)

FEED = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>'
FEED_ETAG = etag_for(FEED)
PUBLISHED = datetime(2024, 3, 5, 12, 30, 15, tzinfo=UTC)
PUBLISHED_HEADER = "Tue, 05 Mar 2024 12:30:15 GMT"


# --- validators -------------------------------------------------------------------------------


def test_a_feed_gets_a_strong_etag_derived_from_its_bytes() -> None:
    tag = etag_for(FEED)

    assert tag.startswith('"') and tag.endswith('"')
    assert not tag.startswith("W/")
    assert len(tag) == 34
    assert all(c in "0123456789abcdef" for c in tag[1:-1])


def test_the_same_feed_always_gets_the_same_etag_and_a_changed_feed_a_new_one() -> None:
    assert etag_for(FEED) == etag_for(bytes(FEED))
    assert etag_for(FEED) != etag_for(FEED + b"\n")


def test_the_etag_of_an_empty_body_is_the_start_of_the_well_known_sha256() -> None:
    assert etag_for(b"") == '"e3b0c44298fc1c149afbf4c8996fb924"'


# --- dates ------------------------------------------------------------------------------------


def test_last_modified_is_written_as_an_imf_fixdate() -> None:
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)

    assert http_date(moment) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_last_modified_is_converted_to_gmt_and_drops_fractions_of_a_second() -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2024, 1, 1, 0, 30, 0, 999_999, tzinfo=paris)

    assert http_date(moment) == "Sun, 31 Dec 2023 23:30:00 GMT"


def test_a_naive_datetime_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError):
        http_date(datetime(2024, 1, 1))


def test_every_day_and_month_name_is_the_english_one_http_requires() -> None:
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    monday = datetime(2024, 1, 1, tzinfo=UTC)

    assert [http_date(monday + timedelta(days=n))[:3] for n in range(7)] == days
    assert [http_date(monday.replace(month=m))[8:11] for m in range(1, 13)] == months


@pytest.fixture
def foreign_time_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A German LC_TIME: an installed one, or one compiled here with glibc's localedef
    (machines often carry only C and POSIX)."""
    saved = locale.setlocale(locale.LC_TIME)
    name = "de_DE.UTF-8"
    try:
        locale.setlocale(locale.LC_TIME, name)
    except locale.Error:
        subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", str(tmp_path / name)],
                       check=True, capture_output=True)
        monkeypatch.setenv("LOCPATH", str(tmp_path))
        locale.setlocale(locale.LC_TIME, name)
    try:
        yield name
    finally:
        locale.setlocale(locale.LC_TIME, saved)


def test_a_server_running_in_a_german_or_french_locale_still_sends_english_dates(
    foreign_time_locale: str,
) -> None:
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert moment.strftime("%a %b") != "Sun Nov", "locale did not take effect"

    assert http_date(moment) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == moment


@pytest.mark.parametrize(
    "header",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",  # obsolete asctime
    ],
    ids=["imf-fixdate", "rfc850", "asctime"],
)
def test_a_reader_may_send_any_of_the_three_http_date_forms(header: str) -> None:
    parsed = parse_http_date(header)

    assert parsed == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "header", ["", "yesterday", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT"]
)
def test_a_date_that_is_not_a_date_parses_to_none(header: str) -> None:
    assert parse_http_date(header) is None


def test_a_date_written_by_syndic_reads_back_as_the_same_moment() -> None:
    for moment in (PUBLISHED, datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)):
        assert parse_http_date(http_date(moment)) == moment
    assert http_date(PUBLISHED) == PUBLISHED_HEADER


# --- entity tags ------------------------------------------------------------------------------


def test_if_none_match_star_means_any_version() -> None:
    assert parse_entity_tags("*") == "*"
    assert parse_entity_tags("  * ") == "*"


def test_if_none_match_lists_keep_weak_tags_and_commas_inside_quotes() -> None:
    header = '"a", W/"b" ,"c,d",   "e"'

    assert parse_entity_tags(header) == ['"a"', 'W/"b"', '"c,d"', '"e"']


def test_malformed_entity_tags_are_ignored_but_their_neighbours_kept() -> None:
    header = 'abc, "ok", w/"lower", "has space", *, "unterminated'

    assert parse_entity_tags(header) == ['"ok"']
    assert parse_entity_tags("") == []


def test_weak_comparison_ignores_weakness_but_not_the_opaque_tag() -> None:
    assert weak_match('W/"1"', '"1"')
    assert weak_match('W/"1"', 'W/"1"')
    assert weak_match('"1"', '"1"')
    assert not weak_match('"1"', '"2"')
    assert not weak_match('W/"1"', 'W/"2"')


# --- conditional GET --------------------------------------------------------------------------

OTHER_ETAG = etag_for(b"an older version of the feed")
WEAK_FEED_ETAG = "W/" + FEED_ETAG


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "last_modified", "not_modified"),
    [
        pytest.param(FEED_ETAG, None, PUBLISHED, True, id="exact strong etag match"),
        pytest.param(WEAK_FEED_ETAG, None, PUBLISHED, True, id="weak W/ tag matches"),
        pytest.param(
            f'{OTHER_ETAG}, {FEED_ETAG}, "x"', None, PUBLISHED, True, id="match in middle of list"
        ),
        pytest.param(f'{OTHER_ETAG}, "x"', None, PUBLISHED, False, id="list without a match"),
        pytest.param("*", None, PUBLISHED, True, id="star matches any representation"),
        pytest.param(
            OTHER_ETAG, PUBLISHED_HEADER, PUBLISHED, False, id="etag mismatch beats matching date"
        ),
        pytest.param(None, PUBLISHED_HEADER, PUBLISHED, True, id="IMS equal to last-modified"),
        pytest.param(
            None, "Tue, 05 Mar 2024 12:30:16 GMT", PUBLISHED, True, id="IMS later than last-mod"
        ),
        pytest.param(
            None, "Tue, 05 Mar 2024 12:30:14 GMT", PUBLISHED, False, id="IMS earlier than last-mod"
        ),
        pytest.param(None, "last tuesday", PUBLISHED, False, id="IMS unparseable is ignored"),
        pytest.param(
            None,
            PUBLISHED_HEADER,
            PUBLISHED.replace(microsecond=750_000),
            True,
            id="IMS vs sub-second last-modified",
        ),
        pytest.param(None, PUBLISHED_HEADER, None, False, id="IMS without a last-modified"),
        pytest.param("", PUBLISHED_HEADER, PUBLISHED, False, id="empty If-None-Match"),
        pytest.param(None, "", PUBLISHED, False, id="empty If-Modified-Since"),
        pytest.param(None, None, PUBLISHED, False, id="no conditional headers"),
    ],
)
def test_conditional_get(
    if_none_match: str | None,
    if_modified_since: str | None,
    last_modified: datetime | None,
    not_modified: bool,
) -> None:
    result = is_not_modified(
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        etag=FEED_ETAG,
        last_modified=last_modified,
    )

    assert result is not_modified


def test_a_reader_polling_with_the_etag_it_was_given_gets_not_modified() -> None:
    given = etag_for(FEED)

    assert is_not_modified(
        if_none_match=given, if_modified_since=None, etag=etag_for(FEED), last_modified=PUBLISHED
    )


def test_a_reader_polling_after_a_new_post_gets_the_new_feed() -> None:
    given = etag_for(FEED)
    updated = FEED.replace(b"/>", b"><entry/></feed>")

    assert not is_not_modified(
        if_none_match=given,
        if_modified_since=http_date(PUBLISHED),
        etag=etag_for(updated),
        last_modified=PUBLISHED + timedelta(minutes=5),
    )


def test_a_reader_that_only_remembers_the_date_gets_not_modified_until_the_feed_changes() -> None:
    remembered = http_date(PUBLISHED)

    def poll(last_modified: datetime) -> bool:
        return is_not_modified(
            if_none_match=None,
            if_modified_since=remembered,
            etag=FEED_ETAG,
            last_modified=last_modified,
        )

    assert poll(PUBLISHED)
    assert not poll(PUBLISHED + timedelta(seconds=1))


# --- Accept-Encoding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        pytest.param(None, "identity", id="header absent"),
        pytest.param("", "identity", id="header empty"),
        pytest.param("gzip", "gzip", id="gzip only"),
        pytest.param("br;q=1, gzip;q=0.5", "br", id="br preferred"),
        pytest.param("gzip;q=1, br;q=0.5", "gzip", id="gzip preferred"),
        pytest.param("br;q=0", "identity", id="br refused, nothing else"),
        pytest.param("*", "br", id="star accepts everything"),
        pytest.param("*;q=0", "identity", id="star refuses everything"),
        pytest.param("identity", "identity", id="identity only"),
        pytest.param("gzip, br", "br", id="tie goes to br"),
        pytest.param("GZIP", "gzip", id="case-insensitive"),
        pytest.param("x-gzip", "gzip", id="x-gzip is gzip"),
        pytest.param("gzip;q=abc", "identity", id="malformed q is q=0"),
        pytest.param("gzip;q=abc, br;q=0.1", "br", id="malformed q only spoils its member"),
        pytest.param("br;q=0, *", "gzip", id="star covers only unlisted codings"),
        pytest.param("gzip ; Q = 0.8 , deflate", "gzip", id="whitespace and upper-case Q"),
        pytest.param("identity;q=1, gzip;q=0.5", "identity", id="identity explicitly preferred"),
    ],
)
def test_accept_encoding(accept_encoding: str | None, expected: str) -> None:
    assert choose_encoding(accept_encoding) == expected


def test_a_server_offering_only_gzip_never_answers_br() -> None:
    assert choose_encoding("br, gzip;q=0.1", available=("gzip",)) == "gzip"
    assert choose_encoding("br", available=("gzip",)) == "identity"


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        pytest.param(None, ("identity",), id="no header: identity alone"),
        pytest.param("gzip, br", ("br", "gzip", "identity"), id="identity acceptable, last"),
        pytest.param("gzip;q=0.5, identity;q=0.8, br", ("br", "identity", "gzip"),
                     id="identity placed by its q"),
        pytest.param("gzip, identity;q=0", ("gzip",), id="identity refused"),
        pytest.param("gzip, *;q=0", ("gzip",), id="star refuses identity"),
        pytest.param("identity;q=0", ("identity",), id="everything refused: identity anyway"),
    ],
)
def test_the_codings_a_request_accepts_come_best_first(
    accept_encoding: str | None, expected: tuple[str, ...]
) -> None:
    assert codings_by_preference(accept_encoding) == expected


# --- One ETag per content coding -------------------------------------------------------------

GZ_ETAG, BR_ETAG = coded_etag(FEED_ETAG, "gzip"), coded_etag(FEED_ETAG, "br")


def test_each_content_coding_has_its_own_strong_etag() -> None:
    assert coded_etag(FEED_ETAG, "identity") == FEED_ETAG
    assert coded_etag('"6a7e"', "gzip") == '"6a7e-gz"'
    assert coded_etag('"6a7e"', "br") == '"6a7e-br"'


@pytest.mark.parametrize(
    ("accept_encoding", "if_none_match", "expected"),
    [
        pytest.param("gzip", GZ_ETAG, ("gzip", True), id="the gzip tag, gzip accepted"),
        pytest.param("gzip, br", GZ_ETAG, ("gzip", True), id="the gzip tag, br preferred"),
        pytest.param("gzip, br", f"W/{BR_ETAG}", ("br", True), id="weak br tag"),
        pytest.param("gzip", FEED_ETAG, ("identity", True), id="the identity tag, gzip accepted"),
        pytest.param("gzip", f"{FEED_ETAG}, {GZ_ETAG}", ("gzip", True), id="both held"),
        pytest.param(None, GZ_ETAG, ("identity", False), id="gzip tag, gzip not accepted"),
        pytest.param("gzip, identity;q=0", FEED_ETAG, ("gzip", False), id="identity refused"),
        pytest.param("br", coded_etag(OTHER_ETAG, "br"), ("br", False), id="older version"),
        pytest.param("br", "*", ("br", True), id="star"),
    ],
)
def test_if_none_match_is_a_304_for_any_coding_the_reader_still_accepts(
    accept_encoding: str | None, if_none_match: str, expected: tuple[str, bool]
) -> None:
    assert select_representation(
        codings_by_preference(accept_encoding), if_none_match=if_none_match,
        if_modified_since=PUBLISHED_HEADER, etag=FEED_ETAG, last_modified=PUBLISHED,
    ) == expected


# --- Link -------------------------------------------------------------------------------------


def test_a_paged_feed_advertises_its_neighbours_and_hub_in_a_link_header() -> None:
    links = [("https://example.org/feed?page=2", "next"), ("https://hub.example/", "hub")]

    assert link_header(links) == (
        '<https://example.org/feed?page=2>; rel="next", <https://hub.example/>; rel="hub"'
    )


def test_no_links_make_an_empty_link_header() -> None:
    assert link_header([]) == ""


@pytest.mark.parametrize(("url", "rel"), [("https://x/>", "next"), ("https://x/", 'ne"xt')])
def test_links_that_would_break_the_header_syntax_are_refused(url: str, rel: str) -> None:
    with pytest.raises(ValueError):
        link_header([(url, rel)])
