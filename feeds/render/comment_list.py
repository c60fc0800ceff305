"""The comments on a post's page: threaded as WordPress and Blogger show them (a reply in a
nested <ol> inside the comment it answers), each dated on the site's clock for the reader
and as an instant for machines (<time datetime>, HTML's "valid global date and time
string", which RFC 3339's UTC form with Z is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

from feeds.models import Comment
from feeds.threads import MAX_DEPTH, threaded

# English, whatever the process locale: strftime's %B follows locale.setlocale, which
# feedgen calls (process-global), so it could change under a page being rendered.
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def zone_name(local: datetime) -> str:
    """The zone's abbreviation at that moment ("EST", "CEST"), or its offset as
    "UTC+03:30" where the tz database has no abbreviation and names it by its offset
    ("+0330", "-03") or has none."""
    name = local.tzname()
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def local_time_html(moment: datetime, tz: ZoneInfo) -> str:
    """<time datetime="2019-12-15T14:30:00Z">15 December 2019, 09:30 EST</time>"""
    local = moment.astimezone(tz)
    instant = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    shown = (f"{local.day} {_MONTHS[local.month - 1]} {local.year}, "
             f"{local.hour:02d}:{local.minute:02d} {zone_name(local)}")
    return f'<time datetime="{instant}">{escape(shown)}</time>'


def _item(comment: Comment, tz: ZoneInfo, anchor: str | None) -> str:
    """The <li> opened, with the comment; the caller closes it (after its replies)."""
    old = f'<a id="{escape(anchor)}"></a>' if anchor else ""
    return (f'<li id="comment-{comment.id}">{old}<p>{escape(comment.author.name)}, '
            f"{local_time_html(comment.published, tz)}</p>\n{comment.content_html}")


def comment_list_html(comments: Sequence[Comment], tz: ZoneInfo, anchors: Mapping[int, str],
                      max_depth: int = MAX_DEPTH) -> str:
    """The <ol> of `comments` (oldest first; content_html already sanitized), threaded
    (feeds/threads.py), each <li id="comment-ID"> also carrying the old anchor `anchors`
    gives it; "" for none. Built in one pass over the threaded order, not recursively: a
    reply's <ol> is opened when the depth grows and closed as it falls."""
    parts = ["<ol>\n"]
    depth = -1
    for t in threaded(comments, max_depth):
        if t.depth > depth:  # its first reply (or the first comment): depth + 1
            parts.append("" if depth < 0 else '\n<ol class="replies">\n')
        else:
            parts.append("</li>\n" + "</ol></li>\n" * (depth - t.depth))
        parts.append(_item(t.comment, tz, anchors.get(t.comment.id)))
        depth = t.depth
    if depth < 0:
        return ""
    parts.append("</li>\n" + "</ol></li>\n" * depth + "</ol>")
    return "".join(parts)
