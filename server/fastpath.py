"""The fast path: a GET or HEAD of a feed held in memory, answered without aiohttp.

Serving a cached feed is a dictionary lookup and one write; aiohttp's per-request machinery
(parser, Request and Response objects, header serialisation) costs several times that
(docs/benchmarks.md: a do-nothing aiohttp handler reaches 0.35-0.54 of nginx). So each
connection starts with FastProtocol, which parses just enough of a request to answer the
simple, frequent case from pre-built response heads (CachedFeed.wire). Anything else, or
anything unusual (a body, HTTP/1.0, an upgrade, a feed not in memory, a bad parameter),
hands the connection over to aiohttp's RequestHandler with the bytes not yet answered, and
aiohttp keeps it: one code path for every answer that is not a cached feed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import overload
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web_runner import BaseSite

from feeds.errors import FeedsError
from feeds.query import feed_key_string, parse_feed_request
from server.access_log import ACCESS_LOG, access_line
from server.cors import PUBLIC_CORS_LINES
from server.feed_cache import NOT_MODIFIED, CachedFeed, CacheKey
from server.http_cache import codings_by_preference, select_representation
from server.keys import FEEDS, SETTINGS, SITES

log = logging.getLogger("syndic.http")
MAX_HEAD = 16 * 1024
COPY_LIMIT = 64 * 1024
MEMO_SIZE = 4096
KEEPALIVE_SECONDS = 75.0  # aiohttp's default keep-alive timeout
_BODY_HEADERS = ("content-length", "transfer-encoding", "expect", "upgrade")

Request = tuple[str, str, dict[str, str]]  # method, target, lower-cased headers


@overload
def _read(value: str) -> str: ...
@overload
def _read(value: str | None) -> str | None: ...
def _read(value: str | None) -> str | None:
    """A head's text as aiohttp reads it, for the access log: UTF-8 (undecodable bytes kept
    as surrogates) where parse_head read latin-1."""
    if value is None or value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def parse_head(head: bytes) -> Request | None:
    """Request line and headers of an HTTP/1.1 GET or HEAD without a body; None for
    anything else (aiohttp then answers it, errors included)."""
    try:
        text = head.decode("latin-1")
        request_line, *lines = text.split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        return None
    if method not in ("GET", "HEAD") or version != "HTTP/1.1" or not target.startswith("/"):
        return None
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name[0] in " \t" or name[-1] in " \t":
            return None  # obsolete line folding or a malformed field (RFC 9112 §5)
        name = name.lower()
        value = value.strip(" \t")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if any(h in headers for h in _BODY_HEADERS if headers.get(h, "0") != "0"):
        return None
    return method, target, headers


class FastPath:
    """Answers from the feed cache; knows nothing of sockets."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.sites = app[SITES]
        self.cache = app[FEEDS].cache
        self.settings = app[SETTINGS].feeds
        self.log = app.get(ACCESS_LOG)
        self._memo: dict[tuple[str, str], CacheKey | None] = {}
        self._memo_generation = self.sites.generation
        self._date_second = -1
        self._date_value = b""
        self._date_line = b""
        self._codings: dict[str | None, tuple[str, ...]] = {}
        self.connections: set[FastProtocol] = set()

    def _key_for(self, host: str, target: str) -> CacheKey | None:
        if self._memo_generation != self.sites.generation:
            self._memo.clear()
            self._memo_generation = self.sites.generation
        memo_key = (host, target)
        if memo_key in self._memo:
            return self._memo[memo_key]
        key = self._resolve(host, target)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[memo_key] = key
        return key

    def _resolve(self, host: str, target: str) -> CacheKey | None:
        path, _, query_string = target.partition("?")
        params: dict[str, str] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            params.setdefault(name, value)  # the first value, as aiohttp's query.get gives
        site = self.sites.for_host(host)
        s = self.settings
        try:
            key, fmt = parse_feed_request(path, params, default_max=s.default_max_results,
                                          cap=s.max_results_cap, tz=ZoneInfo(site.timezone))
        except (FeedsError, LookupError):
            return None  # aiohttp answers: 400 naming the parameter, or 404
        return (site.id, feed_key_string(key, s.default_max_results), fmt)

    def _date(self) -> bytes:
        second = int(time.time())
        if second != self._date_second:
            self._date_second = second
            self._date_value = formatdate(second, usegmt=True).encode()
            # The CORS headers every fast answer carries ride with the Date: one fewer
            # join per request, and ~330 fewer bytes per feed held (its six heads).
            self._date_line = PUBLIC_CORS_LINES + b"Date: " + self._date_value + b"\r\n"
        return self._date_line

    def answer(self, request: Request, peer: str, closing: bool) -> list[bytes] | None:
        """The response to send, as buffers, or None to hand the request to aiohttp."""
        started = time.perf_counter()
        method, target, headers = request
        key = self._key_for(headers.get("host", ""), target)
        if key is None:
            return None
        feed = self.cache.get(key)
        if feed is None or not feed.bodies:
            return None
        codings = self._codings_for(headers.get("accept-encoding"))
        inm, ims = headers.get("if-none-match"), headers.get("if-modified-since")
        coding, not_modified = codings[0], False
        if inm is not None or ims is not None:  # as server/handlers/feeds.py's respond()
            coding, not_modified = select_representation(
                codings, if_none_match=inm, if_modified_since=ims,
                etag=feed.artifact.etag, last_modified=feed.artifact.last_modified)
        if not_modified:
            status, head, body = 304, feed.wire[NOT_MODIFIED[coding]], b""
        else:
            if coding not in feed.bodies:  # not compressed yet: aiohttp's path waits
                return None
            status, head, body = 200, feed.wire[coding], feed.bodies[coding]
        end = b"Connection: close\r\n\r\n" if closing else b"\r\n"
        sent = body if method == "GET" else b""
        if self.log is not None:
            ms = (time.perf_counter() - started) * 1000
            self.log.add(access_line(self.log, peer, method, _read(target), "1.1", status,
                                     len(sent), ms, _read(headers.get("host")),
                                     _read(headers.get("referer")),
                                     _read(headers.get("user-agent"))))
        date = self._date()
        if feed.modified_second is not None and feed.modified_second > self._date_second:
            head = self._modified_now(head, feed)
        head = head + date + end
        # One send for a small answer (a copy is cheaper than a second system call); a
        # large body goes as it is, uncopied (on Python 3.11 writelines() would join them).
        if len(sent) <= COPY_LIMIT:
            return [head + sent]
        return [head, sent]

    def _codings_for(self, accept_encoding: str | None) -> tuple[str, ...]:
        """codings_by_preference, remembered: readers send a handful of distinct headers."""
        codings = self._codings.get(accept_encoding)
        if codings is None:
            if len(self._codings) >= MEMO_SIZE:
                self._codings.clear()
            codings = self._codings[accept_encoding] = codings_by_preference(accept_encoding)
        return codings

    def _modified_now(self, head: bytes, feed: CachedFeed) -> bytes:
        """A head whose Last-Modified is ahead of the clock (a feed changed twice within a
        second: feeds/versions.py) with the Date's instead (RFC 9110 §8.8.2.1)."""
        dated = f"Last-Modified: {feed.headers['Last-Modified']}\r\n".encode()
        return head.replace(dated, b"Last-Modified: " + self._date_value + b"\r\n")

    def close_all(self) -> None:
        for connection in list(self.connections):
            connection.close()


