"""Which posts a feed shows, read from its URL: FeedKey parsing, canonical keys and
RFC 5005 paging links. Blogger's query parameters are the vocabulary, so a blog moving
from Blogger keeps its feed URLs (max-results, start-index, published-min/max,
updated-min/max, orderby, alt)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from dateutil import parser as date_parser

from feeds.content import strip_xml_illegal
from feeds.errors import InvalidInputError, InvalidParameterError
from feeds.models import FeedFormat, FeedKey, FeedKind, FeedMode, FeedQuery, OrderBy
from feeds.render.gdata_json import DEFAULT_CALLBACK, MAX_CALLBACK, valid_callback

_FORMATS = {"atom": FeedFormat.ATOM, "rss": FeedFormat.RSS, "json": FeedFormat.JSON}
_PARTIAL_DATE_DEFAULT = datetime(2000, 1, 1)
_DATE_PARAMS = ("published-min", "published-max", "updated-min", "updated-max")
_OFFSET_AFTER_SPACE = re.compile(r"(.*\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)")
"""A date-time, a space, an offset's digits: a '+' decoded as a space (parse_query_date)."""
_OFFSET_HOURS = re.compile(r"[+-](\d{2}):?\d{2}$")
_OFFSET_RULE = "a UTC offset must be less than 24 hours"
MAX_START_INDEX = 2**31 - 1
"""The largest start-index: far past any blog's posts, and start-index plus max-results
fits every store's integers (a larger one was an overflow in the store: a 500)."""


def _fold(char: str) -> str:
    base = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    return base if base.isascii() else char


def slugify(text: str) -> str:
    """A URL path segment for a name: lower case, word characters joined by '-'.

    Non-ASCII letters are kept (Kenji 田中 -> kenji-田中), accents on Latin letters are
    folded (Zoë -> zoe), so the slugs people type work. Only a fold that leaves ASCII is
    taken: stripping the marks of other scripts changes the word (パン is not ハン).
    """
    # ASCII is its own NFC form and folds to itself: most slugs skip the per-character work.
    folded = text if text.isascii() else "".join(
        c if c.isascii() else _fold(c) for c in unicodedata.normalize("NFC", text))
    words = re.findall(r"\w+", folded.lower())
    return "-".join(words) or "x"


def parse_date(value: str, field: str, tz: tzinfo) -> datetime:
    """An aware UTC datetime from what a person or a feed wrote; naive input takes `tz`."""
    try:
        parsed = date_parser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            # A fixed default, not today's date: missing parts must not depend on the clock.
            parsed = date_parser.parse(value, default=_PARTIAL_DATE_DEFAULT)
        except (ValueError, OverflowError) as exc:
            raise InvalidParameterError(field, f"not a date: {value!r}") from exc
    return _in_utc(parsed, value, field, tz)


def parse_query_date(value: str, field: str, tz: tzinfo) -> datetime:
    """A feed URL's date (published-min/max, updated-min/max) as an aware UTC datetime: RFC
    3339 or another ISO 8601 form, naive input in `tz`. Nothing else is guessed at, as
    parse_date does: a date misread selects other posts without a word (dateutil's
    lenient reading drops "EST" and reads "UTC+2" as -02:00)."""
    spaced = _OFFSET_AFTER_SPACE.fullmatch(value)
    # Query decoding (application/x-www-form-urlencoded) turns an unescaped '+' into a
    # space: "2026-11-17T00:00:00 05:00" can only have been +05:00.
    written = f"{spaced[1]}+{spaced[2]}" if spaced else value
    try:
        parsed = date_parser.isoparse(written)
    except (ValueError, OverflowError):
        big = _OFFSET_HOURS.search(written)
        if big and int(big[1]) >= 24:
            raise InvalidParameterError(field, f"{_OFFSET_RULE}: {value!r}") from None
        raise InvalidParameterError(
            field, f"not an RFC 3339 date such as 2026-11-17T09:30:00+01:00: {value!r}"
        ) from None
    return _in_utc(parsed, value, field, tz)


def _in_utc(parsed: datetime, value: str, field: str, tz: tzinfo) -> datetime:
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is in the year 10000 in UTC
        raise InvalidParameterError(field, f"date out of range: {value!r}") from None
    except ValueError:  # dateutil makes any offset; datetime takes less than 24 hours
        raise InvalidParameterError(field, f"{_OFFSET_RULE}: {value!r}") from None


