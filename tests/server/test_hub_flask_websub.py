"""syndic's hub against an independent WebSub subscriber: Flask-WebSub's
(tests/server/flask_websub_subscriber/app.py), in a process and venv of its own. It discovers
the hub and topic from syndic's feed, subscribes with a secret (Flask-WebSub sends one only
to an https hub, so syndic serves https here with a throwaway self-signed certificate),
answers the verification of intent, and checks the signature of what syndic delivers with
its own code; then it unsubscribes and gets nothing more. Subscribed to a label's feed, it
refuses to take the new URL when the label is renamed (it confirms only the topic it asked
for) and goes on getting the label's feed.

`syndic serve` has no TLS option, so syndic runs in this process behind aiohttp's
web.SockSite(ssl_context=...). Flask-WebSub must not be installed in syndic's venv (its
distribution ships a top-level `tests` package that shadows ours): a venv of its own is made
once, under ~/.cache/syndic-test/, with pip from PyPI."""

from __future__ import annotations

import asyncio
import fcntl
import importlib.util
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from config import Settings
from feeds.store.schema import intents
from server.app import create_app
from server.keys import STORE

FLASK_WEBSUB = "Flask-WebSub==0.4.1"
VENV_KEY = f"flask-websub-0.4.1-py{sys.version_info[0]}{sys.version_info[1]}-v1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "syndic-test"
APP = Path(__file__).resolve().parent / "flask_websub_subscriber" / "app.py"
TOKEN = "flask-websub-token-0123456789"
WITHIN = 20.0


# -- the subscriber's venv, the certificate ------------------------------------------------


@pytest.fixture(scope="session")
def flask_websub_python() -> Path:
    """A Python with Flask-WebSub, in a venv of its own (made once, then reused)."""
    venv = CACHE / VENV_KEY
    python = venv / "bin" / "python"
    done = venv / ".complete"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{VENV_KEY}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be making it
        if done.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        for cmd in ([sys.executable, "-m", "venv", str(venv)],
                    [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                     FLASK_WEBSUB]):
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                                    stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                pytest.fail(f"making the Flask-WebSub venv failed: {' '.join(cmd)}\n"
                            f"{result.stdout}\n{result.stderr}")
        done.write_text(FLASK_WEBSUB + "\n")
    return python


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return Certificate(cert, key)


# -- syndic over https, in this process ----------------------------------------------------


@dataclass
class Syndic:
    base: str
    app: web.Application
    http: aiohttp.ClientSession

    @property
    def topic(self) -> str:
        return f"{self.base}/feeds/posts/default"

    async def feed(self) -> bytes:
        async with self.http.get(self.topic) as resp:
            assert resp.status == 200
            return await resp.read()

    async def answers(self, url: str) -> bool:
        async with self.http.get(url) as resp:
            return resp.status == 200

    async def create_post(self, title: str, labels: tuple[str, ...] = ()) -> dict[str, Any]:
        return await self.api("POST", "/api/posts", {
            "title": title, "content_html": "<p>Pushed.</p>", "labels": list(labels)}, 201)

    async def api(self, method: str, path: str, body: dict[str, Any], expect: int
                  ) -> dict[str, Any]:
        async with self.http.request(
                method, f"{self.base}{path}", data=json.dumps(body),
                headers={"Authorization": f"Bearer {TOKEN}",
                         "Content-Type": "application/json"}) as resp:
            assert resp.status == expect, await resp.text()
            return await resp.json()  # type: ignore[no-any-return]


@pytest.fixture
async def syndic(make_settings: Callable[..., Settings],
                 certificate: Certificate) -> AsyncIterator[Syndic]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"https://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(
        server={"public_url": base},
        websub={"allow_private_callbacks": True, "delivery_timeout_seconds": 5.0,
                "retry_base_seconds": 0.2, "retry_max_seconds": 1.0},
        scheduler={"outbox_poll_seconds": 0.1},
        api={"tokens": [TOKEN]},
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(certificate.cert, certificate.key)
    client_tls = ssl.create_default_context(cafile=str(certificate.cert))
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, ssl_context=server_tls).start()
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=client_tls),
                timeout=aiohttp.ClientTimeout(total=WITHIN)) as http:
            yield Syndic(base, app, http)
    finally:
        await runner.cleanup()
        sock.close()


