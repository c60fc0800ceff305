"""A feed and the pages after it (RFC 5005 rel=next), fetched within bounds: http(s) only
(its next links and redirects too), a number of pages, time a page and in all, optionally a
byte budget and a guard that connects to global addresses only. One fetcher for `syndic
import feed URL` (unbounded in bytes, unguarded: the operator's own action) and for
`POST /api/imports?url=` (api.max_body_bytes, and the guard unless
api.import_fetch_private: the server fetches on a client's word and must not become its way
into the network behind it). A fetch that fails is an InvalidInputError naming `url`."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import aiohttp
from yarl import URL

from feeds.content import strip_xml_illegal
from feeds.errors import InvalidInputError
from feeds.imports.feed import parse_feed
from feeds.imports.items import ImportFormatError
from server.address_guard import AddressGuard, NonGlobalAddressError
from server.openapi import FETCH_PAGE_SECONDS, FETCH_PAGES, FETCH_SECONDS

MAX_REDIRECTS = 5
CHUNK = 64 * 1024


def feed_url(raw: str) -> URL:
    """An absolute http(s) URL, else a 400 naming `url`: no file:, ftp:, data: or other
    scheme a fetch could be turned to (the server fetches on a client's word)."""
    if strip_xml_illegal(raw) != raw or any(c.isspace() for c in raw):
        raise InvalidInputError("url", "control characters or spaces are not allowed")
    try:
        url = URL(raw)
    except ValueError:
        raise InvalidInputError("url", f"not a URL: {raw!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError("url", "must be an absolute http or https URL")
    return url


async def fetch_feed_pages(
    url: URL, max_bytes: int | None, guard: AddressGuard | None, *,
    max_pages: int = FETCH_PAGES, total_seconds: float | None = FETCH_SECONDS,
) -> list[tuple[bytes, str, str]]:
    """The feed at `url` and the pages after it (RFC 5005 rel=next), as (body, url, content
    type): http(s) only (the next links and redirects too), at most `max_bytes` in all
    (None: no limit), `max_pages` pages, FETCH_PAGE_SECONDS a page and `total_seconds` in
    all (None: no limit), global addresses only with a `guard`. A fetch that fails is an
    InvalidInputError naming `url`. Pages are parsed (for their next link) in a thread: the
    loop keeps serving."""
    pages: list[tuple[bytes, str, str]] = []
    seen: set[URL] = set()
    left = max_bytes if max_bytes is not None else 2**63
    next_url: URL | None = url
    timeout = aiohttp.ClientTimeout(total=FETCH_PAGE_SECONDS)
    # The session owns (and closes) the connector; the connector closes a resolver only
    # when it made it, so ours is closed here.
    connector, resolver = guard.connector() if guard is not None else (None, None)
    try:
        async with asyncio.timeout(total_seconds), aiohttp.ClientSession(
                connector=connector, timeout=timeout, max_field_size=16 * 1024) as session:
            while next_url is not None and next_url not in seen:
                if len(pages) == max_pages:
                    raise InvalidInputError("url", f"more than {max_pages} pages")
                seen.add(next_url)
                body, content_type = await _get(session, next_url, left)
                left -= len(body)
                pages.append((body, str(next_url), content_type))
                next_url = await asyncio.to_thread(_next_page, body, str(next_url),
                                                   content_type)
    except TimeoutError:
        whole = "" if total_seconds is None else \
            f" (or the whole fetch took over {total_seconds:g} s)"
        raise InvalidInputError("url", f"{next_url}: no answer within "
                                f"{FETCH_PAGE_SECONDS} s{whole}") from None
    finally:
        if resolver is not None:
            await resolver.close()
    return pages


async def _get(session: aiohttp.ClientSession, url: URL, left: int) -> tuple[bytes, str]:
    try:
        # aiohttp follows redirects to http(s) URLs only (others raise a ClientError).
        async with session.get(url, max_redirects=MAX_REDIRECTS) as resp:
            if resp.status != 200:
                raise InvalidInputError("url", f"{url}: HTTP {resp.status}")
            if (resp.content_length or 0) > left:
                raise _too_big(url)
            body = bytearray()
            async for chunk in resp.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > left:
                    raise _too_big(url)
            return bytes(body), resp.headers.get("Content-Type", "")
    except aiohttp.ClientError as exc:
        cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
        if isinstance(cause, NonGlobalAddressError):
            raise InvalidInputError("url", f"{url}: refused, {cause.strerror} (fetches from "
                                    "private networks are off: api.import_fetch_private)"
                                    ) from None
        raise InvalidInputError("url", f"{url}: {exc or type(exc).__name__}") from None


def _too_big(url: URL) -> InvalidInputError:
    return InvalidInputError("url", f"{url}: the feed is larger than api.max_body_bytes")


def _next_page(body: bytes, url: str, content_type: str) -> URL | None:
    """The page's next link if it is an http(s) URL; a page that is not a feed has none
    (the import says what is wrong with it)."""
    try:
        found = parse_feed(body, ZoneInfo("UTC"), url, content_type).next_url
    except ImportFormatError:
        return None
    if found is None:
        return None
    try:
        return feed_url(found)
    except InvalidInputError:
        return None
