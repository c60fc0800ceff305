"""syndic's own WebSub hub, against a real subscriber on loopback: the websub.rocks hub tests
100-106 (https://websub.rocks/hub) reproduced, and the refusals of §5.1."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from tests.server.api_conftest import Api
from tests.server.websub_subscriber import Subscriber

BASE = "http://blog.test"
TOPIC = f"{BASE}/feeds/posts/default"
FAST = {"websub": {"allow_private_callbacks": True, "retry_base_seconds": 0.05,
                   "retry_max_seconds": 0.2},
        "scheduler": {"outbox_poll_seconds": 0.05}}


@pytest.fixture
async def hub(make_api: Callable[..., Awaitable[Api]]) -> Api:
    return await make_api(**FAST)


async def subscribe(hub: Api, sub: Subscriber, topic: str = TOPIC, mode: str = "subscribe",
                    **extra: str) -> Any:
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": sub.url(), **extra}
    resp = await hub.client.post("/hub", data=form)
    return resp.status, await resp.text()


async def publish(hub: Api, title: str = "Pushed") -> dict[str, Any]:
    reply = await hub.call("POST", "/api/posts", {"title": title, "content_html": "<p>x</p>"},
                           expect=201)
    return reply.json  # type: ignore[no-any-return]


async def feed_now(hub: Api, path: str = "/feeds/posts/default") -> bytes:
    resp = await hub.client.get(path)
    return await resp.read()


# -- 100: typical subscriber request (no secret, no signature) ----------------------------


async def test_100_a_subscriber_is_verified_then_gets_the_whole_new_document(
    hub: Api, subscriber: Subscriber
) -> None:
    status, _ = await subscribe(hub, subscriber)
    assert status == 202
    await subscriber.wait_for(lambda: bool(subscriber.verifications))
    asked = subscriber.verifications[0]
    assert asked["hub.mode"] == "subscribe" and asked["hub.topic"] == TOPIC
    assert len(asked["hub.challenge"]) >= 16 and int(asked["hub.lease_seconds"]) > 0
    await _wait_subscribed(hub, 1)
    post = await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    got = subscriber.deliveries[-1]
    assert post["entry_id"].encode() in got.body
    assert got.body == await feed_now(hub)
    assert got.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert f'<{BASE}/hub>; rel="hub"' in got.headers["Link"]
    assert f'<{TOPIC}>; rel="self"' in got.headers["Link"]
    assert "X-Hub-Signature" not in got.headers


# -- 101: with a secret (signed) ----------------------------------------------------------


async def test_101_a_subscriber_with_a_secret_gets_signed_deliveries(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribe(hub, subscriber, **{"hub.secret": "a shared secret"})
    await _wait_subscribed(hub, 1)
    await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    got = subscriber.deliveries[-1]
    assert got.headers["X-Hub-Signature"].startswith("sha256=")
    assert got.signature_ok("a shared secret")
    assert not got.signature_ok("another secret")


# -- 102: extra parameters are ignored; the callback keeps its query string ---------------


async def test_102_unknown_parameters_are_ignored_and_the_callbacks_query_is_kept(
    hub: Api, subscriber: Subscriber
) -> None:
    form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback":
            subscriber.url() + "?user=7&list=a", "hub.extra": "x", "foo": "bar"}
    resp = await hub.client.post("/hub", data=form)
    assert resp.status == 202
    await subscriber.wait_for(lambda: bool(subscriber.verifications))
    assert "user=7&list=a" in subscriber.verifications[0]["path_qs"]
    await _wait_subscribed(hub, 1)
    await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    assert subscriber.deliveries[-1].path_qs == "/callback?user=7&list=a"


# -- 103: re-subscription: one subscription, exactly one notification ---------------------


async def test_103_a_resubscription_replaces_the_subscription_and_one_notification_comes(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribe(hub, subscriber)
    await _wait_subscribed(hub, 1)
    await subscribe(hub, subscriber, **{"hub.lease_seconds": "7200"})
    await subscriber.wait_for(lambda: len(subscriber.verifications) == 2)
    await _wait_for_lease(hub, 7200)
    await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    await _settle(hub)
    assert len(subscriber.deliveries) == 1


# -- 104: unsubscription: nothing after ----------------------------------------------------


async def test_104_after_unsubscribing_nothing_more_is_delivered(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribe(hub, subscriber)
    await _wait_subscribed(hub, 1)
    status, _ = await subscribe(hub, subscriber, mode="unsubscribe")
    assert status == 202
    await subscriber.wait_for(lambda: len(subscriber.verifications) == 2)
    assert subscriber.verifications[1]["hub.mode"] == "unsubscribe"
    await _wait_subscribed(hub, 0)
    await publish(hub)
    await _settle(hub)
    assert subscriber.deliveries == []


# -- 105/106: topics of each content type --------------------------------------------------


@pytest.mark.parametrize(("alt", "content_type"), [
    ("rss", "application/rss+xml; charset=utf-8"),
    ("json", "application/feed+json"),
])
async def test_105_106_topics_of_each_content_type_arrive_with_their_type(
    hub: Api, subscriber: Subscriber, alt: str, content_type: str
) -> None:
    topic = f"{TOPIC}?alt={alt}"
    await subscribe(hub, subscriber, topic)
    await _wait_subscribed(hub, 1)
    await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    got = subscriber.deliveries[-1]
    assert got.headers["Content-Type"] == content_type
    assert got.body == await feed_now(hub, f"/feeds/posts/default?alt={alt}")
    assert f'<{topic}>; rel="self"' in got.headers["Link"]


# -- refusals (§5.1): 4xx and a plain-text reason -----------------------------------------


@pytest.mark.parametrize(("form", "field"), [
    ({"hub.mode": "subscribe", "hub.topic": "http://elsewhere.test/feed"}, "hub.topic"),
    ({"hub.mode": "subscribe", "hub.topic": f"{TOPIC}?max-results=7"}, "hub.topic"),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": "ftp://x.test/"},
     "hub.callback"),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.secret": "s" * 200}, "hub.secret"),
    ({"hub.mode": "dance", "hub.topic": TOPIC}, "hub.mode"),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.lease_seconds": "soon"},
     "hub.lease_seconds"),
])
async def test_a_bad_request_is_refused_at_once_naming_the_parameter(
    hub: Api, subscriber: Subscriber, form: dict[str, str], field: str
) -> None:
    resp = await hub.client.post("/hub", data={"hub.callback": subscriber.url(), **form})
    assert 400 <= resp.status < 500
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert field in await resp.text()
    await _settle(hub)
    assert subscriber.verifications == []


@pytest.mark.parametrize("path", ["/feeds/posts/summary/-/Garden",
                                  "/feeds/posts/full/-/Garden",
                                  "/feeds/posts/default/-/Garden/Frost"])
async def test_a_feed_no_change_pushes_names_no_hub_and_is_refused_as_a_topic(
    hub: Api, subscriber: Subscriber, path: str
) -> None:
    """A label's other projections and two labels at once are rendered when asked, never
    stored, so nothing would push them: they name no hub, and a subscription is refused at
    once, where it used to be verified and then never delivered."""
    await hub.call("POST", "/api/posts", {"title": "Both", "content_html": "<p>x</p>",
                                          "labels": ["Garden", "Frost"]}, expect=201)
    resp = await hub.client.get(path)
    assert resp.status == 200
    assert 'rel="hub"' not in resp.headers.get("Link", "")
    assert b'rel="hub"' not in await resp.read()
    pushed = await hub.client.get("/feeds/posts/default/-/Garden")
    assert 'rel="hub"' in pushed.headers["Link"] and b'rel="hub"' in await pushed.read()

    status, reason = await subscribe(hub, subscriber, f"{BASE}{path}")
    assert (status, reason.split(":")[0]) == (400, "hub.topic")
    assert "not pushed" in reason
    await _settle(hub)
    assert subscriber.verifications == []


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
async def test_a_request_that_is_no_form_is_a_415_saying_to_send_a_form(
    hub: Api, subscriber: Subscriber, content_type: str | None,
) -> None:
    form = f"hub.mode=subscribe&hub.topic={TOPIC}&hub.callback={subscriber.url()}"
    body = (json.dumps({"hub.mode": "subscribe", "hub.topic": TOPIC})
            if content_type == "application/json" else form)
    headers = {} if content_type is None else {"Content-Type": content_type}
    resp = await hub.client.post("/hub", data=body.encode(), headers=headers,
                                 skip_auto_headers=["Content-Type"])
    assert resp.status == 415
    assert "application/x-www-form-urlencoded" in await resp.text()
    assert "application/x-www-form-urlencoded" in resp.headers["Accept-Post"]
    # A form in either type a form comes in, charset label or not, is taken.
    for form_type in ("application/x-www-form-urlencoded; charset=UTF-8",
                      "Application/X-WWW-Form-Urlencoded"):
        resp = await hub.client.post("/hub", data=form.encode(),
                                     headers={"Content-Type": form_type})
        assert resp.status == 202, await resp.text()
    multipart = aiohttp.FormData({"hub.mode": "subscribe", "hub.topic": TOPIC,
                                  "hub.callback": subscriber.url()})
    multipart.add_field("x", b"", filename="x")  # makes it multipart/form-data
    resp = await hub.client.post("/hub", data=multipart)
    assert resp.status == 202, await resp.text()


async def test_a_private_callback_is_refused_unless_settings_allow_it(
    make_api: Callable[..., Awaitable[Api]], subscriber: Subscriber
) -> None:
    strict = await make_api()
    status, text = await subscribe(strict, subscriber)
    assert status == 400 and "hub.callback" in text and "private" in text


async def test_a_callback_that_does_not_echo_the_challenge_is_not_subscribed(
    hub: Api, subscriber: Subscriber
) -> None:
    subscriber.verify_answer = "wrong"
    await subscribe(hub, subscriber)
    await subscriber.wait_for(lambda: bool(subscriber.verifications))
    await _settle(hub)
    assert (await hub.store.page_subscriptions(10, 0))[0] == 0


async def test_a_verification_answered_with_a_redirect_fails(
    hub: Api, subscriber: Subscriber
) -> None:
    subscriber.verify_answer = "redirect"
    await subscribe(hub, subscriber)
    await subscriber.wait_for(lambda: bool(subscriber.verifications))
    await _settle(hub)
    assert (await hub.store.page_subscriptions(10, 0))[0] == 0
    assert len(subscriber.verifications) == 1  # the redirect was not followed


# -- helpers -------------------------------------------------------------------------------


async def _wait_subscribed(hub: Api, count: int, within: float = 5.0) -> None:
    import asyncio
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await hub.store.page_subscriptions(10, 0))[0] != count:
        assert loop.time() < deadline, "the subscription never changed"
        await asyncio.sleep(0.02)


async def _wait_for_lease(hub: Api, lease: int, within: float = 5.0) -> None:
    import asyncio
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        total, subs = await hub.store.page_subscriptions(10, 0)
        if total == 1 and subs[0].lease_seconds == lease:
            return
        assert loop.time() < deadline, "the re-subscription never took"
        await asyncio.sleep(0.02)


async def _settle(hub: Api, seconds: float = 0.5) -> None:
    """Let the jobs run a few times (they poll every 0.05 s)."""
    import asyncio
    await asyncio.sleep(seconds)


async def test_an_operator_sees_subscriptions_and_deliveries_and_can_regenerate(
    hub: Api, subscriber: Subscriber
) -> None:
    await subscribe(hub, subscriber, **{"hub.secret": "s3cret"})
    await _wait_subscribed(hub, 1)
    [sub] = (await hub.get("/api/subscriptions", expect=200)).json["items"]
    assert (sub["topic"], sub["callback"], sub["signed"]) == (TOPIC, subscriber.url(), True)
    assert "s3cret" not in str(sub)
    await publish(hub)
    await subscriber.wait_for(lambda: bool(subscriber.deliveries))
    await _settle(hub, 0.3)
    delivered = (await hub.get("/api/deliveries?state=delivered", expect=200)).json["items"]
    assert [(d["target"], d["attempts"], d["last_status"]) for d in delivered] == [
        (subscriber.url(), 1, 200)]
    reply = await hub.call("POST", "/api/regenerate?feed=/feeds/posts/default", expect=202)
    assert reply.json["marked"] == "/feeds/posts/default"
    assert (await hub.call("POST", "/api/regenerate?feed=/nope")).field == "feed"
    assert (await hub.get("/api/deliveries?state=lost")).field == "state"