# -- the Flask-WebSub subscriber, in its own process ---------------------------------------


@dataclass
class FlaskSubscriber:
    url: str
    workdir: Path
    proc: subprocess.Popen[bytes]
    http: aiohttp.ClientSession

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(f"{self.url}{path}", params=params) as resp:
            text = await resp.text()
            assert resp.status == 200, f"{path}: {resp.status} {text[:2000]}\n{self.log()}"
            return json.loads(text)

    async def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in await self.get("/events") if e["kind"] == kind]

    async def wait_for(self, kind: str, what: Callable[[dict[str, Any]], bool],
                       within: float = WITHIN) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            found = [e for e in await self.events(kind) if what(e)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"Flask-WebSub never saw {kind!r}; it saw "
                                     f"{await self.get('/events')}\n{self.log()}")
            await asyncio.sleep(0.05)

    def stored_secret(self, callback_id: str) -> str | None:
        """The secret Flask-WebSub keeps for a subscription (it made it up itself)."""
        conn = sqlite3.connect(self.workdir / "subscriber.db", timeout=10)
        try:
            row = conn.execute("SELECT secret FROM subscriber WHERE callback_id = ?",
                               (callback_id,)).fetchone()
        finally:
            conn.close()
        return None if row is None or row[0] is None else str(row[0])

    def log(self) -> str:
        return (self.workdir / "flask.log").read_text(errors="replace")[-6000:]


@pytest.fixture
async def flask_subscriber(flask_websub_python: Path, certificate: Certificate,
                           tmp_path: Path) -> AsyncIterator[FlaskSubscriber]:
    workdir = tmp_path / "flask"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SYNDIC_", "PYTHON", "VIRTUAL_ENV"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    # requests trusts the throwaway certificate (and only it), and calls loopback directly.
    env.update(REQUESTS_CA_BUNDLE=str(certificate.cert), PYTHONNOUSERSITE="1",
               NO_PROXY="127.0.0.1,localhost")
    with (workdir / "flask.log").open("wb") as log:
        proc = subprocess.Popen([str(flask_websub_python), str(APP), str(workdir)],
                                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + WITHIN
        while not (workdir / "port").exists():
            assert proc.poll() is None, (workdir / "flask.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "the Flask subscriber never started"
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{json.loads((workdir / 'port').read_text())}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WITHIN)) as http:
            yield FlaskSubscriber(url, workdir, proc, http)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- the story -----------------------------------------------------------------------------


async def test_flask_websub_subscribes_with_a_secret_and_verifies_what_syndic_pushes(
    syndic: Syndic, flask_subscriber: FlaskSubscriber
) -> None:
    sub = flask_subscriber
    # Discovery (Link rel=hub/self of syndic's feed, over https), then the request.
    found = await sub.get("/subscribe", url=syndic.topic)
    assert found["hub_url"] == f"{syndic.base}/hub"
    assert found["topic_url"] == syndic.topic
    callback_id = found["callback_id"]

    # Verification of intent: Flask-WebSub echoed the challenge and holds the subscription.
    ok = await sub.wait_for("success", lambda e: e["callback_id"] == callback_id)
    assert ok["mode"] == "subscribe" and ok["topic"] == syndic.topic
    assert await sub.events("error") == []
    secret = sub.stored_secret(callback_id)
    assert secret, "Flask-WebSub sent no hub.secret"
    store = syndic.app[STORE]
    # Flask-WebSub records its success when it answers the challenge; syndic stores the
    # subscription once that answer is back: a moment later.
    deadline = time.monotonic() + WITHIN
    while (total := (await store.page_subscriptions(10, 0))[0]) == 0:
        assert time.monotonic() < deadline, "the verified subscription was never stored"
        await asyncio.sleep(0.02)
    total, subs = await store.page_subscriptions(10, 0)
    assert total == 1
    assert subs[0].callback == f"{sub.url}/callbacks/{callback_id}"
    assert subs[0].secret == secret and subs[0].topic.url == syndic.topic

    # A post: syndic pushes the new feed, signed; Flask-WebSub's own check lets it through.
    post = await syndic.create_post("Pushed to Flask-WebSub")
    got = await sub.wait_for("notified", lambda e: post["entry_id"] in e["body"])
    assert got["callback_id"] == callback_id and got["topic"] == syndic.topic
    assert got["body"].encode() == await syndic.feed()
    posted = (await sub.events("posted"))[-1]
    assert posted["signature"].startswith("sha256=")
    assert posted["content_type"] == "application/atom+xml; charset=utf-8"
    assert f'<{syndic.base}/hub>; rel="hub"' in posted["link"]
    assert f'<{syndic.topic}>; rel="self"' in posted["link"]

    # Its check is real: the same body with a wrong signature reaches no listener.
    notified = len(await sub.events("notified"))
    async with sub.http.post(f"{sub.url}/callbacks/{callback_id}", data=got["body"].encode(),
                             headers={"X-Hub-Signature": "sha256=" + "0" * 64,
                                      "Content-Type": "application/atom+xml"}) as resp:
        assert resp.status == 200
    assert len(await sub.events("notified")) == notified

    # Unsubscription: verified by Flask-WebSub, gone from syndic, nothing more pushed.
    await sub.get("/unsubscribe", id=callback_id)
    await sub.wait_for("success", lambda e: e["mode"] == "unsubscribe")
    deadline = time.monotonic() + WITHIN
    while (await store.page_subscriptions(10, 0))[0] != 0:
        assert time.monotonic() < deadline, "syndic kept the subscription"
        await asyncio.sleep(0.05)
    posts_seen = len(await sub.events("posted"))
    await syndic.create_post("Not pushed")
    await asyncio.sleep(1.0)  # the outbox runs every 0.1 s
    assert len(await sub.events("posted")) == posts_seen


