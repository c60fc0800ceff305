"""GET /api/imports a page at a time, like every list; POST /api/imports?kind=feed&url=...
fetching a feed (and the pages after it) from a real server on loopback, bounded: http(s)
only, at most api.max_body_bytes, a 400 naming `url` for every fetch that fails, and the
server answering other requests while it waits. The feeds are served on loopback, so these
tests allow private addresses (api.import_fetch_private); the guard that refuses them by
default has its own tests (test_api_import_fetch_guard.py)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.feeds.imports.exports import wxr_export, wxr_post
from tests.server.api_conftest import Api

FEED_JSON = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures" / "feed" / \
    "feed.json"
Serve = Callable[..., Awaitable[TestServer]]
PRIVATE_OK = {"import_fetch_private": True}


@pytest.fixture
async def api(make_api: Callable[..., Awaitable[Api]]) -> Api:
    """syndic as tests/server/conftest.py's `api`, fetching from loopback allowed."""
    return await make_api(api=PRIVATE_OK)


def atom_page(page: int, next_href: str | None, padding: int = 0) -> str:
    entries = "".join(
        f"<entry><id>tag:old.example,2024:post-{page}-{n}</id><title>Page {page}, post {n}"
        f"</title><published>2024-0{page}-0{n}T10:00:00Z</published><updated>2024-0{page}-0"
        f"{n}T10:00:00Z</updated><link href='https://old.example/{page}/{n}.html'/>"
        f"<content type='html'>&lt;p&gt;Words {page}.{n}{'x' * padding}&lt;/p&gt;</content>"
        f"</entry>" for n in (1, 2))
    nxt = f"<link rel='next' href='{next_href}'/>" if next_href else ""
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<id>tag:old.example,2024:feed</id><title>Old</title><updated>2024-03-01T00:00:00Z"
            f"</updated><author><name>Old Author</name></author>{nxt}{entries}</feed>")


async def old_blog(aiohttp_server: Serve, *, next_href: str = "/feed.atom?page=2",
                   padding: int = 0, delay: float = 0) -> tuple[str, list[str]]:
    """A feed of two pages on loopback; the URL of its first page, and what was asked."""
    asked: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        await asyncio.sleep(delay)
        page = int(request.query.get("page", "1"))
        body = atom_page(page, next_href if page == 1 else None, padding)
        return web.Response(text=body, content_type="application/atom+xml")

    async def streamed(request: web.Request) -> web.StreamResponse:
        # No Content-Length: the size is only known while reading.
        resp = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(64):
            await resp.write(b"<!-- " + b"x" * 1000 + b" -->")
        await resp.write_eof()
        return resp

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    app.router.add_get("/streamed.atom", streamed)
    app.router.add_get("/moved", moved)
    server = await aiohttp_server(app)
    return str(server.make_url("/feed.atom")), asked


def _q(url: str) -> str:
    from urllib.parse import quote
    return quote(url, safe="")


# -- paging ---------------------------------------------------------------------------------


async def test_import_runs_are_listed_a_page_at_a_time_newest_first(api: Api) -> None:
    feed = FEED_JSON.read_bytes()
    made = [(await api.post("/api/imports?kind=feed", data=feed, expect=201)).json["id"]
            for _ in range(3)]

    first = (await api.get("/api/imports?limit=2", expect=200)).json

    assert first["total"] == 3 and [r["id"] for r in first["items"]] == made[::-1][:2]
    assert first["next"] is not None and "offset=2" in first["next"]
    second = (await api.get(first["next"], expect=200)).json
    assert [r["id"] for r in second["items"]] == [made[0]] and second["next"] is None
    everything = (await api.get("/api/imports", expect=200)).json
    assert [r["id"] for r in everything["items"]] == made[::-1]
    for bad in ("limit=0", "limit=501", "offset=-1", "limit=two"):
        reply = await api.get(f"/api/imports?{bad}", expect=400)
        assert reply.field == bad.split("=")[0]


# -- a feed by URL --------------------------------------------------------------------------


