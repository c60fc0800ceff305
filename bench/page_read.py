"""A feed's page read through the store (Store.select_posts: count, rows, labels), as the
regeneration asks for it: wall time and the process's CPU a call, on the API benchmark's
200-post site (bench/seed.py) in a new SQLite file, for the site feed, a label feed and an
author feed.

    .venv/bin/python -m bench.page_read
    .venv/bin/python -m bench.page_read --calls 500
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench.procs import run_in_workdir
from bench.seed import bench_settings, seed_site
from feeds.query import parse_key_string
from feeds.store import open_store
from server.clock import SystemClock

FEEDS = ("/feeds/posts/default", "/feeds/posts/default/-/http",
         "/feeds/authors/kenji-lovelace/default")


async def measure(db: Path, calls: int) -> list[str]:
    await seed_site(db, 200, 20, 5)
    store = await open_store(bench_settings(db).storage.url)
    lines = ["| feed | wall ms a call | CPU ms a call |", "| --- | ---: | ---: |"]
    try:
        now = SystemClock().now()
        for path in FEEDS:
            key = parse_key_string(path, 25, 500)
            await store.select_posts(1, key, now)  # warm: connections, compiled statements
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                await store.select_posts(1, key, now)
            lines.append(f"| {path} | {(time.perf_counter() - wall) * 1000 / calls:.2f} | "
                         f"{(time.process_time() - cpu) * 1000 / calls:.2f} |")
    finally:
        await store.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    def in_dir(work: Path) -> int:
        print("\n".join(asyncio.run(measure(work / "site.db", args.calls))))
        return 0

    run_in_workdir(in_dir, None, "syndic-page-")


if __name__ == "__main__":
    main()