async def test_flask_websub_refuses_a_renamed_labels_new_url_and_is_pushed_its_feed(
    syndic: Syndic, flask_subscriber: FlaskSubscriber
) -> None:
    """Flask-WebSub confirms only the topic it asked for (404 "Topic url does not match",
    as WebSub §5.3.1 has it): asked to take the new URL of a renamed label's feed, it
    refuses, and syndic keeps its subscription as it knows it, pushing the new label's
    feed under it, signed with its secret."""
    sub, store = flask_subscriber, syndic.app[STORE]
    old, new = (f"{syndic.base}/feeds/posts/default/-/{name}" for name in ("old", "new"))
    await syndic.create_post("Tagged", ("old",))
    deadline = time.monotonic() + WITHIN
    while not await syndic.answers(old):
        assert time.monotonic() < deadline, "the label's feed was never rendered"
        await asyncio.sleep(0.05)
    found = await sub.get("/subscribe", url=old)
    assert found["topic_url"] == old
    await sub.wait_for("success", lambda e: e["callback_id"] == found["callback_id"])
    while (await store.page_subscriptions(10, 0))[0] == 0:
        assert time.monotonic() < deadline, "the verified subscription was never stored"
        await asyncio.sleep(0.02)

    await syndic.api("PATCH", "/api/labels/old", {"name": "new"}, 200)
    while "HTTP 404" not in str(await _moves(syndic)):
        assert time.monotonic() < deadline + WITHIN, f"never asked: {await _moves(syndic)}"
        await asyncio.sleep(0.05)
    _, [kept] = await store.page_subscriptions(10, 0)
    assert kept.topic.url == old and kept.topic.feed_key == "/feeds/posts/default/-/new"

    post = await syndic.create_post("Under the new name", ("new",))
    got = await sub.wait_for("notified", lambda e: post["entry_id"] in e["body"])
    assert got["callback_id"] == found["callback_id"] and got["topic"] == old
    async with syndic.http.get(new) as resp:
        assert got["body"].encode() == await resp.read()
    assert f'<{new}>; rel="self"' in (await sub.events("posted"))[-1]["link"]
    assert await sub.events("error") == []


async def _moves(syndic: Syndic) -> list[tuple[str, str | None]]:
    i = intents.c
    async with syndic.app[STORE].engine.connect() as conn:
        rows = await conn.execute(select(i.state, i.last_error).where(i.mode == "move"))
        return [(r.state, r.last_error) for r in rows]


def test_flask_websub_is_not_in_our_venv() -> None:
    """Its distribution's top-level `tests` package would shadow ours."""
    ours = Path(__file__).resolve().parents[1]
    spec = importlib.util.find_spec("tests.conftest")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve().parent == ours
    assert importlib.util.find_spec("flask_websub") is None
