"""Dates a person gives the API, the command line or a post file (`published`,
`publish_at`, ...): read strictly, each refusal a 400 naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from feeds.errors import InvalidInputError
from feeds.posts import EARLIEST, LATEST
from feeds.query import parse_date

__all__ = ["date_field"]


# A date a person gives the API, the command line or a post file starts with its day, year
# first (ISO 8601 / RFC 3339): "10:00", "Dec 25" or "03/04/2027" would be read with parts
# made up (the year 2000) or in one country's order, and a post scheduled with one went out
# at once, dated 2000. Feeds and exports are read more leniently (feeds.query.parse_date).
_DAY_FIRST = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}(?:[Tt\s]|$)", re.ASCII)  # digits 0-9 only


def date_field(value: str, field: str, tz: tzinfo) -> datetime:
    """parse_date of a value that starts with its day (_DAY_FIRST), and a 400 naming the
    field for another value or a date outside what the store keeps."""
    if not _DAY_FIRST.match(value):
        raise InvalidInputError(field, (
            f"not a date: {value!r}; give the day, year first, then the time if any:"
            " 2026-12-25, 2026-12-25T10:00 (in the site's time zone) or"
            " 2026-12-25T10:00:00+01:00"))
    _exists(value, field, tz)
    moment = parse_date(value, field, tz)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInputError(field, f"date out of range: {value!r}")
    return moment


def _exists(value: str, field: str, tz: tzinfo) -> None:
    """A 400 for a local time the clocks skip (02:30 on the night summer time starts): read
    as it stands it would be an hour later, after 03:00 the same night."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        return  # not a date fromisoformat reads: parse_date decides
    if naive.tzinfo is not None:
        return
    try:
        shown = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        return  # out of range: date_field says so
    if shown != naive:
        raise InvalidInputError(field, f"{value!r} is no time in {tz} (its clocks skip it);"
                                " give a time after the change, or an offset")