def _positive_int(params: Mapping[str, str], name: str, most: int, *, capped: bool
                  ) -> int | None:
    """A count of 1 or more, in ASCII digits (int() takes "１", "٣", "1_000" and " 7 " too).
    Over `most`: `most` if `capped`, else refused."""
    raw = params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        negative = raw[:1] == "-" and raw[1:].isascii() and raw[1:].isdigit()
        problem = "must be 1 or more" if negative else "must be a whole number"
        raise InvalidParameterError(name, f"{problem}, got {raw!r}")
    digits = raw.lstrip("0")
    if not digits:
        raise InvalidParameterError(name, f"must be 1 or more, got {raw!r}")
    # The length first: int() of thousands of digits is slow, and refused past 4,300.
    if len(digits) > len(str(most)) or int(digits) > most:
        if capped:
            return most
        raise InvalidParameterError(name, f"must be at most {most}")
    return int(digits)


def parse_format(params: Mapping[str, str]) -> FeedFormat:
    alt = params.get("alt", "atom").lower()
    if alt == SCRIPT_ALT:  # the handler answers it (script_callback); anywhere else:
        raise InvalidParameterError(
            "alt", f"{SCRIPT_ALT} wraps the Atom feed for a <script>; name the feed here "
            "(alt=atom)")
    if alt not in _FORMATS:
        raise InvalidParameterError(
            "alt", f"must be one of atom, rss, json, json-in-script; got {alt!r}")
    return _FORMATS[alt]


def parse_feed_query(
    params: Mapping[str, str], *, default_max: int, cap: int, tz: tzinfo
) -> FeedQuery:
    """The reader's query. Unknown parameters are ignored (readers add their own), a
    max-results over the cap is capped (as Blogger does: the page asked for, shorter, with
    its itemsPerPage), a start-index past MAX_START_INDEX is refused (no page is there to
    clamp it to), anything malformed is an InvalidParameterError naming the parameter."""
    if "q" in params:
        # Blogger's full-text search. Ignored like a reader's own parameter, it would
        # answer every post as if each matched; syndic has no search (docs/publishing.md).
        raise InvalidParameterError(
            "q", "this blog's feeds have no full-text search; leave q out for every post, "
            "or use a label's feed (/feeds/posts/default/-/LABEL)")
    raw_max = params.get("max-results", "")
    if raw_max.isascii() and raw_max.isdigit() and not raw_max.strip("0"):
        # Blogger answers max-results=0 with the counts alone (openSearch totalResults and
        # no entry): what "N posts" and label-count widgets ask for.
        max_results = 0
    else:
        max_results = (_positive_int(params, "max-results", cap, capped=True)
                       or min(default_max, cap))
    start_index = _positive_int(params, "start-index", MAX_START_INDEX, capped=False) or 1
    dates = {
        name: parse_query_date(params[name], name, tz) for name in _DATE_PARAMS if name in params
    }
    raw_order = params.get("orderby", OrderBy.PUBLISHED.value)
    # Blogger also accepts "lastmodified" and "starttime"; map them to ours.
    order_alias = {"lastmodified": "updated", "starttime": "published"}
    raw_order = order_alias.get(raw_order, raw_order)
    try:
        orderby = OrderBy(raw_order)
    except ValueError:
        raise InvalidParameterError(
            "orderby", f"must be published or updated, got {raw_order!r}"
        ) from None
    return FeedQuery(
        max_results=max_results,
        start_index=start_index,
        published_min=dates.get("published-min"),
        published_max=dates.get("published-max"),
        updated_min=dates.get("updated-min"),
        updated_max=dates.get("updated-max"),
        orderby=orderby,
    )


def parse_mode(segment: str) -> FeedMode | None:
    if segment == "default":
        return None
    try:
        return FeedMode(segment)
    except ValueError:
        raise InvalidParameterError(
            "projection", f"must be default, full or summary, got {segment!r}"
        ) from None


def feed_path(key: FeedKey) -> str:
    """The canonical path of a feed (no query string, no format)."""
    mode = key.mode.value if key.mode else "default"
    if key.kind is FeedKind.POSTS:
        return f"/feeds/posts/{mode}"
    if key.kind is FeedKind.LABEL:
        labels = "/".join(quote(label, safe="") for label in key.labels)
        return f"/feeds/posts/{mode}/-/{labels}"
    if key.kind is FeedKind.AUTHOR:
        return f"/feeds/authors/{quote(key.author or '', safe='')}/{mode}"
    if key.kind is FeedKind.COMMENTS:
        return f"/feeds/comments/{mode}"
    if key.kind is FeedKind.ENTRY:
        return f"/feeds/posts/{mode}/{key.post_id}"
    if key.kind is FeedKind.PAGES:
        return f"/feeds/pages/{mode}"
    return f"/feeds/{key.post_id}/comments/{mode}"


