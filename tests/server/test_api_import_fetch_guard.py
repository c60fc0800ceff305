"""POST /api/imports?kind=feed&url=... with the default settings (api.import_fetch_private
false): the fetch connects to global addresses only. A URL on loopback, a private network,
link-local (cloud metadata) or any other address that is not global is a 400 naming `url`,
whether given as an IP literal or as a name resolving to one, and nothing is imported.

The hops after the first (redirects, next pages) are tested from a loopback server on
127.0.0.2 that the guard is told to trust (FETCH_ALLOWED_FOR_TESTS, a test-only seam): it
stands for a public server sending the fetch to 127.0.0.1, where another server counts
whatever reaches it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.clock import FakeClock
from server.keys import FETCH_ALLOWED_FOR_TESTS
from tests.server.api_conftest import TOKEN, Api
from tests.server.test_api_imports import _q, atom_page

Serve = Callable[..., Awaitable[TestServer]]
TRUSTED = "127.0.0.2"


async def feed_server(aiohttp_server: Serve, host: str = "127.0.0.1", *,
                      elsewhere: str = "") -> tuple[TestServer, list[str]]:
    """A feed on `host` (/feed.atom), and what was asked of it. With `elsewhere` (a base
    URL), /redirect sends there and /paged names a next page there."""
    asked: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        return web.Response(text=atom_page(1, None), content_type="application/atom+xml")

    async def redirect(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        raise web.HTTPFound(f"{elsewhere}/feed.atom")

    async def paged(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        body = atom_page(1, f"{elsewhere}/feed.atom?page=2")
        return web.Response(text=body, content_type="application/atom+xml")

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/paged", paged)
    return await aiohttp_server(app, host=host), asked


async def refused(api: Api, url: str) -> str:
    """Import `url`, expecting a 400 naming `url` and nothing stored; the problem's detail."""
    reply = await api.post(f"/api/imports?kind=feed&url={_q(url)}", expect=400)
    assert reply.field == "url", reply.json
    assert "not a global address" in reply.json["detail"], reply.json
    assert "api.import_fetch_private" in reply.json["detail"]
    assert (await api.get("/api/imports")).json["total"] == 0
    assert (await api.get("/api/posts")).json["total"] == 0
    return str(reply.json["detail"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/feed.atom",
    "http://[::1]:{port}/feed.atom",
    "http://localhost:{port}/feed.atom",  # a name resolving to loopback
    "http://0x7f000001:{port}/feed.atom",  # not an IP literal to aiohttp; getaddrinfo's
    "http://0.0.0.0:{port}/feed.atom",  # unspecified: Linux connects it to loopback
    "http://[::ffff:127.0.0.1]:{port}/feed.atom",  # IPv4-mapped IPv6
    "http://10.1.2.3/feed.atom",
    "http://192.168.0.1/feed.atom",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00::1]/feed.atom",  # unique local
    "http://[fe80::1]/feed.atom",  # link-local
    "http://[::ffff:10.1.2.3]/feed.atom",
    "http://100.64.0.1/feed.atom",  # shared address space (carrier-grade NAT)
    "http://224.0.0.1/feed.atom",  # multicast
    "http://240.0.0.1/feed.atom",  # reserved
])
async def test_a_url_on_an_address_that_is_not_global_is_refused(
    api: Api, aiohttp_server: Serve, url: str,
) -> None:
    server, asked = await feed_server(aiohttp_server)

    await refused(api, url.format(port=server.port))

    assert asked == []


async def test_a_name_is_refused_naming_the_address_it_resolves_to(
    api: Api, aiohttp_server: Serve,
) -> None:
    server, asked = await feed_server(aiohttp_server)

    detail = await refused(api, f"http://localhost:{server.port}/feed.atom")

    assert "localhost resolves to" in detail
    assert asked == []


# -- hops after a (trusted) first one -------------------------------------------------------


@pytest.fixture
async def api_trusting_127_0_0_2(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    make_settings: Callable[..., Any], clock: FakeClock,
) -> Api:
    """syndic with the default settings, its guard told to let 127.0.0.2 through."""
    app = create_app(make_settings(api={"tokens": [TOKEN]}), clock=clock)
    app[FETCH_ALLOWED_FOR_TESTS] = frozenset({ip_address(TRUSTED)})
    return Api(await aiohttp_client(app), clock)


@pytest.mark.parametrize("target", ["127.0.0.1", "localhost"])
async def test_a_redirect_to_an_address_that_is_not_global_is_refused(
    api_trusting_127_0_0_2: Api, aiohttp_server: Serve, target: str,
) -> None:
    api = api_trusting_127_0_0_2
    private, private_asked = await feed_server(aiohttp_server)
    public, public_asked = await feed_server(
        aiohttp_server, TRUSTED, elsewhere=f"http://{target}:{private.port}")

    await refused(api, str(public.make_url("/redirect")))

    assert public_asked == ["/redirect"] and private_asked == []


async def test_a_next_page_on_an_address_that_is_not_global_is_refused(
    api_trusting_127_0_0_2: Api, aiohttp_server: Serve,
) -> None:
    api = api_trusting_127_0_0_2
    private, private_asked = await feed_server(aiohttp_server)
    public, public_asked = await feed_server(
        aiohttp_server, TRUSTED, elsewhere=f"http://127.0.0.1:{private.port}")

    await refused(api, str(public.make_url("/paged")))

    assert public_asked == ["/paged"] and private_asked == []


async def test_the_trusted_test_server_itself_is_fetched(
    api_trusting_127_0_0_2: Api, aiohttp_server: Serve,
) -> None:
    """The control for the two tests above: what refuses them is the later hop."""
    public, asked = await feed_server(aiohttp_server, TRUSTED)

    reply = await api_trusting_127_0_0_2.post(
        f"/api/imports?kind=feed&url={_q(str(public.make_url('/feed.atom')))}", expect=201)

    assert asked == ["/feed.atom"] and reply.json["report"]["posts"]["added"] == 2
