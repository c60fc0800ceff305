"""What syndic tells the outside world when a feed changes, over real HTTP on loopback: the
external hubs of websub.external_hubs get a publish notification per changed topic (WebSub §6
leaves the form open; syndic sends hub.mode=publish with both hub.url and hub.topic), and the
weblogUpdates ping services of pings.services an XML-RPC extendedPing for the site feed,
falling back to the plain ping when the service does not know the extended one."""

from __future__ import annotations

import asyncio
import xmlrpc.client
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.server.api_conftest import Api, until

BASE = "http://blog.test"
SITE_FEED = f"{BASE}/feeds/posts/default"
FAST = {"websub": {"allow_private_callbacks": True, "retry_base_seconds": 0.05,
                   "retry_max_seconds": 0.2, "delivery_timeout_seconds": 2.0},
        "scheduler": {"outbox_poll_seconds": 0.05}}
RETRY_DUE = 1.0
"""FakeClock seconds after which any retry is due (backoff is capped at 0.2 s, jitter x2)."""


# -- a hub that records publish notifications ----------------------------------------------


@dataclass
class FakeHub:
    server: TestServer | None = None
    received: list[dict[str, str]] = field(default_factory=list)
    """Every form posted, whatever was answered."""
    fail_first: bool = False
    """Answer 500 to the first notification of each topic."""
    content_types: list[str] = field(default_factory=list)

    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/publish"))

    def accepted(self) -> list[dict[str, str]]:
        """The notifications answered 204 (the ones after a topic's first, if fail_first)."""
        seen: set[str] = set()
        out = []
        for form in self.received:
            if not self.fail_first or form.get("hub.url", "") in seen:
                out.append(form)
            seen.add(form.get("hub.url", ""))
        return out


