"""The dates of a WordPress export's items, and the notes on those that are no dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

from feeds.imports.items import ImportItem, Note
from feeds.query import parse_date

_RFC822_YEAR = re.compile(r"(?<![-\d])\d{4}\s+\d{1,2}:\d{2}")


class Dates:
    """Reads an item's dates; `unread` keeps those of the item at hand that are no dates
    (2020-02-30: WordPress writes what MySQL held), for `notes`."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        """The blog's time zone, for the site-local fields."""
        self.unread: list[str] = []

    def read(self, gmt: str, local: str, rfc822: str) -> datetime | None:
        """The first readable of: the UTC field, the site-local field (in `tz`), pubDate."""
        for value, tz in ((gmt, UTC), (local, self.tz)):
            if value and not value.startswith("0000-00-00"):
                try:
                    parsed = datetime.fromisoformat(value)  # MySQL's "2019-03-05 14:02:11"
                    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)
                except (ValueError, OverflowError):
                    try:
                        return parse_date(value, "date", tz)
                    except (ValueError, OverflowError):
                        self.unread.append(value)
                        continue
        if not _RFC822_YEAR.search(rfc822):  # "Mon, 30 Nov -0001 00:00:00 +0000": no date
            return None
        try:
            parsed = parsedate_to_datetime(rfc822.strip())
        except (TypeError, ValueError, IndexError):
            self.unread.append(rfc822.strip())
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)

    def notes(self, where: str, title: str, used: datetime | None) -> list[ImportItem]:
        """A Note for the dates of the item just read that are no dates (WordPress writes
        what MySQL held: 2020-02-30 happens), saying which date was taken instead."""
        if not self.unread:
            return []
        dates = ", ".join(repr(v) for v in self.unread)
        kept = used.isoformat() if used else "none in the export (the import's time, or the " \
            "date stored)"
        return [Note(where, f"not a date, left out: {dates} (published: {kept})", title)]