class FastProtocol(asyncio.Protocol):
    """One connection: fast answers while requests are simple, then aiohttp's."""

    def __init__(self, fast: FastPath, fallback: Callable[[], asyncio.Protocol]) -> None:
        self.fast = fast
        self.fallback = fallback
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.peer = "-"
        self.paused = False
        self._idle: asyncio.TimerHandle | None = None
        self._last_seen = 0.0
        self._loop_time: Callable[[], float] = time.monotonic

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        self.fast.connections.add(self)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._last_seen = self._loop_time()
        self._process()

    def _process(self) -> None:
        transport = self.transport
        while transport is not None and not self.paused:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self._hand_over()
                return
            request = parse_head(bytes(self.buffer[:end]))
            if request is None:
                self._hand_over()
                return
            closing = "close" in request[2].get("connection", "").lower()
            try:
                response = self.fast.answer(request, self.peer, closing)
            except Exception:
                # An exception here would end the connection with no answer at all (asyncio
                # logs "protocol.data_received() call failed" and closes it): aiohttp
                # answers instead, a 500 at worst.
                log.exception("the fast path failed on %r; aiohttp answers it", request[1])
                response = None
            if response is None:
                self._hand_over()
                return
            del self.buffer[: end + 4]
            for chunk in response:
                transport.write(chunk)
            if closing:
                transport.close()
                return

    def _hand_over(self) -> None:
        """aiohttp takes the connection, with every byte not yet answered."""
        transport = self.transport
        assert transport is not None
        self._disarm()
        self.fast.connections.discard(self)
        self.transport = None
        handler = self.fallback()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self.paused:
            handler.pause_writing()
        if self.buffer:
            data, self.buffer = bytes(self.buffer), bytearray()
            handler.data_received(data)

    def pause_writing(self) -> None:
        # A reader not reading its answers: stop reading its requests too.
        self.paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        if self.transport is not None:
            self.transport.resume_reading()
            self._process()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        self.fast.connections.discard(self)
        self.transport = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _arm_idle(self) -> None:
        # One timer per connection that re-arms itself, not a new timer per request.
        loop = asyncio.get_running_loop()
        self._loop_time = loop.time
        self._last_seen = loop.time()
        self._idle = loop.call_later(KEEPALIVE_SECONDS, self._check_idle)

    def _check_idle(self) -> None:
        idle_for = self._loop_time() - self._last_seen
        if idle_for >= KEEPALIVE_SECONDS:
            self.close()
        elif self.transport is not None:
            self._idle = asyncio.get_running_loop().call_later(
                KEEPALIVE_SECONDS - idle_for, self._check_idle)

    def _disarm(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None


class FastSite(BaseSite):
    """A listening socket whose connections start on the fast path (TCPSite otherwise)."""

    def __init__(self, runner: web.AppRunner, host: str | None = None, port: int = 0,
                 sock: socket.socket | None = None, reuse_port: bool = False) -> None:
        super().__init__(runner)
        self._host, self._port, self._sock, self._reuse_port = host, port, sock, reuse_port
        self.fast: FastPath | None = None

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        server = self._server
        if server is not None and getattr(server, "sockets", None):
            return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self._port

    async def start(self) -> None:
        await super().start()
        runner = self._runner
        assert isinstance(runner, web.AppRunner) and runner.server is not None
        fast = self.fast = FastPath(runner.app)
        server = runner.server

        def factory() -> asyncio.Protocol:
            return FastProtocol(fast, server)

        loop = asyncio.get_running_loop()
        if self._sock is not None:
            self._server = await loop.create_server(factory, sock=self._sock)
        else:
            self._server = await loop.create_server(
                factory, self._host, self._port, reuse_address=True, reuse_port=self._reuse_port
            )

    async def stop(self) -> None:
        if self.fast is not None:
            self.fast.close_all()
        await super().stop()
