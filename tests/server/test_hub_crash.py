"""The hub delivers at least once across kill -9: syndic runs as a real process
(tests/server/process_server.py) on a SQLite file, real subscribers listen in this process
(tests/server/websub_subscriber.py), and the server is killed with SIGKILL while a fan-out
is under way, or right after a post was written; started again on the same store, with
nothing else changed, it sends every subscriber the new feed: none is lost.

A claim taken by the killed process lapses after websub.delivery_timeout_seconds * 3 + 30
seconds (server/push_jobs.py _claim_for): with a 1.5 s timeout the restarted server sends
the deliveries in flight at the kill about 35 s after they were claimed; the waits below are
bounded by that."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.server.process_server import SyndicProcess
from tests.server.websub_subscriber import Subscriber, start_subscriber

TOKEN = "crash-test-token-0123456789"
TIMEOUT = 1.5
"""websub.delivery_timeout_seconds: a slow subscriber must answer within it."""
SLOW = 0.75
"""How long a slow subscriber takes to answer a delivery: the fan-out is under way that
long, and the kill lands in it."""
CLAIM = TIMEOUT * 3 + 30
SETTINGS = {
    "SYNDIC_WEBSUB__ALLOW_PRIVATE_CALLBACKS": "true",
    "SYNDIC_WEBSUB__DELIVERY_TIMEOUT_SECONDS": str(TIMEOUT),
    "SYNDIC_WEBSUB__RETRY_BASE_SECONDS": "0.2",
    "SYNDIC_WEBSUB__RETRY_MAX_SECONDS": "1",
    "SYNDIC_SCHEDULER__OUTBOX_POLL_SECONDS": "0.1",
    "SYNDIC_FEEDS__CHANGE_POLL_SECONDS": "0.1",
    "SYNDIC_API__TOKENS": TOKEN,
}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[SyndicProcess]:
    proc = SyndicProcess(tmp_path, {})
    proc.env.update(SETTINGS)
    proc.env["SYNDIC_SERVER__PUBLIC_URL"] = proc.url
    try:
        yield proc
    finally:
        proc.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


@pytest.fixture
async def subscribers() -> AsyncIterator[Callable[[int], Any]]:
    started: list[Subscriber] = []

    async def start(count: int) -> list[Subscriber]:
        subs = [await start_subscriber() for _ in range(count)]
        started.extend(subs)
        return subs

    yield start
    for sub in started:
        await sub.server.close()


# -- kill -9 during a fan-out --------------------------------------------------------------


async def test_deliveries_in_flight_at_a_kill_9_are_sent_again_by_the_restarted_server(
    server: SyndicProcess, http: aiohttp.ClientSession,
    subscribers: Callable[[int], Any],
) -> None:
    fast: list[Subscriber] = await subscribers(3)
    slow: list[Subscriber] = await subscribers(3)
    for sub in slow:
        sub.delay = SLOW
    everyone = fast + slow
    await server.run()
    await _subscribe_all(http, server, everyone)

    post = await _create_post(http, server, "Sent while the hub died")
    entry = post["entry_id"].encode()
    await _wait_until(lambda: any(_got(s, entry) for s in fast), 15, server,
                      "no fast subscriber got the new feed")
    server.kill9()
    assert not any(s.deliveries for s in slow), "the slow subscribers answered before the kill"
    states = dict(server.query(
        "SELECT target, state FROM deliveries WHERE kind = 'websub'"))
    assert all(states.get(s.url()) == "sending" for s in slow), (
        f"the slow deliveries were not under way at the kill: {states}")

    # Their bodies had been sent: the slow subscribers' handlers finish after the kill, but
    # their answers reach no one, so the hub must send again.
    await asyncio.sleep(SLOW + 0.5)
    before = {sub.url(): len(sub.deliveries) for sub in everyone}
    restarted = time.monotonic()
    await server.run()
    await _wait_until(
        lambda: all(len(s.deliveries) > before[s.url()] and _newest_has(s, entry)
                    for s in slow) and all(_got(s, entry) for s in fast),
        CLAIM + 25, server, "a subscriber never got the feed after the restart")
    took = time.monotonic() - restarted
    assert took < CLAIM + 25

    feed = await _feed(http, server)
    for sub in slow:
        assert sub.deliveries[-1].body == feed
    # The same rows were sent (re-claimed when the dead process's claim lapsed), not new
    # ones: nothing else changed, so nothing else was enqueued.
    await _wait_until(lambda: _states(server) == ["delivered"] * len(everyone), 10, server,
                      "the deliveries were not all recorded as delivered")


# -- kill -9 right after a write -----------------------------------------------------------


async def test_a_post_written_just_before_a_kill_9_is_published_and_pushed_after_the_restart(
    server: SyndicProcess, http: aiohttp.ClientSession,
    subscribers: Callable[[int], Any],
) -> None:
    subs: list[Subscriber] = await subscribers(2)
    await server.run()
    await _subscribe_all(http, server, subs)

    post = await _create_post(http, server, "Written, then the server died")
    server.kill9()  # as soon as the API answered: regeneration may not have run yet
    entry = post["entry_id"].encode()
    assert server.query("SELECT count(*) FROM posts WHERE entry_id = ?",
                        post["entry_id"])[0][0] == 1

    await server.run()
    await _wait_until(lambda: all(_got(s, entry) for s in subs), CLAIM + 25, server,
                      "a subscriber never got the post written before the kill")
    assert entry in await _feed(http, server)


async def test_dirty_feeds_written_while_no_regeneration_can_run_survive_a_kill_9(
    server: SyndicProcess, http: aiohttp.ClientSession,
    subscribers: Callable[[int], Any], tmp_path: Path,
) -> None:
    """The same story made certain: the server is stopped (SIGSTOP) while `syndic post add`
    writes the post and its dirty feeds from another process, then killed; only the rows
    in the store tell the restarted server what to render and push."""
    subs: list[Subscriber] = await subscribers(2)
    await server.run()
    await _subscribe_all(http, server, subs)
    (tmp_path / "late.md").write_text("---\ntitle: Added while the server slept\n"
                                      "slug: added-while-asleep\n---\nHello.\n")
    await _stop_outside_a_write(server)
    try:
        added = await asyncio.to_thread(server.cli, "post", "add", "late.md", "--json")
        assert added.returncode == 0, added.stderr
    finally:
        server.kill9()
    entry_id = server.query("SELECT entry_id FROM posts WHERE slug = 'added-while-asleep'")[0][0]
    assert server.query("SELECT count(*) FROM dirty_feeds")[0][0] > 0
    assert server.query("SELECT count(*) FROM deliveries")[0][0] == 0

    started = time.monotonic()
    await server.run()
    entry = entry_id.encode()
    await _wait_until(lambda: all(_got(s, entry) for s in subs), 15, server,
                      "a subscriber never got the post written before the kill")
    assert time.monotonic() - started < 15
    assert entry in await _feed(http, server)
    for sub in subs:
        assert sub.deliveries[-1].body == await _feed(http, server)


# -- kill -9 between a label's rename and its subscribers' move ----------------------------


async def test_a_label_renamed_just_before_a_kill_9_moves_its_subscriber_after_the_restart(
    server: SyndicProcess, http: aiohttp.ClientSession,
    subscribers: Callable[[int], Any],
) -> None:
    """The move is rows written with the rename: the subscriber does not answer before the
    kill (503: asked again, 5 s or more later), and the restarted server, told nothing but
    what the store holds, asks again and moves it."""
    [sub] = await subscribers(1)
    server.env["SYNDIC_WEBSUB__RETRY_BASE_SECONDS"] = "5"
    await server.run()
    old, new = (f"{server.url}/feeds/posts/default/-/{name}" for name in ("old", "new"))
    await _create_post(http, server, "Tagged", ["old"])
    await _wait_until(lambda: server.query("SELECT count(*) FROM artifacts WHERE key = ?",
                                           "/feeds/posts/default/-/old")[0][0] == 3,
                      15, server, "the label's feed was never rendered")
    form = {"hub.mode": "subscribe", "hub.topic": old, "hub.callback": sub.url()}
    async with http.post(f"{server.url}/hub", data=form) as resp:
        assert resp.status == 202, await resp.text()
    await _wait_until(lambda: server.query("SELECT topic FROM subscriptions") == [(old,)],
                      15, server, "the subscription was never verified")

    sub.verify_answer = "503"
    await _api(http, server, "PATCH", "/api/labels/old", {"name": "new"}, 200)
    assert server.query("SELECT topic, moved_from FROM intents WHERE mode = 'move'") == [
        (new, old)]  # written with the rename
    await _wait_until(lambda: server.query(
        "SELECT state, attempts, claimed_until FROM intents WHERE mode = 'move'"
    ) == [("pending", 1, None)], 15, server, "the move was never asked")
    server.kill9()

    sub.verify_answer = "echo"
    await server.run()
    await _wait_until(lambda: server.query("SELECT topic FROM subscriptions") == [(new,)],
                      30, server, "the subscription never moved after the restart")
    assert [v["hub.topic"] for v in sub.verifications] == [old, new, new]
    post = await _create_post(http, server, "Under the new name", ["new"])
    await _wait_until(lambda: _got(sub, post["entry_id"].encode()), 15, server,
                      "the moved subscriber never got the new label's post")


# -- helpers -------------------------------------------------------------------------------


async def _subscribe_all(http: aiohttp.ClientSession, server: SyndicProcess,
                         subs: Sequence[Subscriber]) -> None:
    topic = f"{server.url}/feeds/posts/default"
    for sub in subs:
        form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": sub.url()}
        async with http.post(f"{server.url}/hub", data=form) as resp:
            assert resp.status == 202, await resp.text()
    await _wait_until(
        lambda: server.query("SELECT count(*) FROM subscriptions")[0][0] == len(subs), 15,
        server, "the subscriptions were never verified")
    assert all(s.verifications for s in subs)


async def _create_post(http: aiohttp.ClientSession, server: SyndicProcess,
                       title: str, labels: Sequence[str] = ()) -> dict[str, Any]:
    body = {"title": title, "content_html": "<p>x</p>", "labels": list(labels)}
    return await _api(http, server, "POST", "/api/posts", body, 201)


async def _api(http: aiohttp.ClientSession, server: SyndicProcess, method: str, path: str,
               body: dict[str, Any], expect: int) -> dict[str, Any]:
    async with http.request(method, f"{server.url}{path}", data=json.dumps(body),
                            headers={"Authorization": f"Bearer {TOKEN}",
                                     "Content-Type": "application/json"}) as resp:
        assert resp.status == expect, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]


async def _feed(http: aiohttp.ClientSession, server: SyndicProcess) -> bytes:
    async with http.get(f"{server.url}/feeds/posts/default") as resp:
        assert resp.status == 200
        return await resp.read()


def _got(sub: Subscriber, entry: bytes) -> bool:
    return any(entry in d.body for d in sub.deliveries)


def _newest_has(sub: Subscriber, entry: bytes) -> bool:
    return bool(sub.deliveries) and entry in sub.deliveries[-1].body


def _states(server: SyndicProcess) -> list[str]:
    return [row[0] for row in server.query("SELECT state FROM deliveries ORDER BY id")]


async def _wait_until(done: Callable[[], bool], within: float, server: SyndicProcess,
                      failure: str) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{failure} (within {within:.0f} s)\n{server.log()}")
        await asyncio.sleep(0.01)


async def _stop_outside_a_write(server: SyndicProcess, within: float = 10.0) -> None:
    """SIGSTOP the server at a moment it holds no write lock, SQLite's or the store's lock
    file beside it (its jobs write every 0.1 s), so another process can write while it is
    stopped."""
    deadline = time.monotonic() + within
    lock_file = os.open(f"{server.db}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        while True:
            server.signal(signal.SIGSTOP)
            conn = sqlite3.connect(server.db, timeout=0.2, isolation_level=None)
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock_file, fcntl.LOCK_UN)
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return
            except (sqlite3.OperationalError, BlockingIOError):
                server.signal(signal.SIGCONT)
                assert time.monotonic() < deadline, "the server never let go of the write lock"
                await asyncio.sleep(0.05)
            finally:
                conn.close()
    finally:
        os.close(lock_file)