async def test_a_feed_url_is_fetched_with_the_pages_after_it_and_imported(
    api: Api, aiohttp_server: Serve,
) -> None:
    url, asked = await old_blog(aiohttp_server)

    reply = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=201)

    run = reply.json
    assert asked == ["/feed.atom", "/feed.atom?page=2"]
    assert run["state"] == "done" and run["source"] == f"feed:{url}"
    assert run["report"]["posts"] == {"added": 4, "updated": 0, "unchanged": 0}
    titles = {p["title"] for p in (await api.get("/api/posts")).json["items"]}
    assert titles == {f"Page {p}, post {n}" for p in (1, 2) for n in (1, 2)}
    again = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=201)
    assert again.json["report"]["posts"] == {"added": 0, "updated": 0, "unchanged": 4}


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://old.example/feed.atom", "gopher://127.0.0.1:70/",
    "javascript:alert(1)", "old.example/feed.atom", "http://", "http:///feed.atom",
    "http://old.example/feed atom", "http://old.example/\x01",
])
async def test_only_an_absolute_http_or_https_url_is_fetched(api: Api, url: str) -> None:
    reply = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=400)
    assert reply.field == "url"
    assert (await api.get("/api/imports")).json["total"] == 0


async def test_a_url_goes_with_kind_feed_and_no_body(api: Api, aiohttp_server: Serve) -> None:
    url, asked = await old_blog(aiohttp_server)

    wrong_kind = await api.post(f"/api/imports?kind=wordpress&url={_q(url)}", expect=400)
    both = await api.post(f"/api/imports?kind=feed&url={_q(url)}",
                          data=FEED_JSON.read_bytes(), expect=400)

    assert wrong_kind.field == both.field == "url"
    assert asked == []


async def test_a_fetch_that_fails_is_a_400_naming_the_url_and_no_run(
    api: Api, aiohttp_server: Serve,
) -> None:
    url, _ = await old_blog(aiohttp_server)
    missing = url.replace("/feed.atom", "/nothing-here")
    cases = {
        missing: "HTTP 404",
        "http://127.0.0.1:9/feed.atom": "127.0.0.1:9",  # nothing listens on the discard port
        url.replace("/feed.atom", "/moved"): "moved",  # a redirect to file:
    }
    for target, said in cases.items():
        reply = await api.post(f"/api/imports?kind=feed&url={_q(target)}", expect=400)
        assert reply.field == "url" and said in reply.json["detail"], reply.json
    assert (await api.get("/api/imports")).json["total"] == 0


async def test_a_feed_larger_than_max_body_bytes_is_refused(
    make_api: Callable[..., Awaitable[Api]], aiohttp_server: Serve,
) -> None:
    api = await make_api(api={"max_body_bytes": 8192, **PRIVATE_OK})
    # One page under the limit, the two together over it: the limit is for the whole fetch.
    url, asked = await old_blog(aiohttp_server, padding=2500)
    streamed = url.replace("/feed.atom", "/streamed.atom")

    both = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=400)
    chunked = await api.post(f"/api/imports?kind=feed&url={_q(streamed)}", expect=400)

    assert asked == ["/feed.atom", "/feed.atom?page=2"]
    for reply in (both, chunked):
        assert reply.field == "url" and "larger than api.max_body_bytes" in reply.json["detail"]
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_a_next_link_that_is_not_http_is_not_followed(
    api: Api, aiohttp_server: Serve,
) -> None:
    url, asked = await old_blog(aiohttp_server, next_href="file:///etc/passwd")

    reply = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=201)

    assert asked == ["/feed.atom"]
    assert reply.json["report"]["posts"]["added"] == 2


async def test_the_server_keeps_answering_while_a_feed_is_fetched(
    api: Api, aiohttp_server: Serve,
) -> None:
    url, _ = await old_blog(aiohttp_server, delay=0.5)
    importing = asyncio.create_task(
        api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=201))
    await asyncio.sleep(0.1)

    started = time.monotonic()
    await api.get("/api/posts", expect=200)

    assert time.monotonic() - started < 0.4
    assert not importing.done()
    assert (await importing).json["report"]["posts"]["added"] == 4


@pytest.mark.parametrize("kind", ["wordpress", "blogger", "feed"])
async def test_a_malformed_export_is_a_400_naming_the_body_and_its_line(
    api: Api, kind: str,
) -> None:
    broken = b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>T</tit\n'
    reply = await api.post(f"/api/imports?kind={kind}", data=broken, expect=400)
    assert reply.field == "body" and reply.json["detail"].startswith("line ")
    assert (await api.get("/api/posts")).json["total"] == 0