def query_params(query: FeedQuery, default_max: int) -> list[tuple[str, str]]:
    """The non-default parts of a query, in a fixed order: one canonical string per variant."""
    params: list[tuple[str, str]] = []
    if query.orderby is not OrderBy.PUBLISHED:
        params.append(("orderby", query.orderby.value))
    for name in _DATE_PARAMS:
        value = getattr(query, name.replace("-", "_"))
        if value is not None:
            params.append((name, value.isoformat().replace("+00:00", "Z")))
    if query.max_results != default_max:
        params.append(("max-results", str(query.max_results)))
    if query.start_index != 1:
        params.append(("start-index", str(query.start_index)))
    return params


def feed_key_string(key: FeedKey, default_max: int) -> str:
    """The cache and artifact key of a feed: its path plus its canonical query."""
    params = query_params(key.query, default_max)
    return feed_path(key) + ("?" + urlencode(params) if params else "")


def feed_url(
    base_url: str, key: FeedKey, fmt: FeedFormat, default_max: int, start_index: int | None = None
) -> str:
    """The absolute URL of one representation (its rel=self), or of another page of it."""
    query = key.query if start_index is None else replace(key.query, start_index=start_index)
    params = query_params(query, default_max)
    if fmt is not FeedFormat.ATOM:
        params.append(("alt", fmt.value))
    return base_url + feed_path(key) + ("?" + urlencode(params) if params else "")


def is_standard(key: FeedKey) -> bool:
    """A feed without reader-chosen query parts: rendered ahead of time."""
    return key.query == FeedQuery(max_results=key.query.max_results) and not key.extra


