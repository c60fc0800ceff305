"""A real WebSub subscriber on loopback (an aiohttp server), for the hub's tests: it answers
verification of intent as told (echo the challenge, refuse, redirect...), records every
verification and every delivery, and can answer deliveries with any status or slowly."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy


@dataclass
class Delivered:
    body: bytes
    headers: CIMultiDictProxy[str]
    path_qs: str

    def signature_ok(self, secret: str) -> bool:
        method, _, digest = self.headers.get("X-Hub-Signature", "").partition("=")
        expected = hmac.new(secret.encode(), self.body, getattr(hashlib, method)).hexdigest()
        return hmac.compare_digest(expected, digest)


@dataclass
class Subscriber:
    server: TestServer
    verifications: list[dict[str, str]] = field(default_factory=list)
    deliveries: list[Delivered] = field(default_factory=list)
    verify_answer: str = "echo"
    """echo (confirm), wrong (another body), 404, 503 (not now), or redirect."""
    statuses: list[int] = field(default_factory=list)
    """Statuses to answer deliveries with, in turn (then 200)."""
    delay: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = "/callback") -> str:
        return str(self.server.make_url(path))

    async def wait_for(self, what: Callable[[], bool], within: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not what():
            if loop.time() > deadline:
                raise AssertionError("the hub never did it")
            await asyncio.sleep(0.02)


async def start_subscriber() -> Subscriber:
    holder: dict[str, Subscriber] = {}

    async def verify(request: web.Request) -> web.StreamResponse:
        sub = holder["s"]
        sub.verifications.append({**request.query, "path_qs": request.path_qs})
        if sub.verify_answer == "echo":
            return web.Response(text=request.query.get("hub.challenge", ""))
        if sub.verify_answer == "wrong":
            return web.Response(text="not the challenge")
        if sub.verify_answer == "redirect":
            raise web.HTTPFound(location=str(request.url.with_path("/elsewhere")))
        if sub.verify_answer == "503":
            return web.Response(status=503)
        return web.Response(status=404)

    async def receive(request: web.Request) -> web.StreamResponse:
        sub = holder["s"]
        if sub.delay:
            await asyncio.sleep(sub.delay)
        status = sub.statuses.pop(0) if sub.statuses else 200
        if status == 302:
            raise web.HTTPFound(location="/elsewhere")
        if 200 <= status < 300:
            sub.deliveries.append(Delivered(await request.read(), request.headers,
                                            request.path_qs))
            sub.arrived.set()
        return web.Response(status=status)

    async def elsewhere(request: web.Request) -> web.StreamResponse:
        return web.Response(text=request.query.get("hub.challenge", "ok"))

    app = web.Application()
    app.router.add_get("/callback", verify)
    app.router.add_post("/callback", receive)
    app.router.add_route("*", "/elsewhere", elsewhere)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder["s"] = Subscriber(server)
    return holder["s"]


Subscribe = Callable[..., Awaitable[Any]]
