"""The fast path in front of aiohttp: cached feeds answered from pre-built bytes, every other
request handed to aiohttp with the connection, over raw sockets on loopback."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from feeds.models import FeedFormat
from server.access_log import ACCESS_LOG, FastAccessLogger
from server.app import create_app
from server.clock import FakeClock
from server.fastpath import FastSite, parse_head
from server.keys import FEEDS

Site = tuple[web.Application, int]


@pytest.fixture
async def fast(make_settings: Any, clock: FakeClock, demo_template: Path,
               tmp_path: Path) -> AsyncIterator[Site]:
    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    app = create_app(make_settings(server={"access_log": True}), clock=clock)
    runner = web.AppRunner(app, handle_signals=False,
                           access_log_class=FastAccessLogger)  # as `syndic serve` has it
    await runner.setup()
    site = FastSite(runner, "127.0.0.1", 0)
    await site.start()
    yield app, site.port
    await runner.cleanup()


async def exchange(port: int, raw: bytes, responses: int) -> list[tuple[bytes, bytes]]:
    """Send raw bytes, read `responses` answers: [(head, body)]."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    out = []
    for _ in range(responses):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length) if length and b"HEAD" not in raw[:4] else b""
        out.append((head, body))
    writer.close()
    return out


def by_aiohttp(head: bytes) -> bool:
    """Whether aiohttp answered: both say Server: syndic, but the fast path's heads say it
    first (server/feed_cache.py), aiohttp's after the handler's headers."""
    return head.split(b"\r\n")[1] != b"Server: syndic"


