"""The hub's client calls global addresses only unless websub.allow_private_callbacks: the
subscribe-time check (test_hub.py) is not the last word, since a callback's name may
resolve elsewhere by the time of a delivery, and a callback stored while private callbacks
were allowed may outlive that setting. A verification or delivery to loopback, named or as
an IP literal, fails without reaching the subscriber; with the setting on, it is made."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_address
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.address_guard import AddressGuard
from server.delivery import Sender

Serve = Callable[..., Awaitable[TestServer]]


@pytest.fixture
async def subscriber(aiohttp_server: Serve) -> AsyncIterator[tuple[TestServer, list[bytes]]]:
    got: list[bytes] = []

    async def callback(request: web.Request) -> web.Response:
        got.append(await request.read())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/cb", callback)
    yield await aiohttp_server(app, host="127.0.0.1"), got


async def deliver(sender: Sender, callback: str) -> str | None:
    try:
        attempt = await sender.deliver(callback, b"<feed/>", "application/atom+xml",
                                       "http://blog.test/hub", "http://blog.test/feed", None)
    finally:
        await sender.close()
    return attempt.error


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "localhost"])
async def test_a_delivery_to_a_loopback_callback_is_refused_when_it_is_made(
    make_settings: Callable[..., Any], subscriber: tuple[TestServer, list[bytes]], host: str,
) -> None:
    server, got = subscriber
    sender = Sender(make_settings().websub)

    error = await deliver(sender, f"http://{host}:{server.port}/cb")

    assert error is not None and "not a global address" in error
    assert got == []


async def test_with_private_callbacks_allowed_the_same_delivery_is_made(
    make_settings: Callable[..., Any], subscriber: tuple[TestServer, list[bytes]],
) -> None:
    server, got = subscriber
    sender = Sender(make_settings(websub={"allow_private_callbacks": True}).websub)

    assert await deliver(sender, f"http://127.0.0.1:{server.port}/cb") is None
    assert got == [b"<feed/>"]


async def test_a_guard_that_trusts_an_address_delivers_to_it(
    make_settings: Callable[..., Any], subscriber: tuple[TestServer, list[bytes]],
) -> None:
    server, got = subscriber
    sender = Sender(make_settings().websub, AddressGuard(frozenset({ip_address("127.0.0.1")})))

    assert await deliver(sender, f"http://127.0.0.1:{server.port}/cb") is None
    assert got == [b"<feed/>"]
