"""A feed and the pages after it (RFC 5005 rel=next), fetched within bounds: http(s) only
(its next links and redirects too), a number of pages, time a page and in all, optionally a
byte budget and a guard that connects to global addresses only. One fetcher for `syndic
import feed URL` (unbounded in bytes, unguarded: the operator's own action) and for
`POST /api/imports?url=` (api.max_body_bytes, and the guard unless
api.import_fetch_private: the server fetches on a client's word and must not become its way
into the network behind it). A fetch that fails is an InvalidInputError naming `url`."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from feeds.content import strip_xml_illegal
from feeds.errors import InvalidInputError
from feeds.imports.feed import parse_feed
from feeds.imports.items import ImportFormatError
from feeds.websub import is_private_address
from server.openapi import FETCH_PAGE_SECONDS, FETCH_PAGES, FETCH_SECONDS

MAX_REDIRECTS = 5
CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


class NonGlobalAddressError(OSError):
    """A connection the guard refused: the address is not a global one."""


class FetchGuard:
    """Connections to global addresses only, decided in the connector, on the addresses
    connected to: a name that resolves to a public address when checked and to a private
    one when connected (DNS rebinding) cannot slip through, and every hop (the URL, each
    redirect, each next page) goes through it. A name resolving to any address that is not
    global is refused whole; an IP literal, which aiohttp 3.14 connects to without asking
    the resolver (TCPConnector._resolve_host), is checked by the socket factory, which sees
    every address before its socket exists."""

    def __init__(self, allowed_for_tests: frozenset[IPAddress] = frozenset()) -> None:
        self.allowed_for_tests = allowed_for_tests

    def refuses(self, ip: str) -> bool:
        """feeds/websub.is_private_address: not ipaddress's is_global, or private, loopback,
        link-local, reserved, multicast, unspecified; IPv4-mapped, NAT64 and 6to4 forms are
        judged by the IPv4 address they carry."""
        return ipaddress.ip_address(ip) not in self.allowed_for_tests and \
            is_private_address(ip)

    def socket_for(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """The socket to connect to `addr_info` (TCPConnector's socket_factory)."""
        family, type_, proto, _, address = addr_info
        if self.refuses(address[0]):
            raise NonGlobalAddressError(errno.EACCES, f"{address[0]} is not a global address")
        return socket.socket(family=family, type=type_, proto=proto)


class _GlobalOnlyResolver(AbstractResolver):
    def __init__(self, guard: FetchGuard) -> None:
        self._guard = guard
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for result in found:
            if self._guard.refuses(result["host"]):
                raise NonGlobalAddressError(
                    errno.EACCES, f"{host} resolves to {result['host']}, not a global address")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def fetch_feed_pages(
    url: URL, max_bytes: int | None, guard: FetchGuard | None, *,
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
    resolver = _GlobalOnlyResolver(guard) if guard is not None else None
    connector = None if guard is None else aiohttp.TCPConnector(
        resolver=resolver, socket_factory=guard.socket_for)
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
