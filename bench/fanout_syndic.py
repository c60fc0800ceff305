"""bench/fanout.py's side of syndic: the constants of the site it runs, its HTTP API and hub
as a client sees them, and read-only looks at its store and its log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import sqlite3
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.fanout_subscribers import secret_for
from bench.procs import get
from bench.seed import PUBLIC_URL, _paragraph

FEED = "/feeds/posts/default"
TOPIC = PUBLIC_URL + FEED
TOKEN = "bench-fanout-token-0123456789abcdef"
_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\S+) (.*)$")


def query_db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """A read-only look at the server's store (WAL: does not block its writer)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as c:
        return c.execute(sql).fetchall()


async def subscribe_all(base: str, callbacks: list[tuple[int, str]], salt: str,
                        concurrency: int, timeout: float) -> Counter[str]:
    """POST /hub for each callback; 429 (too many verifications pending) is retried."""
    gate = asyncio.Semaphore(concurrency)
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + timeout

    async def one(session: aiohttp.ClientSession, n: int, url: str) -> None:
        form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": url,
                "hub.secret": secret_for(n, salt), "hub.lease_seconds": "86400"}
        async with gate:
            while True:
                async with session.post(base + "/hub", data=form) as resp:
                    text = await resp.text()
                    status = resp.status
                if status == 429 and time.monotonic() < deadline:
                    outcomes["429 (retried)"] += 1
                    await asyncio.sleep(0.1 + random.random() * 0.1)
                    continue
                outcomes[str(status) if status == 202 else f"{status} {text.strip()[:80]}"] += 1
                return

    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(one(session, n, url) for n, url in callbacks))
    return outcomes


async def api_post(base: str, path: str, payload: Any) -> tuple[int, Any, float, float]:
    """(status, JSON answer, time sent, time the call returned) with time.time()."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        sent = time.time()
        async with session.post(base + path, data=json.dumps(payload), headers=headers) as r:
            raw = await r.read()
            returned = time.time()
            status = r.status
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = raw[:200].decode("utf-8", "replace")
    return status, answer, sent, returned


def content(rng: random.Random, i: int, size: int) -> str:
    blocks: list[str] = []
    while sum(map(len, blocks)) < size:
        blocks.append(_paragraph(rng, i))
    return "\n".join(blocks)


async def create_posts(base: str, count: int) -> None:
    """`count` posts in one bulk create, then wait until the site feed shows them."""
    rng = random.Random(11)
    items = [{"title": f"Fan-out background post {i}", "content_html": content(rng, i, 6000),
              "labels": ["fanout"], "authors": [{"name": "Bench Writer"}]}
             for i in range(count)]
    status, answer, _, _ = await api_post(base, "/api/posts/bulk", items)
    if status != 200 or answer.get("added") != count:
        raise RuntimeError(f"bulk create: {status} {str(answer)[:300]}")
    want = min(count, 25)
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            async with session.get(base + FEED) as resp:
                if (await resp.read()).count(b"<entry") >= want:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError("the background posts never showed in the feed")


def server_log_events(log: Path, offset: int, origin: float) -> list[tuple[float, str]]:
    """The server's regeneration and delivery log lines written after `offset`, as (seconds
    after `origin`, message) (the log's asctime is local time, millisecond precision).
    "regenerated" is logged once the changed artifacts and their deliveries are stored;
    "deliveries:" once the outbox run recorded the outcome of every attempt it sent."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.splitlines():
        m = _LOG_LINE.match(line)
        if m and ("regenerated" in m.group(3) or m.group(3).startswith("deliveries:")):
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out.append((at - origin, m.group(3)))
    return out


def fetch(port: int, path: str) -> bytes:
    status, _, body = get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status}")
    return body
