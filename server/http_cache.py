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
    "coded_etag",
    "codings_by_preference",
    "etag_for",
    "http_date",
    "is_not_modified",
    "link_header",
    "parse_entity_tags",
    "parse_http_date",
    "select_representation",
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

SERVER = "syndic"
"""The Server header of every answer: the fast path's pre-built heads (server/feed_cache.py)
and aiohttp's (server/middleware.py server_header), whose default names Python's and its
own version."""


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


def codings_by_preference(
    accept_encoding: str | None, available: Sequence[str] = ("br", "gzip")
) -> tuple[str, ...]:
    """The content codings a response to this request may use, the one to send first
    (RFC 9110 §12.5.3).

    The available codings with q > 0, highest first, ties in the order of ``available``
    (``"*"`` stands for codings not listed); identity among them by its own q (after the
    codings rated as high), or last when not listed, unless ``identity;q=0`` or ``*;q=0``
    refuses it. Without Accept-Encoding, identity alone. When the request refuses every
    coding, identity alone too: a response without a coding rather than a 415.
    """
    if not accept_encoding:
        return ("identity",)
    weights = _parse_accept_encoding(accept_encoding)
    star = weights.get("*", 0.0)
    ranked = [(coding, q) for coding in available
              if (q := weights.get(_CODING_ALIASES.get(coding.lower(), coding.lower()), star)) > 0]
    ranked.sort(key=lambda ranked_coding: -ranked_coding[1])  # stable: ties keep their order
    codings = [coding for coding, _ in ranked]
    identity_q = weights.get("identity")
    if identity_q is not None:
        if identity_q > 0:
            codings.insert(sum(1 for _, q in ranked if q >= identity_q), "identity")
    elif weights.get("*") != 0.0:
        codings.append("identity")
    return tuple(codings) or ("identity",)


def choose_encoding(accept_encoding: str | None, available: Sequence[str] = ("br", "gzip")) -> str:
    """The content coding to send (the first of codings_by_preference)."""
    return codings_by_preference(accept_encoding, available)[0]


_CODED_SUFFIX = {"gzip": "-gz", "br": "-br"}


def coded_etag(etag: str, coding: str) -> str:
    """The entity tag of the ``coding`` form of the representation tagged ``etag``: a strong
    validator differs between content codings (RFC 9110 §8.8.3, the example of §8.8.3.3),
    so ``"h"`` (identity) is ``"h-gz"`` gzipped and ``"h-br"`` as br."""
    suffix = _CODED_SUFFIX.get(coding)
    return etag if suffix is None else f'{etag[:-1]}{suffix}"'


def select_representation(
    codings: Sequence[str],
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str,
    last_modified: datetime | None,
) -> tuple[str, bool]:
    """The coding to answer a GET/HEAD of a feed with, and whether the answer is a 304.

    ``codings``: codings_by_preference for the request; ``etag``: the identity form's tag
    (each coding has its own: coded_etag). If-None-Match, when present, decides alone
    (RFC 9110 §13.2.2): a 304 when it lists the tag of a coding the request accepts, in that
    coding. It may not be the coding a 200 would have: a reader (or a cache revalidating
    for one) holding the identity body and now sending ``Accept-Encoding: gzip`` accepts
    identity too (§12.5.3, unless it refuses it), the bytes it holds are this very document,
    and picking among acceptable codings is the origin's choice (§12.1): it gets a 304 that
    carries the identity tag (§15.4.5), so a cache freshens the response it holds (RFC 9111
    §4.3.4) instead of downloading the gzip body. A tag of a coding the request does not
    accept (the gzip tag sent without ``Accept-Encoding: gzip``) matches nothing: a 200 in a
    coding it can read. Without If-None-Match, If-Modified-Since (is_not_modified) decides,
    for the preferred coding.
    """
    if if_none_match is None:
        return codings[0], is_not_modified(
            if_none_match=None, if_modified_since=if_modified_since, etag=etag,
            last_modified=last_modified)
    for coding in codings:  # most polls send back the one tag they were given, as given
        if if_none_match == coded_etag(etag, coding):
            return coding, True
    tags = parse_entity_tags(if_none_match)
    if tags == "*":
        return codings[0], True  # the representation exists (§13.1.2)
    for coding in codings:
        held = coded_etag(etag, coding)
        if any(weak_match(tag, held) for tag in tags):
            return coding, True
    return codings[0], False


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
