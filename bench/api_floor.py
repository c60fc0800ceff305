"""The create floor: bench/api.py's writers against an aiohttp handler that parses the
JSON body and answers 201 with a small post object, storing and rendering nothing. What no
change to syndic's create path can beat while syndic is one aiohttp process on these cores
(the same client, the same 2-6 KB bodies, the same keep-alive sessions).

    .venv/bin/python -m bench.api_floor --writers 50 --seconds 10
    .venv/bin/python -m bench.api_floor --writers 50 --seconds 10 --work-ms 1.0

`--work-ms` adds that much CPU (a busy loop, holding the GIL as Python code does) to each
create: the floor of a handler that costs that much, to read syndic's per-create CPU
against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from bench.api import TOKEN, Poller, Results, body_pool, cpu_of, pct, self_cpu, writer
from bench.procs import HOST, free_port

_FEED = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"/>'


def make_app(work_ms: float) -> web.Application:
    counter = [0]

    async def create(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized()
        body = json.loads(await request.read())
        if work_ms:
            until = time.perf_counter() + work_ms / 1000
            while time.perf_counter() < until:
                pass
        counter[0] += 1
        post = {"id": counter[0], "entry_id": f"tag:floor,2026:{counter[0]}",
                "title": body["title"], "published": datetime.now(UTC).isoformat()}
        return web.json_response(post, status=201)

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=_FEED, content_type="application/atom+xml")

    app = web.Application()
    app.router.add_post("/api/posts", create)
    app.router.add_get("/feeds/posts/default", feed)
    return app


async def measure(port: int, pid: int, writers: int, seconds: float) -> dict[str, float]:
    base = f"http://{HOST}:{port}"
    bodies = body_pool(200)
    results = Results()
    async with aiohttp.ClientSession() as session:
        poller = Poller(session, base, results)  # never polls: no probes are made
        cpu_server, cpu_client = cpu_of(pid), self_cpu()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(writer(w, base, deadline, bodies, results, poller, [10**9],
                                      10**9) for w in range(writers)))
        wall = time.perf_counter() - started
    lat = [x * 1000 for x in results.latencies]
    return {"creates": len(lat), "creates/s": len(lat) / wall, "p50 ms": pct(lat, 0.5),
            "p99 ms": pct(lat, 0.99), "errors": sum(results.errors.values()),
            "server CPU s": cpu_of(pid) - cpu_server, "client CPU s": self_cpu() - cpu_client,
            "wall s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--work-ms", type=float, default=0.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    if args.serve:
        web.run_app(make_app(args.work_ms), host=HOST, port=args.serve, print=None,
                    access_log=None)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.api_floor", "--serve", str(port),
                               "--work-ms", str(args.work_ms)])
    try:
        time.sleep(1.5)
        figures = asyncio.run(measure(port, server.pid, args.writers, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"floor: {args.writers} writers for {args.seconds:g} s, {args.work_ms:g} ms of "
          "work a create")
    for name, value in figures.items():
        print(f"| {name} | {value:,.1f} |")


if __name__ == "__main__":
    main()
