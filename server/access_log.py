r"""A cheap access logger. aiohttp's default formats each line by interpreting a %-format
per request, which costs more than answering a cached feed; this writes a fixed line into a
buffer flushed at 64 KiB or a second after the first unflushed line (what nginx does with
`access_log ... buffer=64k flush=1s`).

The line is the Combined Log Format (Apache's and nginx's `combined`: log analysers read it
as it is), then the Host the request named (several sites share the server) and the time
taken:

    127.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET /feed.atom HTTP/1.1" 200 5120
    "-" "NetNewsWire (RSS Reader; https://netnewswire.com/)" "blog.example.com" 0.31ms

Quoted values are escaped as nginx escapes them: `"` and `\` with a backslash, every other
byte outside printable ASCII as \xHH (of its UTF-8), so no header can end the line or a
field early. A header not sent is "-"."""

from __future__ import annotations

import asyncio
import time
from typing import TextIO

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FLUSH_BYTES = 64 * 1024
FLUSH_SECONDS = 1.0


def _clf_time(t: time.struct_time) -> str:
    # Not strftime("%b"): the month name would follow the process locale.
    return (f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")


class LogBuffer:
    """Lines waiting to be written to a stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._clock_second = -1
        self._clock_text = ""

    def now_text(self) -> str:
        """The CLF time of this second, formatted once a second."""
        second = int(time.time())
        if second != self._clock_second:
            self._clock_second = second
            self._clock_text = _clf_time(time.gmtime(second))
        return self._clock_text

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)
        if self.size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._timer = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.lines:
            self.stream.write("".join(self.lines))
            self.stream.flush()
            self.lines.clear()
            self.size = 0


_PLAIN = frozenset(map(chr, range(0x20, 0x7F))) - {'"', "\\"}


def escaped(value: str | None) -> str:
    """A value for a quoted field of the line; "-" for none."""
    if value is None:
        return "-"
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return value  # the usual case, checked in C
    out = []
    for char in value:
        if char in _PLAIN:
            out.append(char)
        elif char in '"\\':
            out.append("\\" + char)
        else:  # surrogateescape: a header byte aiohttp could not decode stays that byte
            out.extend(f"\\x{b:02X}" for b in char.encode("utf-8", "surrogateescape"))
    return "".join(out)


def access_line(buffer: LogBuffer, peer: str, method: str, target: str, version: str,
                status: int, length: int, ms: float, host: str | None = None,
                referer: str | None = None, user_agent: str | None = None) -> str:
    return (f'{peer} - - [{buffer.now_text()}] "{escaped(method)} {escaped(target)} '
            f'HTTP/{version}" {status} {length} "{escaped(referer)}" "{escaped(user_agent)}" '
            f'"{escaped(host)}" {ms:.2f}ms\n')


ACCESS_LOG = web.AppKey("access_log", LogBuffer)


class FastAccessLogger(AbstractAccessLogger):
    """aiohttp's access logger for requests aiohttp answers; the buffer is the app's."""

    serving: LogBuffer | None = None
    """The buffer of the app this process serves (server/app.py sets it): a request aiohttp
    refused before routing it (a malformed request line or header, TLS bytes on the plain
    port) has no app to ask (aiohttp's `BaseRequest.app` asserts that it was routed), and
    still gets its line."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, duration: float) -> None:
        buffer = FastAccessLogger.serving
        if isinstance(request, web.Request) and request._match_info is not None:
            buffer = request.app.get(ACCESS_LOG, buffer)
        if buffer is None:
            return
        version = f"{request.version.major}.{request.version.minor}"
        headers = request.headers
        buffer.add(access_line(buffer, request.remote or "-", request.method, request.path_qs,
                               version, response.status, response.body_length, duration * 1000,
                               headers.get("Host"), headers.get("Referer"),
                               headers.get("User-Agent")))
