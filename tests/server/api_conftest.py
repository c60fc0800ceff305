"""Helpers for the admin API stories (tests/server/test_api_*.py): a client that carries the
bearer token and refuses any 5xx or malformed problem+json, and polling for feeds (the
regeneration job runs on real time, woken by each write)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient
from lxml import etree
from multidict import CIMultiDictProxy

from server.clock import FakeClock
from server.keys import PUBLISHER, STORE

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"
T = TypeVar("T")
_UNSET: Any = object()


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def field(self) -> str | None:
        """The field a problem+json names."""
        return self.json.get("field") if self.is_problem else None

    @property
    def is_problem(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("application/problem+json")


class Api:
    """The admin API of a running syndic, over real HTTP."""

    def __init__(self, client: TestClient[Any, Any], clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self.app = client.app
        assert self.app is not None
        self.store = self.app[STORE]
        self.publisher = self.app[PUBLISHER]

    async def call(self, method: str, path: str, body: Any = _UNSET, *, data: Any = None,
                   headers: dict[str, str] | None = None, auth: bool = True,
                   expect: int | None = None) -> Reply:
        sent = {**(AUTH if auth else {}), **(headers or {})}
        if body is not _UNSET:
            data = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        async with self.client.request(method, path, data=data, headers=sent) as resp:
            reply = Reply(resp.status, resp.headers, await resp.text())
        assert reply.status < 500 or reply.status == expect, (
            f"{method} {path}: {reply.status} {reply.text[:500]}")
        if reply.status >= 400 and path.startswith("/api/"):
            assert reply.is_problem, f"{method} {path}: {reply.status} {reply.text[:200]}"
            problem = reply.json
            assert problem["status"] == reply.status and problem["title"] and problem["detail"]
        if expect is not None:
            assert reply.status == expect, f"{method} {path}: {reply.status} {reply.text[:500]}"
        return reply

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = _UNSET, **kw: Any) -> Reply:
        return await self.call("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = _UNSET, **kw: Any) -> Reply:
        return await self.call("PATCH", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> Reply:
        return await self.call("DELETE", path, **kw)

    async def create_post(self, **fields: Any) -> dict[str, Any]:
        body = {"title": "A post", "content_html": "<p>Words.</p>", **fields}
        return (await self.post("/api/posts", body, expect=201)).json  # type: ignore[no-any-return]

    async def feed(self, path: str = "/feeds/posts/default", host: str | None = None) -> Reply:
        """A public feed (no token)."""
        headers = {"Host": host} if host else None
        return await self.call("GET", path, auth=False, headers=headers)

    async def feed_titles(self, path: str = "/feeds/posts/default",
                          host: str | None = None) -> list[str] | None:
        """The entry titles of an Atom feed; None when it answers 404."""
        reply = await self.feed(path, host)
        if reply.status == 404:
            return None
        assert reply.status == 200, reply.text[:300]
        return [e.findtext(f"{ATOM}title") or "" for e in entries(reply.text)]


def entries(atom: str) -> list[Any]:
    return list(etree.fromstring(atom.encode()).iter(f"{ATOM}entry"))


async def until(probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool],
                timeout: float = 10.0) -> T:
    """Ask `probe` until `ok` holds of its answer (the feeds change a moment after a write);
    the last answer fails the test when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"still not there after {timeout}s: {value!r}"
        await asyncio.sleep(0.05)