def get(target: str, *extra: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: blog.test", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def cached_body(app: web.Application, key: str, fmt: str, encoding: str = "identity") -> bytes:
    feed = app[FEEDS].cache.get((1, key, FeedFormat(fmt)))
    assert feed is not None
    return feed.bodies[encoding]


async def test_a_cached_feed_is_answered_with_its_bytes_by_the_fast_path(fast: Site) -> None:
    app, port = fast
    [(head, body)] = await exchange(port, get("/feeds/posts/default?alt=rss"), 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\nServer: syndic\r\n")
    assert b"\r\nDate: " in head and b"Content-Type: application/rss+xml" in head
    assert body == cached_body(app, "/feeds/posts/default", "rss")


async def test_pipelined_requests_are_answered_in_order(fast: Site) -> None:
    app, port = fast
    raw = get("/feed.atom") + get("/feed.json", "Accept-Encoding: br") + get("/feed.rss")
    answers = await exchange(port, raw, 3)
    assert [b"atom+xml" in h for h, _ in answers] == [True, False, False]
    assert b"Content-Encoding: br" in answers[1][0]
    assert answers[1][1] == cached_body(app, "/feeds/posts/default", "json", "br")
    assert b"rss+xml" in answers[2][0]


async def test_a_request_the_fast_path_cannot_answer_hands_the_connection_to_aiohttp(
    fast: Site,
) -> None:
    _, port = fast
    raw = (get("/feed.atom") + get("/feeds/posts/default?max-results=2")  # a variant
           + get("/feeds/posts/default?max-results=zero") + get("/feed.rss")
           + get("/", "Connection: close"))
    answers = await exchange(port, raw, 5)
    statuses = [h.split(b" ")[1] for h, _ in answers]
    assert statuses == [b"200", b"200", b"400", b"200", b"200"]
    assert b"Server: syndic" in answers[0][0]
    assert by_aiohttp(answers[1][0]) and by_aiohttp(answers[3][0])  # aiohttp keeps it
    assert b"max-results" in answers[2][1]


async def test_head_and_conditional_requests(fast: Site) -> None:
    app, port = fast
    feed = app[FEEDS].cache.get((1, "/feeds/posts/default", FeedFormat.ATOM))
    assert feed is not None
    etag = feed.artifact.etag
    [(head, body)] = await exchange(
        port, b"HEAD /feed.atom HTTP/1.1\r\nHost: blog.test\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and body == b""
    length = len(cached_body(app, "/feeds/posts/default", "atom"))
    assert f"Content-Length: {length}".encode() in head
    [(head, body)] = await exchange(port, get("/feed.atom", f"If-None-Match: W/{etag}"), 1)
    assert head.startswith(b"HTTP/1.1 304 Not Modified") and body == b""


async def test_each_codings_304_is_the_fast_paths_with_that_codings_etag(fast: Site) -> None:
    """As aiohttp's handler answers (tests/server/test_feed_validators.py), from pre-built
    heads: the gzip ETag is "<hash>-gz", the br one "<hash>-br"."""
    app, port = fast
    feed = app[FEEDS].cache.get((1, "/feeds/posts/default", FeedFormat.ATOM))
    assert feed is not None
    etag = feed.artifact.etag
    for coding, tag in (("gzip", etag[:-1] + '-gz"'), ("br", etag[:-1] + '-br"')):
        for method in ("GET", "HEAD"):
            raw = (f"{method} /feed.atom HTTP/1.1\r\nHost: blog.test\r\n"
                   f"Accept-Encoding: {coding}\r\nIf-None-Match: {tag}\r\n\r\n").encode()
            [(head, _)] = await exchange(port, raw, 1)
            assert head.startswith(b"HTTP/1.1 304 Not Modified\r\nServer: syndic\r\n")
            assert f"\r\nETag: {tag}\r\n".encode() in head


async def test_connection_close_is_honoured(fast: Site) -> None:
    _, port = fast
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/feed.atom", "Connection: close"))
    data = await asyncio.wait_for(reader.read(), 5)  # returns at EOF: the server closed
    assert data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
    writer.close()


@pytest.mark.parametrize("raw, status", [
    (b"GET /feed.atom HTTP/1.0\r\nHost: blog.test\r\n\r\n", b"200"),
    (b"POST /feed.atom HTTP/1.1\r\nHost: blog.test\r\nContent-Length: 2\r\n\r\nhi", b"405"),
    (b"GET /feed.atom HTTP/1.1\r\nHost: blog.test\r\n folded: value\r\n\r\n", b"400"),
    (b"GARBAGE\r\n\r\n", b"400"),
])
async def test_anything_unusual_is_aiohttps_to_answer(fast: Site, raw: bytes,
                                                      status: bytes) -> None:
    _, port = fast
    [(head, _)] = await exchange(port, raw, 1)
    assert head.split(b" ")[1] == status
    assert by_aiohttp(head)


async def test_every_answer_names_the_server_alike(fast: Site) -> None:
    """Server: syndic from the fast path and from aiohttp (a feed over HTTP/1.0, a 405, the
    admin API), not aiohttp's Python and aiohttp versions."""
    _, port = fast
    for raw in (get("/feed.atom"), b"GET /feed.atom HTTP/1.0\r\nHost: blog.test\r\n\r\n",
                b"POST /feed.atom HTTP/1.1\r\nHost: blog.test\r\nContent-Length: 0\r\n\r\n",
                get("/api/posts"), get("/no/such/page")):
        [(head, _)] = await exchange(port, raw, 1)
        servers = [line for line in head.split(b"\r\n") if line.lower().startswith(b"server:")]
        assert servers == [b"Server: syndic"], (raw, head)


async def test_fast_answers_are_written_to_the_access_log(fast: Site) -> None:
    app, port = fast
    await exchange(port, get("/feed.json"), 1)
    buffer = app[ACCESS_LOG]
    assert any('"GET /feed.json HTTP/1.1" 200' in line for line in buffer.lines)


async def test_the_access_log_says_which_site_and_which_reader_alike_on_both_paths(
    fast: Site,
) -> None:
    """Host and User-Agent (Combined Log Format, then the Host): several sites share the
    server, and publishers count subscribers by User-Agent. A quote or a CR LF in a header
    stays inside its field."""
    app, port = fast
    reader = b'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 "subscribers") \xc3\xa9'
    for version in (b"1.1", b"1.0"):  # the fast path, then aiohttp (HTTP/1.0 is its)
        await exchange(port, b"GET /feed.json HTTP/" + version + b"\r\nHost: blog.test\r\n"
                       b"User-Agent: " + reader + b"\tx\r\nReferer: http://blog.test/\r\n\r\n", 1)
    for _ in range(100):  # aiohttp logs once the answer is sent
        if len(app[ACCESS_LOG].lines) >= 2:
            break
        await asyncio.sleep(0.01)
    lines = app[ACCESS_LOG].lines[-2:]
    for line, version in zip(lines, ("1.1", "1.0"), strict=True):
        assert line.split("] ", 1)[1].startswith(f'"GET /feed.json HTTP/{version}" 200 ')
        assert line.endswith('"http://blog.test/" "Feedly/1.0 (+http://www.feedly.com/'
                             'fetcher.html; 42 \\"subscribers\\") \\xC3\\xA9\\x09x" '
                             f'"blog.test" {line.rsplit(" ", 1)[1]}'), line


def test_the_request_parser_takes_only_simple_gets_and_heads() -> None:
    assert parse_head(b"GET /x HTTP/1.1\r\nHost: a\r\nAccept: b\r\nAccept: c") == (
        "GET", "/x", {"host": "a", "accept": "b, c"})
    assert parse_head(b"GET /x HTTP/1.1\r\nContent-Length: 0") is not None
    for bad in (b"PUT /x HTTP/1.1", b"GET /x HTTP/1.0", b"GET x HTTP/1.1",
                b"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked",
                b"GET /x HTTP/1.1\r\nnocolon", b"GET /x HTTP/1.1 extra"):
        assert parse_head(bad) is None, bad


async def test_an_idle_connection_is_closed_after_the_keep_alive_time(
    fast: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.fastpath

    monkeypatch.setattr(server.fastpath, "KEEPALIVE_SECONDS", 0.3)
    _, port = fast
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):  # kept busy past the keep-alive time: stays open
        writer.write(b"HEAD /feed.atom HTTP/1.1\r\nHost: blog.test\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.15)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # then idle: closed
    writer.close()


async def test_a_request_the_fast_path_fails_on_is_answered_by_aiohttp_not_dropped(
    fast: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    # A bug in the fast path (one was a date overflowing to UTC) raised in data_received:
    # asyncio closed the connection, and the reader got no answer at all.
    import server.fastpath

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug of the fast path's own")

    monkeypatch.setattr(server.fastpath, "parse_feed_request", broken)
    _, port = fast
    answers = await exchange(port, get("/feed.atom") + get("/feeds/posts/default?alt=rss"), 2)
    assert [h.split(b" ")[1] for h, _ in answers] == [b"200", b"200"]
    assert by_aiohttp(answers[0][0]) and b"rss+xml" in answers[1][0]
    assert "the fast path failed on '/feed.atom'" in caplog.text


async def test_a_malformed_request_gets_its_400_and_one_access_line_without_a_traceback(
        fast: Site, caplog: pytest.LogCaptureFixture) -> None:
    """A port scanner, a folded header, TLS bytes on the plain port: aiohttp refuses them
    before routing, and the access log still says so, once, without an error logged."""
    app, port = fast
    before = len(app[ACCESS_LOG].lines)
    for raw in (b"GARBAGE\r\n\r\n",
                b"GET /feed.json HTTP/1.1\r\nHost: blog.test\r\nUser-Agent: one\r\n two\r\n\r\n",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40) + b"\r\n\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        head = await asyncio.wait_for(reader.read(200), 5)
        assert head.startswith(b"HTTP/1.") and b" 400 " in head.split(b"\r\n")[0], (raw, head)
        writer.close()
    for _ in range(100):
        if len(app[ACCESS_LOG].lines) >= before + 3:
            break
        await asyncio.sleep(0.01)
    lines = app[ACCESS_LOG].lines[before:]
    assert len(lines) == 3 and all('" 400 ' in line for line in lines), lines
    assert not [r for r in caplog.records if "access" in r.getMessage().lower()
                or (r.exc_info and r.exc_info[0] is AssertionError)], caplog.text


# A browser reader of another origin may read the answers (tests/server/test_feeds_cors.py).
async def test_the_fast_path_answers_carry_the_cors_headers(fast: Site) -> None:
    _, port = fast
    [(head, _)] = await exchange(port, get("/feeds/posts/default"), 1)
    assert not by_aiohttp(head) and head.startswith(b"HTTP/1.1 200 OK")
    etag = next(line for line in head.split(b"\r\n") if line.startswith(b"ETag: "))[6:]
    [(not_modified, _)] = await exchange(
        port, get("/feeds/posts/default", f"If-None-Match: {etag.decode()}"), 1)
    assert not by_aiohttp(not_modified) and not_modified.startswith(b"HTTP/1.1 304")
    for answer in (head, not_modified):
        assert answer.count(b"\r\nAccess-Control-Allow-Origin: *\r\n") == 1
        assert answer.count(
            b"\r\nAccess-Control-Expose-Headers: ETag, Last-Modified, Link\r\n") == 1
