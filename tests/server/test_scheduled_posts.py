"""Scheduled posts: out of every feed until their time, in the feeds (and pushed to the
hub's subscribers) as soon as it comes, and published at start when their time came while
the server was down."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.procs import free_port, get, wait_ready
from tests.server.api_conftest import ATOM, TOKEN, Api, entries, until
from tests.server.websub_subscriber import Subscriber, start_subscriber

BASE = "http://blog.test"
TOPIC = f"{BASE}/feeds/posts/default"
FAST = {"websub": {"allow_private_callbacks": True},
        "scheduler": {"outbox_poll_seconds": 0.05}}


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    sub = await start_subscriber()
    yield sub
    await sub.server.close()


async def test_a_scheduled_post_enters_the_feed_and_is_pushed_when_its_time_comes(
    make_api: Callable[..., Awaitable[Api]], subscriber: Subscriber
) -> None:
    api = await make_api(**FAST)
    await api.create_post(title="Already out")
    await until(lambda: api.feed_titles(), lambda titles: titles == ["Already out"])
    form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": subscriber.url()}
    assert (await api.client.post("/hub", data=form)).status == 202
    await until(lambda: api.store.page_subscriptions(10, 0), lambda page: page[0] == 1)
    due = api.clock.now() + timedelta(minutes=10)
    post = await api.create_post(title="Later", publish_at=due.isoformat())
    assert post["status"] == "scheduled" and post["publish_at"] == "2026-11-24T12:10:00Z"
    await asyncio.sleep(0.3)  # the jobs run (every 0.05 s) and find nothing to publish
    assert await api.feed_titles() == ["Already out"]
    assert (await api.get(f"/api/posts/{post['id']}")).json["status"] == "scheduled"
    assert subscriber.deliveries == []

    api.clock.advance(minutes=10, seconds=1)
    started = time.monotonic()

    async def status() -> str:
        return str((await api.get(f"/api/posts/{post['id']}")).json["status"])

    # Published within a second of its time; in the feed right after (a second more at
    # most: the whole suite may be running beside it).
    await until(status, lambda s: s == "published", timeout=1.0)
    assert time.monotonic() - started < 1.0
    await until(lambda: api.feed_titles(), lambda titles: titles == ["Later", "Already out"],
                timeout=2.0)
    shown = (await api.get(f"/api/posts/{post['id']}")).json
    assert shown["status"] == "published" and shown["publish_at"] is None
    assert shown["published"] == "2026-11-24T12:10:00Z"
    await subscriber.wait_for(lambda: bool(subscriber.deliveries), within=2.0)
    got = subscriber.deliveries[-1].body
    assert post["entry_id"].encode() in got
    assert got == await (await api.client.get("/feeds/posts/default")).read()


# -- across a restart, with a real process -------------------------------------------------


POST_FILE = """---
title: "Due while down"
slug: due-while-down
status: scheduled
published: {when}
---
<p>Published at the next start.</p>
"""


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNDIC_")},
        "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}",
        "SYNDIC_SERVER__PUBLIC_URL": BASE,
        "SYNDIC_SERVER__PORT": str(port),
        "SYNDIC_SERVER__ACCESS_LOG": "false",
        "SYNDIC_LOGGING__LEVEL": "WARNING",
        "SYNDIC_API__TOKENS": TOKEN,
    }


class Serving:
    """`python -m server serve` on the temp store and a free port (the same port each
    start); every process started is stopped at the end, by its pid."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path, self.port = tmp_path, free_port()
        self.started: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return _env(self.tmp_path, self.port)

    def start(self) -> subprocess.Popen[bytes]:
        with (self.tmp_path / "serve.log").open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "server", "serve"],
                                    cwd=self.tmp_path, env=self.env(), stdout=log, stderr=log)
        self.started.append(proc)
        wait_ready(self.port, "/feeds/posts/default", proc, timeout=30)
        return proc


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serving]:
    serving = Serving(tmp_path)
    yield serving
    for proc in serving.started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _titles(port: int) -> list[str]:
    status, _, body = get(port, "/feeds/posts/default")
    assert status == 200
    return [e.findtext(f"{ATOM}title") or "" for e in entries(body.decode())]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_a_post_that_came_due_while_the_server_was_down_is_in_the_feed_at_start(
    serving: Serving, tmp_path: Path
) -> None:
    began = time.monotonic()
    server = serving.start()
    # Due 2 s after the post is added: `post add` is a new Python process, which starts
    # about as slowly as the server did (seconds on a loaded machine).
    lead = 2.0 + 1.5 * (time.monotonic() - began)
    due = datetime.now(UTC) + timedelta(seconds=lead)
    (tmp_path / "later.html").write_text(POST_FILE.format(when=due.isoformat()))
    added = subprocess.run([sys.executable, "-m", "server", "post", "add", "later.html"],
                           cwd=tmp_path, env=serving.env(), capture_output=True, text=True,
                           timeout=60)
    assert added.returncode == 0, added.stderr
    assert added.stdout.split()[-1] == "scheduled"
    time.sleep(0.3)  # the running server saw the change: nothing to show yet
    assert _titles(serving.port) == []
    assert _status(serving.port, "due-while-down") == "scheduled"
    _stop(server)
    assert datetime.now(UTC) < due, "the machine was too slow for this story"

    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    server = serving.start()
    assert _titles(serving.port) == ["Due while down"]  # the first answer after the start
    assert _status(serving.port, "due-while-down") == "published"
    _stop(server)


def _status(port: int, ref: str) -> str:
    status, _, body = get(port, f"/api/posts/{ref}", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body[:300]
    return str(json.loads(body)["status"])
