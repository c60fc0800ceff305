"""HTTP caching and negotiation helpers: validators, conditional GET, Accept-Encoding.

Pure functions with no I/O and no web-framework dependency, so the request
handlers stay thin and the HTTP rules (RFC 9110) can be tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from feeds.render import etag_for

__all__ = ["etag_for"]

__all__ = [
    "choose_encoding",
    "etag_for",
    "http_date",
    "is_not_modified",
    "link_header",
    "parse_entity_tags",
    "parse_http_date",
    "weak_match",
]

# Fixed English names: strftime("%a"/"%b") would follow the process locale.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE ; etagc = %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e\x80-\U0010ffff]*"')
# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_CODING_ALIASES = {"x-gzip": "gzip", "x-compress": "compress"}
_OWS = " \t"


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def http_date(moment: datetime) -> str:
    """Format an aware datetime as an IMF-fixdate (RFC 9110 §5.6.7), independent of locale."""
    t = _as_utc(moment)
    return (
        f"{_DAY_NAMES[t.weekday()]}, {t.day:02d} {_MONTH_NAMES[t.month - 1]} {t.year:04d} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT"
    )


def parse_http_date(value: str) -> datetime | None:
    """Parse an HTTP-date (IMF-fixdate, RFC 850 or asctime) to an aware UTC datetime.

    Returns None when the value is not a date.
    """
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # asctime has no zone; HTTP dates are always UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _split_outside_quotes(header: str) -> list[str]:
    members: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            members.append("".join(current))
            current = []
            continue
        current.append(char)
    members.append("".join(current))
    return members


def parse_entity_tags(header: str) -> list[str] | Literal["*"]:
    """Parse an If-None-Match / If-Match value: ``"*"`` or the list of entity tags.

    Tags are returned as written (``W/"x"`` or ``"x"``); malformed members are dropped.
    """
    if header.strip(_OWS) == "*":
        return "*"
    tags: list[str] = []
    for member in _split_outside_quotes(header):
        tag = member.strip(_OWS)
        if _ENTITY_TAG.fullmatch(tag):
            tags.append(tag)
    return tags


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def weak_match(a: str, b: str) -> bool:
    """Weak comparison (RFC 9110 §8.8.3.2): opaque tags equal, weakness ignored."""
    return _opaque(a) == _opaque(b)


def is_not_modified(
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str,
    last_modified: datetime | None,
) -> bool:
    """Whether a GET/HEAD should be answered 304 (RFC 9110 §13.1.1, §13.1.3, §13.2.2).

    If-None-Match, when present, decides alone and If-Modified-Since is ignored.
    An unparseable If-Modified-Since, or no ``last_modified``, means "modified".
    """
    if if_none_match is not None:
        tags = parse_entity_tags(if_none_match)
        if tags == "*":
            return True  # the representation exists: we have its etag
        return any(weak_match(tag, etag) for tag in tags)
    if if_modified_since is None or last_modified is None:
        return False
    since = parse_http_date(if_modified_since)
    if since is None:
        return False
    # HTTP dates have one-second resolution, so compare whole seconds.
    return _as_utc(last_modified).replace(microsecond=0) <= since


def _parse_accept_encoding(header: str) -> dict[str, float]:
    """Map each listed coding (lower-case, aliases folded) to its q-value; first one wins."""
    weights: dict[str, float] = {}
    for member in header.split(","):
        coding, *params = (part.strip(_OWS) for part in member.split(";"))
        coding = coding.lower()
        if not coding:
            continue
        coding = _CODING_ALIASES.get(coding, coding)
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip(_OWS).lower() == "q":
                value = value.strip(_OWS)
                q = float(value) if _QVALUE.fullmatch(value) else 0.0
        weights.setdefault(coding, q)
    return weights


def choose_encoding(accept_encoding: str | None, available: Sequence[str] = ("br", "gzip")) -> str:
    """Pick the content coding for a response (RFC 9110 §12.5.3).

    The available coding with the highest q > 0 wins, ties going to the earlier entry of
    ``available``; ``"*"`` stands for codings not listed. Returns ``"identity"`` when no
    available coding is acceptable, or when the client explicitly rates identity higher.
    """
    if not accept_encoding:
        return "identity"
    weights = _parse_accept_encoding(accept_encoding)
    best, best_q = "identity", 0.0
    for coding in available:
        name = _CODING_ALIASES.get(coding.lower(), coding.lower())
        q = weights.get(name, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    if best != "identity" and weights.get("identity", 0.0) > best_q:
        return "identity"
    return best


def link_header(links: Sequence[tuple[str, str]]) -> str:
    """Format ``[(url, rel), ...]`` as a Link header value (RFC 8288)."""
    parts: list[str] = []
    for url, rel in links:
        if any(c in url for c in '<> "') or any(ord(c) < 0x20 for c in url):
            raise ValueError(f"URL cannot go in a Link header unescaped: {url!r}")
        if not rel or any(c in rel for c in '"\\') or any(ord(c) < 0x20 for c in rel):
            raise ValueError(f"invalid link relation: {rel!r}")
        parts.append(f'<{url}>; rel="{rel}"')
    return ", ".join(parts)
