"""The old blog's lists of posts, which syndic answers with the feed of the same posts (it has
no HTML lists; docs/publishing.md, "Archives lead to the feed", says why): date archives,
the home page's page N, Blogger's label pages and "Older posts" links; and which URLs were
a search, which syndic does not have.

A date archive is a span of days in the blog's time zone. WordPress: /2023/, /2023/05/,
/2023/05/14/ (a month or day of one or two digits, each with page/N/), `?m=2023`,
`?m=202305`, `?m=20230514` (longer: its day), `?year=2023&monthnum=5&day=14`
(wp-includes/class-wp-rewrite.php, class-wp-query.php). Blogger: /2023/, /2023/05/ and, for
a blog archived daily, /2023/05/14/. Each becomes the site feed with Blogger's own
parameters, `published-min` (the span's first instant) and `published-max` (the next span's
first instant: feeds/store/reads.py keeps `published < published-max`), written at local
midnight with the zone's offset then, as Blogger writes its archive links
(`updated-min=2023-05-01T00:00:00-07:00&updated-max=2023-06-01T00:00:00-07:00`): the URL
reads as "May, on this blog", and summer time is right at each end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from urllib.parse import urlencode

from feeds.imports.legacy_urls import SITE_FEED, label_feed, without_index
from feeds.models import FeedFormat
from feeds.query import parse_query_date

# WordPress's date rules (the page rule read with them: /2023/05/page/2/ is May's page 2).
_WORDPRESS_DATE = re.compile(
    r"^/([0-9]{4})/(?:([0-9]{1,2})/(?:([0-9]{1,2})/)?)?(?:page/?[0-9]+/)?$")
# Blogger's archive pages (its link has the trailing slash; Blogger adds one when it lacks).
_BLOGGER_DATE = re.compile(r"^/([0-9]{4})(?:/([0-9]{2})(?:/([0-9]{2}))?)?/?$")
_BLOGGER_CLASSIC = re.compile(r"^/([0-9]{4})_([0-9]{2})_([0-9]{2})_archive\.html$")
""""Classic" Blogger's archive pages (before 2010 templates, still in old links): the first
day of a month, a week or a day, as the blog's archive frequency was."""
_HOME_PAGE_N = re.compile(r"^/page/?[0-9]+/$")
_WORDPRESS_SEARCH = re.compile(r"^/search/.")  # /search/TERM/ (and its page/N/)
_BLOGGER_LABEL = re.compile(r"^/search/label/([^/]+)/?$")
_DIGITS = re.compile(r"[0-9]+")
# Blogger's list parameters and the feed's that keep their meaning. Blogger's "Older posts"
# link is /search?updated-max=DATE&max-results=N, DATE the published date of the last post
# the page showed: the list is by published date, and the next page holds the posts
# published before it. Despite the name, that is the feed's published-max (exclusive, as
# the page must not show that post again); "Newer posts" writes updated-min likewise.
_BLOGGER_DATES = (("updated-max", "published-max"), ("updated-min", "published-min"))


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A year, a month or a day, as the URL gave it (month 13 too: `date_feed` says no)."""

    year: int
    month: int | None = None
    day: int | None = None
    week: bool = False
    """The seven days from `day` (a classic Blogger weekly archive)."""

    def days(self) -> tuple[date, date] | None:
        """The span's first day and the first day after it; None when it is no date."""
        try:
            first = date(self.year, 1 if self.month is None else self.month,
                         1 if self.day is None else self.day)
            if self.day is not None:
                return first, first + timedelta(days=7 if self.week else 1)
            if self.month is not None:
                return first, date(self.year + self.month // 12, self.month % 12 + 1, 1)
            return first, date(self.year + 1, 1, 1)
        except (ValueError, OverflowError):  # month 13, February 30, the year 10000
            return None


def _span(year: str, month: str | None = None, day: str | None = None) -> DateSpan:
    return DateSpan(int(year), int(month) if month else None, int(day) if day else None)


def _midnight(day: date, tz: tzinfo) -> str:
    moment = datetime.combine(day, time(), tzinfo=tz)
    moment.astimezone(UTC)  # OverflowError past what a date holds in UTC (0001-01-01+05:45)
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def date_feed(span: DateSpan, tz: tzinfo, fmt: FeedFormat = FeedFormat.ATOM) -> str | None:
    """The site feed of the posts published within the span, days in `tz` (the site's zone);
    None when the span names no date."""
    days = span.days()
    if days is None:
        return None
    try:
        params = [("published-min", _midnight(days[0], tz)),
                  ("published-max", _midnight(days[1], tz))]
    except (ValueError, OverflowError):
        return None
    if fmt is not FeedFormat.ATOM:
        params.append(("alt", fmt.value))
    return f"{SITE_FEED}?{urlencode(params, safe=':')}"


def blogger_date(path: str) -> DateSpan | None:
    """The span a Blogger archive page's path names, or None when it is none. A classic
    archive (/2007_03_01_archive.html) names the first day of its span, and the export does
    not keep whether the blog archived by month (the default), week or day: the first of a
    month is that month (a week or a day within it is shown too), a Sunday another than the
    first its week (weekly archives begin on Sundays), any other date that day."""
    if m := _BLOGGER_CLASSIC.match(path):
        span = _span(*m.groups())
        if span.days() is None or span.day == 1:
            return DateSpan(span.year, span.month) if span.day == 1 else span
        assert span.month is not None and span.day is not None
        sunday = date(span.year, span.month, span.day).weekday() == 6
        return DateSpan(span.year, span.month, span.day, week=sunday)
    m = _BLOGGER_DATE.match(path)
    return _span(*m.groups()) if m else None


def wordpress_date(path: str, query: Mapping[str, str]) -> DateSpan | None:
    """The span a WordPress date archive names (a page N of it: the span, as for a
    category's archive), or None when the URL is no date archive. On the home page,
    `?m=` of fewer than four digits (Blogger's mobile `?m=1`) and `?w=` (a week) are none;
    `?year=` missing or not digits while `monthnum` or `day` is given is a span of year 0,
    which names no date (a 404: WordPress would list every May, which no feed shows)."""
    path = without_index(path)
    if path != "/":
        m = _WORDPRESS_DATE.match(path if path.endswith("/") else path + "/")
        return _span(*m.groups()) if m else None
    if _DIGITS.fullmatch(m_value := query.get("m", "")) and len(m_value) >= 4:
        return _span(m_value[:4], m_value[4:6] or None, m_value[6:8] or None)
    if not any(query.get(name) for name in ("year", "monthnum", "day")):
        return None
    year, month, day = (query.get(name, "") for name in ("year", "monthnum", "day"))
    if not (_DIGITS.fullmatch(year) and len(year) <= 4) or any(
            v and not (_DIGITS.fullmatch(v) and len(v) <= 2) for v in (month, day)) or (
            day and not month):
        return DateSpan(0)
    return _span(year, month or None, day or None)


def wordpress_home_page(path: str, query: Mapping[str, str]) -> bool:
    """The home page's page N (/page/2/, `?paged=2`): "older posts" of the whole blog."""
    path = without_index(path)
    if path == "/":
        return bool(_DIGITS.fullmatch(query.get("paged", "")))
    return bool(_HOME_PAGE_N.match(path if path.endswith("/") else path + "/"))


def wordpress_search(path: str, query: Mapping[str, str]) -> bool:
    """A WordPress search: `?s=TERM` on the home page, /search/TERM/."""
    path = without_index(path)
    return "s" in query if path == "/" else bool(_WORDPRESS_SEARCH.match(path))


def blogger_list(path: str, query: Mapping[str, str], tz: tzinfo) -> str | None:
    """Where Blogger's /search URL leads: a label's page (/search/label/NAME) to the label's
    feed, /search (its "Older posts" and "Newer posts" pages) to the site feed, each with
    the page's dates and length as the feed's; None for any other path, and for a search
    (`?q=`), which syndic does not have. A date that is no date is an
    InvalidParameterError naming the parameter (the page asked for is not known); a
    max-results that is no count is left out (the feed's length, not the posts, changes)."""
    if path == "/search":
        feed = SITE_FEED
    elif m := _BLOGGER_LABEL.match(path):
        feed = label_feed(m.group(1))
    else:
        return None
    if "q" in query:
        return None
    params = []
    for theirs, ours in _BLOGGER_DATES:
        if value := query.get(theirs):
            moment = parse_query_date(value, theirs, tz)
            params.append((ours, moment.isoformat().replace("+00:00", "Z")))
    # `start` (0-based: the label pages' "Older posts" without a date) only when no date
    # says where the page begins.
    start = query.get("start", "") if not params else ""
    if _DIGITS.fullmatch(count := query.get("max-results", "")) and count.strip("0"):
        params.append(("max-results", count.lstrip("0")))  # the feed caps it
    if _DIGITS.fullmatch(start) and start.strip("0") and len(start) < 10:
        params.append(("start-index", str(int(start) + 1)))
    return feed + (f"?{urlencode(params, safe=':')}" if params else "")