@pytest.fixture
async def fake_hub() -> AsyncIterator[FakeHub]:
    hub = FakeHub()

    async def publish(request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        first = all(f.get("hub.url") != form.get("hub.url") for f in hub.received)
        hub.received.append(form)
        hub.content_types.append(request.headers.get("Content-Type", ""))
        return web.Response(status=500 if hub.fail_first and first else 204)

    app = web.Application()
    app.router.add_post("/publish", publish)
    hub.server = TestServer(app, host="127.0.0.1")
    await hub.server.start_server()
    yield hub
    await hub.server.close()


# -- a weblogUpdates ping service (XML-RPC) ------------------------------------------------


@dataclass
class PingService:
    server: TestServer | None = None
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    knows_extended: bool = True

    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/RPC2"))


OK = xmlrpc.client.dumps(({"flerror": False, "message": "Thanks for the ping."},),
                         methodresponse=True)


@pytest.fixture
async def ping_service() -> AsyncIterator[PingService]:
    service = PingService()

    async def rpc(request: web.Request) -> web.Response:
        params, method = xmlrpc.client.loads(await request.read())
        service.calls.append((method or "", params))
        if method == "weblogUpdates.extendedPing" and not service.knows_extended:
            fault = xmlrpc.client.Fault(-32601, "method not found")
            return web.Response(text=xmlrpc.client.dumps(fault), content_type="text/xml")
        return web.Response(text=OK, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/RPC2", rpc)
    service.server = TestServer(app, host="127.0.0.1")
    await service.server.start_server()
    yield service
    await service.server.close()


async def publish(api: Api, title: str, **fields: Any) -> dict[str, Any]:
    return await api.create_post(title=title, **fields)


async def wait_for(what: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not what():
        assert loop.time() < deadline, "it never happened"
        await asyncio.sleep(0.02)


async def delivery_states(api: Api, target: str) -> list[tuple[str, int]]:
    _, rows = await api.store.page_deliveries(1000, 0)
    return sorted((d.state, d.attempts) for d in rows if d.target == target)


async def quiet(api: Api, target: str) -> None:
    """Wait until everything sent to `target` is done: the first start renders the new
    site's (empty) feeds, and tells the hubs and ping services of them too."""
    await until(lambda: delivery_states(api, target),
                lambda states: all(s in ("delivered", "failed") for s, _ in states))


# -- external hubs -------------------------------------------------------------------------


async def test_a_change_tells_each_external_hub_of_each_changed_topic(
    make_api: Callable[..., Awaitable[Api]], fake_hub: FakeHub
) -> None:
    api = await make_api(**{**FAST, "websub": {**FAST["websub"],
                                               "external_hubs": [fake_hub.url()]}})
    await quiet(api, fake_hub.url())
    fake_hub.received.clear()
    fake_hub.content_types.clear()
    await publish(api, "Told the world", labels=["news"])
    await wait_for(lambda: len(fake_hub.received) >= 4)
    await until(lambda: delivery_states(api, fake_hub.url()),
                lambda states: bool(states) and all(s == "delivered" for s, _ in states))
    await asyncio.sleep(0.3)  # nothing more comes
    forms = fake_hub.received
    assert all(ct.startswith("application/x-www-form-urlencoded")
               for ct in fake_hub.content_types)
    for form in forms:
        assert form["hub.mode"] == "publish"
        assert form["hub.url"] == form["hub.topic"]
        assert form["hub.url"].startswith(f"{BASE}/feeds/")
    topics = [f["hub.url"] for f in forms]
    assert len(topics) == len(set(topics)), "one notification per changed topic"
    for topic in (SITE_FEED, f"{SITE_FEED}?alt=rss", f"{SITE_FEED}?alt=json",
                  f"{SITE_FEED}/-/news"):
        assert topic in topics, (topic, topics)
    # Another change: the site feed is told again; the label's feed, untouched, is not.
    fake_hub.received.clear()
    await publish(api, "No label")
    await wait_for(lambda: any(f["hub.url"] == SITE_FEED for f in fake_hub.received))
    await asyncio.sleep(0.3)
    assert f"{SITE_FEED}/-/news" not in [f["hub.url"] for f in fake_hub.received]


async def test_an_external_hub_answering_500_is_told_again(
    make_api: Callable[..., Awaitable[Api]], fake_hub: FakeHub
) -> None:
    api = await make_api(**{**FAST, "websub": {**FAST["websub"],
                                               "external_hubs": [fake_hub.url()]}})
    await quiet(api, fake_hub.url())
    done = len(await delivery_states(api, fake_hub.url()))
    fake_hub.received.clear()
    fake_hub.fail_first = True
    await publish(api, "Second time lucky")
    states = await until(lambda: delivery_states(api, fake_hub.url()), lambda states: len(
        [s for s in states if s[0] != "delivered"]) > 0 and all(
        s == ("pending", 1) for s in states if s[0] != "delivered"))
    states = [s for s in states if s[0] != "delivered"]
    assert len(await delivery_states(api, fake_hub.url())) == done + len(states)
    failed_topics = {f["hub.url"] for f in fake_hub.received}
    assert SITE_FEED in failed_topics and len(failed_topics) == len(states)
    assert fake_hub.accepted() == []
    api.clock.advance(seconds=RETRY_DUE)
    await until(lambda: delivery_states(api, fake_hub.url()),
                lambda states: all(s[0] == "delivered" for s in states))
    assert sorted(await delivery_states(api, fake_hub.url())) == sorted(
        [("delivered", 1)] * done + [("delivered", 2)] * len(states))
    assert {f["hub.url"] for f in fake_hub.accepted()} == failed_topics
    assert len(fake_hub.received) == 2 * len(failed_topics)


# -- weblogUpdates ping services -----------------------------------------------------------


async def test_a_change_to_the_site_feed_sends_an_extended_ping(
    make_api: Callable[..., Awaitable[Api]], ping_service: PingService
) -> None:
    api = await make_api(**FAST, pings={"services": [ping_service.url()]},
                         site={"title": "Pinged Blog"})
    await quiet(api, ping_service.url())
    ping_service.calls.clear()
    await publish(api, "Ping!")
    await wait_for(lambda: bool(ping_service.calls))
    await until(lambda: delivery_states(api, ping_service.url()),
                lambda states: states[-1:] == [("delivered", 1)] and len(states) == 2)
    assert ping_service.calls == [("weblogUpdates.extendedPing",
                                   ("Pinged Blog", f"{BASE}/", f"{BASE}/", SITE_FEED))]
    await asyncio.sleep(0.3)  # one ping per change, not one per changed feed
    assert len(ping_service.calls) == 1


async def test_a_service_without_the_extended_ping_gets_the_plain_one(
    make_api: Callable[..., Awaitable[Api]], ping_service: PingService
) -> None:
    ping_service.knows_extended = False
    api = await make_api(**FAST, pings={"services": [ping_service.url()]},
                         site={"title": "Pinged Blog"})
    await quiet(api, ping_service.url())
    ping_service.calls.clear()
    await publish(api, "Ping?")
    await wait_for(lambda: len(ping_service.calls) == 2)
    await until(lambda: delivery_states(api, ping_service.url()),
                lambda states: states[-1:] == [("delivered", 1)] and len(states) == 2)
    assert [m for m, _ in ping_service.calls] == ["weblogUpdates.extendedPing",
                                                  "weblogUpdates.ping"]
    assert ping_service.calls[1][1] == ("Pinged Blog", f"{BASE}/")
