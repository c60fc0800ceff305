"""The subscriber side of bench/fanout.py: one process, one aiohttp server on 127.0.0.1
serving the WebSub callbacks /cb/K for the numbers K it is given (bench/fanout.py deals
them round-robin, so the hub's deliveries, sent in subscription order, reach every process
at once instead of one process after the other).

A GET with hub.mode=subscribe and a hub.challenge on a known callback for the expected topic
is a verification of intent: the challenge is echoed. A POST is a delivery: the whole body is
read, then its arrival time (time.time(), the clock the parent reads too), its SHA-256,
whether its X-Hub-Signature matches the callback's secret and which of the markers (the
titles of the posts the parent will publish) is the newest it carries are recorded.

Counts of verifications and of deliveries carrying the last marker go to a shared array as
they happen (slot 2*index and 2*index+1, written only by this process), so the parent can
wait without asking; the records go through the pipe when the parent says "stop".
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"
Record = tuple[int, float, str, bool, int]
"""(callback number, arrival time, body SHA-256 hex, signature ok, index of the newest
marker the body carries or -1)"""


def secret_for(n: int, salt: str) -> str:
    return f"fanout-{salt}-{n}"


def serve(index: int, numbers: list[int], topic: str, markers: list[str], salt: str,
          conn: Connection, counters: Any, slow: set[int], slow_seconds: float) -> None:
    """Process entry point: serve until the parent sends "stop", then send the records.
    Callbacks in `slow` answer a delivery only `slow_seconds` after receiving it (a slow
    subscriber: its arrival is recorded when the body is in)."""
    asyncio.run(_serve(index, numbers, topic, [m.encode() for m in markers], salt, conn,
                       counters, slow, slow_seconds))


async def _serve(index: int, numbers: list[int], topic: str, markers: list[bytes], salt: str,
                 conn: Connection, counters: Any, slow: set[int], slow_seconds: float,
                 ) -> None:
    records: list[Record] = []
    refused: list[str] = []
    secrets = {n: secret_for(n, salt).encode() for n in numbers}

    async def callback(request: web.Request) -> web.StreamResponse:
        try:
            n = int(request.match_info["n"])
        except ValueError:
            n = -1
        if n not in secrets:
            refused.append(f"{request.method} unknown callback {request.path}")
            return web.Response(status=404)
        if request.method == "GET":
            q = request.query
            challenge = q.get("hub.challenge", "")
            if q.get("hub.mode") != "subscribe" or q.get("hub.topic") != topic or not challenge:
                refused.append(f"GET {request.path_qs[:200]}")
                return web.Response(status=404)
            counters[2 * index] += 1
            return web.Response(text=challenge)
        body = await request.read()
        arrived = time.time()
        sig = request.headers.get("X-Hub-Signature", "")
        want = "sha256=" + hmac.new(secrets[n], body, hashlib.sha256).hexdigest()
        newest = next((k for k in range(len(markers) - 1, -1, -1) if markers[k] in body), -1)
        records.append((n, arrived, hashlib.sha256(body).hexdigest(),
                        hmac.compare_digest(sig, want), newest))
        if newest == len(markers) - 1:
            counters[2 * index + 1] += 1
        if n in slow:
            await asyncio.sleep(slow_seconds)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/cb/{n}", callback)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=1024)
    await site.start()
    conn.send(int(runner.addresses[0][1]))
    loop = asyncio.get_running_loop()
    try:
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message == "stop":
                break
    finally:
        await runner.cleanup()
    conn.send((records, refused[:20], len(refused)))