def paging_starts(start_index: int, per_page: int, total: int) -> dict[str, int]:
    """RFC 5005 §3 paged feeds: the start-index of the first, previous, next and last pages
    (none for a feed of counts only, max-results=0: it has no pages)."""
    if per_page == 0:
        return {}
    last = max(1, ((max(total, 1) - 1) // per_page) * per_page + 1)
    starts = {"first": 1, "last": last}
    if start_index > 1:
        starts["previous"] = max(1, start_index - per_page)
    if start_index + per_page <= total:
        starts["next"] = start_index + per_page
    return starts


def parse_feed_path(path: str, query: FeedQuery) -> FeedKey:
    """A feed URL path (percent-decoded segments) -> FeedKey. Raises NotFoundError-free
    InvalidParameterError only for a bad projection; an unknown shape is LookupError."""
    from urllib.parse import unquote

    parts = [unquote(p) for p in path.strip("/").split("/")]
    if len(parts) < 3 or parts[0] != "feeds" or any(strip_xml_illegal(p) != p for p in parts):
        # No label or author has a character XML forbids (and PostgreSQL's text takes no NUL).
        raise LookupError(path)
    if parts[1] == "posts":
        mode = parse_mode(parts[2])
        if len(parts) == 3:
            return FeedKey(FeedKind.POSTS, query, mode)
        if len(parts) >= 5 and parts[3] == "-" and all(parts[4:]):
            return FeedKey(FeedKind.LABEL, query, mode, labels=tuple(parts[4:]))
        if len(parts) == 4 and (post_id := post_id_of(parts[3])):
            return FeedKey(FeedKind.ENTRY, query, mode, post_id=post_id)
    elif parts[1] == "comments" and len(parts) == 3:
        return FeedKey(FeedKind.COMMENTS, query, parse_mode(parts[2]))
    elif parts[1] == "pages" and len(parts) == 3:  # Blogger's pages feed
        return FeedKey(FeedKind.PAGES, query, parse_mode(parts[2]))
    elif parts[1] == "pages" and len(parts) == 4 and (post_id := post_id_of(parts[3])):
        # One page alone, as /feeds/posts/default/POSTID is one post (its canonical path).
        return FeedKey(FeedKind.ENTRY, query, parse_mode(parts[2]), post_id=post_id)
    elif parts[1] == "authors" and len(parts) == 4 and parts[2]:
        return FeedKey(FeedKind.AUTHOR, query, parse_mode(parts[3]), author=parts[2])
    elif len(parts) == 4 and parts[2] == "comments" and (post_id := post_id_of(parts[1])):
        return FeedKey(FeedKind.POST_COMMENTS, query, parse_mode(parts[3]), post_id=post_id)
    raise LookupError(path)


def post_id_of(text: str) -> int | None:
    """The post id `text` can be: ASCII digits ("²".isdigit() is true too) of a 64-bit
    integer (Blogger's ids have 19 digits; a larger one overflowed the store). None if none."""
    digits = text.lstrip("0")
    if not (text.isascii() and text.isdigit()) or len(digits) > 19:
        return None
    value = int(digits or "0")
    return value if value < 2**63 else None


# Short aliases of the site's default feed, in one format each; they take the same query.
FEED_ALIASES = {"/feed.atom": FeedFormat.ATOM, "/feed.rss": FeedFormat.RSS,
                "/feed.json": FeedFormat.JSON}


def parse_feed_request(
    path: str, params: Mapping[str, str], *, default_max: int, cap: int, tz: tzinfo
) -> tuple[FeedKey, FeedFormat]:
    """A feed request (raw path, query parameters) -> which feed, in which format.
    InvalidParameterError for a bad parameter, LookupError for a path that is no feed."""
    fmt = parse_format(params)
    query = parse_feed_query(params, default_max=default_max, cap=cap, tz=tz)
    alias = FEED_ALIASES.get(path)
    if alias is None:
        return parse_feed_path(path, query), fmt
    if "alt" in params and fmt is not alias:  # /feed.atom?alt=rss: which did they mean?
        raise InvalidParameterError(
            "alt", f"{path} is the {alias.value} feed: leave alt out or use "
            f"/feeds/posts/default?alt={fmt.value}; got {params['alt']!r}")
    return FeedKey(FeedKind.POSTS, query), alias


SCRIPT_ALT = "json-in-script"


def script_callback(params: Mapping[str, str]) -> str | None:
    """Blogger's `alt=json-in-script` (feeds/render/gdata_json.py): the callback to wrap the
    feed in, or None for any other alt. InvalidParameterError for a callback that is no
    dotted JavaScript name."""
    if params.get("alt", "").lower() != SCRIPT_ALT:
        return None
    callback = params.get("callback", DEFAULT_CALLBACK)
    if not valid_callback(callback):
        raise InvalidParameterError(
            "callback", f"must be a JavaScript name such as showPosts or ns.widget.show "
            f"(letters, digits, _ and $, dotted; at most {MAX_CALLBACK} characters); "
            f"got {callback[:MAX_CALLBACK + 1]!r}")
    return callback


def parse_script_request(
    path: str, params: Mapping[str, str], *, default_max: int, cap: int, tz: tzinfo
) -> FeedKey:
    """The feed an `alt=json-in-script` request wraps: the Atom feed of the same URL
    (InvalidParameterError on /feed.rss and /feed.json, which name another format)."""
    alias = FEED_ALIASES.get(path)
    if alias is not None and alias is not FeedFormat.ATOM:
        raise InvalidParameterError(
            "alt", f"{path} is the {alias.value} feed; json-in-script is made from the Atom "
            f"feed: use /feeds/posts/default?alt={SCRIPT_ALT}")
    key, _ = parse_feed_request(path, {**params, "alt": FeedFormat.ATOM.value},
                                default_max=default_max, cap=cap, tz=tz)
    return key


def parse_key_string(key: str, default_max: int, cap: int) -> FeedKey:
    """A canonical key string (feed_key_string) back to its FeedKey."""
    from urllib.parse import parse_qsl

    path, _, qs = key.partition("?")
    params = dict(parse_qsl(qs))
    return parse_feed_path(
        path, parse_feed_query(params, default_max=default_max, cap=cap, tz=UTC)
    )


def feed_named(url: str, field: str, *, default_max: int, cap: int, tz: tzinfo) -> str:
    """The key of the feed a path or URL names (`syndic regenerate FEED`, POST
    /api/regenerate?feed=): InvalidInputError naming `field` when it names none, also when
    it is no URL Python reads (http://[87]/: a host in brackets must be IPv6)."""
    try:
        parts = urlsplit(url)
        key, _ = parse_feed_request(parts.path, dict(parse_qsl(parts.query)),
                                    default_max=default_max, cap=cap, tz=tz)
    except (LookupError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):  # a bad parameter: it says which
            raise
        raise InvalidInputError(field, f"not a feed path: {url!r}") from None
    return feed_key_string(key, default_max)
