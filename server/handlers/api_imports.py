"""/api/imports: an export sent as the request body (?kind=blogger|wordpress|feed), or a feed
fetched from `?url=` (kind=feed), imported like `syndic import`; the answer is the run with
its report (each skipped item and why). Unless api.import_fetch_private, the fetch connects
to global addresses only (no loopback, private, link-local, cloud metadata...): the server
fetches on a client's word and must not become its way into the network behind it."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import ipaddress
import socket
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from feeds.content import strip_xml_illegal
from feeds.errors import InvalidInputError
from feeds.imports.feed import parse_feed
from feeds.imports.items import ImportFormatError
from feeds.websub import is_private_address
from server.api_input import idempotency, next_link, page, site_of
from server.handlers.api_common import json_response, remember_answer, replay
from server.importing import KINDS, ImportSource, file_source, run_import
from server.keys import CLOCK, FETCH_ALLOWED_FOR_TESTS, PUBLISHER, SETTINGS, STORE, WAKE
from server.openapi import FETCH_PAGE_SECONDS, FETCH_PAGES, FETCH_SECONDS
from server.representations import import_json

MAX_REDIRECTS = 5
CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _import_id(request: web.Request) -> int:
    raw = request.match_info["import_id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise InvalidInputError("import_id", "must be a whole number")
    return int(raw)


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    kind = request.query.get("kind", "")
    if kind not in KINDS:
        raise InvalidInputError("kind", f"must be one of {', '.join(KINDS)}")
    pages = request.query.get("pages", "false").lower() in ("1", "true", "yes")
    url = request.query.get("url")
    data = await request.read()
    # The body hashed off the loop: an upload may be api.max_body_bytes long.
    body_hash = await asyncio.to_thread(lambda: hashlib.sha256(data).digest()) if data else b""
    idem = idempotency(request, "import", body_hash)
    if (again := await replay(request, idem, site)) is not None:
        return again
    if url is not None:
        if kind != "feed":
            raise InvalidInputError("url", "only a feed (kind=feed) is fetched from a URL")
        if data:
            raise InvalidInputError("url", "send the export as the body or name a feed URL, "
                                    "not both")
        settings = app[SETTINGS].api
        guard = None if settings.import_fetch_private else FetchGuard(
            app.get(FETCH_ALLOWED_FOR_TESTS, frozenset()))
        fetched = await fetch_feed_pages(_feed_url(url), settings.max_body_bytes, guard)
        source = ImportSource("feed", url, pages=fetched)
    elif not data:
        raise InvalidInputError("body", "send the export file as the request body")
    else:
        source = file_source(kind, data, "upload", include_pages=pages)
    run_id, _ = await run_import(app[STORE], site, app[PUBLISHER].ctx, source, app[CLOCK].now)
    app[WAKE]()
    answer = import_json(await app[STORE].import_run(run_id))
    await remember_answer(request, idem, answer)
    return json_response(answer, 201, Location=f"/api/imports/{run_id}")


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    # Every run, for the total: a site has tens of runs, not thousands.
    runs = await request.app[STORE].import_runs(site.id, limit=2**31 - 1)
    return json_response({"items": [import_json(r) for r in runs[offset:offset + limit]],
                          "total": len(runs), "next": next_link(request, len(runs), limit,
                                                                offset)})


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    return json_response(import_json(await request.app[STORE].import_run(
        _import_id(request), site.id)))


# -- a feed fetched for the API ---------------------------------------------------------------


def _feed_url(raw: str) -> URL:
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


async def fetch_feed_pages(url: URL, max_bytes: int,
                           guard: FetchGuard | None) -> list[tuple[bytes, str, str]]:
    """The feed at `url` and the pages after it (RFC 5005 rel=next), as (body, url, content
    type), like server/importing.fetch_feed, but bounded for a request from the network:
    http(s) only (the next links and redirects too), at most `max_bytes` in all (what an
    upload may be), FETCH_PAGES pages, FETCH_PAGE_SECONDS a page and FETCH_SECONDS in all,
    global addresses only with a `guard`. A fetch that fails is a 400 naming `url`. Pages
    are parsed (for their next link) in a thread: the loop keeps serving."""
    pages: list[tuple[bytes, str, str]] = []
    seen: set[URL] = set()
    left = max_bytes
    next_url: URL | None = url
    timeout = aiohttp.ClientTimeout(total=FETCH_PAGE_SECONDS)
    # The session owns (and closes) the connector; the connector closes a resolver only
    # when it made it, so ours is closed here.
    resolver = _GlobalOnlyResolver(guard) if guard is not None else None
    connector = None if guard is None else aiohttp.TCPConnector(
        resolver=resolver, socket_factory=guard.socket_for)
    try:
        async with asyncio.timeout(FETCH_SECONDS), aiohttp.ClientSession(
                connector=connector, timeout=timeout, max_field_size=16 * 1024) as session:
            while next_url is not None and next_url not in seen:
                if len(pages) == FETCH_PAGES:
                    raise InvalidInputError("url", f"more than {FETCH_PAGES} pages")
                seen.add(next_url)
                body, content_type = await _get(session, next_url, left)
                left -= len(body)
                pages.append((body, str(next_url), content_type))
                next_url = await asyncio.to_thread(_next_page, body, str(next_url),
                                                   content_type)
    except TimeoutError:
        raise InvalidInputError("url", f"{next_url}: no answer within "
                                f"{FETCH_PAGE_SECONDS} s (or the whole fetch took over "
                                f"{FETCH_SECONDS} s)") from None
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
        return _feed_url(found)
    except InvalidInputError:
        return None