def rss(item: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>T</title>\n'
            f"<item><guid>urn:x:1</guid><title>Good</title></item>\n{item}</channel></rss>"
            ).encode()


async def test_a_feed_item_dated_past_the_year_9999_in_utc_is_skipped_not_a_500(api: Api) -> None:
    data = rss("<item><guid>urn:x:2</guid><title>Late</title>"
               "<pubDate>9999-12-31T23:59:59-23:59</pubDate></item>")
    reply = await api.post("/api/imports?kind=feed", data=data, expect=201)
    report = reply.json["report"]
    assert report["posts"]["added"] == 1
    assert report["skipped"] == [{"where": "entry 2", "title": "Late", "reason":
                                  "published: date out of range: '9999-12-31T23:59:59-23:59'"}]


async def test_a_feed_with_a_surrogate_character_reference_is_a_400_naming_its_line(
    api: Api,
) -> None:
    data = rss("<item><guid>urn:x:2</guid><title>Half</title>\n"
               "<description>&#xD800;</description></item>")
    reply = await api.post("/api/imports?kind=feed", data=data, expect=400)
    assert reply.field == "body"
    assert reply.json["detail"] == ("line 5: not well-formed XML: reference to invalid"
                                    " character number; import 1 stored nothing")
    assert (await api.get("/api/posts")).json["total"] == 0


@pytest.mark.parametrize(("bad", "said"), [
    ("<wp:post_id>3</wp:post_idd>", r"Opening and ending tag mismatch: post_id line 7 and "
                                    r"post_idd \(column \d+\)"),
    ("<wp:post_id>3</wp:post_id><wp:post_name>a\x0bb</wp:post_name>",
     r"invalid character U\+000B, which XML does not allow \(column 42\)"),
])
async def test_an_export_broken_inside_an_item_names_the_item_what_was_stored_and_the_run(
    api: Api, bad: str, said: str,
) -> None:
    """docs/publishing.md: a malformed file stops with the line, the item the break cut off
    (never stored half) and what the run stored before it; through the API as on the command
    line, and with the run to read its report from."""
    broken = wxr_post(3, "A tomato gallery", "2020-05-10 16:00:00").replace(
        "<wp:post_id>3</wp:post_id>", f"\n{bad}\n")
    export = wxr_export(wxr_post(1, "Leeks", "2020-05-01 10:00:00"),
                        wxr_post(2, "Beans", "2020-05-02 10:00:00"), broken)

    reply = await api.post("/api/imports?kind=wordpress", data=export, expect=400)

    assert reply.field == "body"
    stopped = re.fullmatch(
        rf"line 7: not well-formed XML: {said}; item 3 \(line 6\) 'A tomato gallery' is cut"
        r" off: not imported; import (\d+) stored what came before: posts: 2 added, 0 updated,"
        r" 0 unchanged; comments: 0 added, 0 updated, 0 unchanged; 1 skipped",
        reply.json["detail"])
    assert stopped is not None, reply.json["detail"]
    assert reply.json["instance"] == f"/api/imports/{stopped[1]}"
    run = (await api.get(reply.json["instance"], expect=200)).json
    assert run["state"] == "failed" and run["report"]["posts"]["added"] == 2
    assert run["report"]["skipped"] == [{"where": "item 3 (line 6)", "title": "A tomato gallery",
                                         "reason": "cut off where the file breaks"}]
    assert sorted(p["title"] for p in (await api.get("/api/posts")).json["items"]) == [
        "Beans", "Leeks"]


async def test_a_page_left_out_of_an_api_import_names_the_apis_parameter(api: Api) -> None:
    """The report says how to bring pages in to the one who reads it: `--pages` on the
    command line, `?pages=true` here."""
    page = wxr_post(2, "About", "2020-05-01 10:00:00").replace(
        "<wp:post_type>post", "<wp:post_type>page")
    export = wxr_export(wxr_post(1, "Leeks", "2020-05-01 10:00:00"), page)

    report = (await api.post("/api/imports?kind=wordpress", data=export, expect=201)
              ).json["report"]

    [skipped] = report["skipped"]
    assert (skipped["title"], skipped["reason"]) == (
        "About", "page (pages come in with --pages, or ?pages=true through the API)")
    again = await api.post("/api/imports?kind=wordpress&pages=true", data=export, expect=201)
    assert again.json["report"]["skipped"] == []
