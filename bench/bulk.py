"""Bulk creates through the admin API: `POST /api/posts/bulk` with N posts (a JSON array,
default the most one request may carry, api.bulk_max_items = 10,000), R times in a row,
each with new posts. Reports each request's time, posts per second and the server's CPU.

A 200-post site is seeded (bench/seed.py) into a new SQLite file and `syndic serve` runs on
it on 127.0.0.1, as in bench/api.py; the posts are the 2-6 KB HTML bodies bench/api.py
sends, 1-3 labels and one author each, made before the clock starts.

    .venv/bin/python -m bench.bulk                        # 3 requests of 10,000 posts
    .venv/bin/python -m bench.bulk --posts 2000 --requests 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.api import TOKEN, body_pool, cpu_of
from bench.import_bench import code_state, wait_serving
from bench.procs import HOST, free_port, run_in_workdir, stop_on_signals, syndic
from bench.seed import author_names, label_names, seed_site


def request_body(n: int, round_: int, bodies: list[str]) -> bytes:
    rng = random.Random(round_)
    labels, authors = label_names(20), author_names(5)
    return json.dumps([
        {"title": f"Bulk {round_}-{i}: {rng.choice(labels)} notes",
         "content_html": bodies[i % len(bodies)], "status": "published",
         "labels": rng.sample(labels, rng.randint(1, 3)),
         "authors": [{"name": rng.choice(authors)}]}
        for i in range(n)]).encode()


async def send_all(args: argparse.Namespace, port: int, pid: int) -> list[dict[str, float]]:
    bodies = body_pool(200)
    payloads = [request_body(args.posts, r, bodies) for r in range(args.requests)]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    out = []
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for payload in payloads:
            cpu, started = cpu_of(pid), time.perf_counter()
            async with session.post(f"http://{HOST}:{port}/api/posts/bulk", data=payload,
                                    headers=headers) as reply:
                answer = await reply.json()
                assert reply.status == 200, answer
            wall = time.perf_counter() - started
            assert answer["added"] == args.posts, {k: answer[k] for k in ("added", "errors")}
            out.append({"wall": wall, "cpu": cpu_of(pid) - cpu, "mb": len(payload) / 1e6})
            await asyncio.sleep(args.pause)  # the feeds the request touched render meanwhile
    return out


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts per request")
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--pause", type=float, default=3.0,
                        help="seconds between requests (regeneration runs meanwhile)")
    parser.add_argument("--keep", type=Path, help="keep the database and log here")
    args = parser.parse_args()

    def run(work: Path) -> int:
        db = work / "site.db"
        asyncio.run(seed_site(db, 200, 20, 5))
        port = free_port()
        log = work / "serve.log"
        with syndic(db, port, work / "serve", log, access_log=True,
                    api__tokens=TOKEN) as server:
            assert server.proc is not None
            wait_serving(port, server.proc, log, timeout=600)
            rounds = asyncio.run(send_all(args, port, server.pid))
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
              f"{os.cpu_count()} cores; {args.requests} bulk requests of {args.posts} posts "
              f"({rounds[0]['mb']:.1f} MB each) into a 200-post site; {code_state()}\n")
        print("| request | seconds | posts/s | server CPU s |\n| ---: | ---: | ---: | ---: |")
        for i, r in enumerate(rounds, 1):
            print(f"| {i} | {r['wall']:.2f} | {args.posts / r['wall']:.0f} | {r['cpu']:.2f} |")
        walls = [r["wall"] for r in rounds]
        print(f"\nmedian {statistics.median(walls):.2f} s: "
              f"{args.posts / statistics.median(walls):.0f} posts/s")
        return 0

    run_in_workdir(run, args.keep, "syndic-bulk-")


if __name__ == "__main__":
    main()
