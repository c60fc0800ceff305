"""What a blog's move costs: a generated WordPress export of N posts imported into a fresh
SQLite file (`syndic import wordpress`, as bench/import.py does), then, in process, the
store's change of the site's base URL from the export's own (every post's links rewritten
in SQL) and of its
summary length (every summary the blog made re-cut), each timed, with the longest the
event loop went without a turn meanwhile (a ticker every 1 ms: how long a server doing the
change would keep a feed request waiting) and the slowest of small writes made meanwhile
(what a create would wait for the write turn).

    .venv/bin/python -m bench.site_move --posts 20000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.import_bench import default_wxr, run_import, wxr_complete
from bench.seed import PUBLIC_URL
from bench.wxr_gen import SITE, write_wxr
from feeds.store import Store, open_store
from feeds.store import schema as t


async def _timed(store: Store, site_id: int, work: Awaitable[Any]) -> str:
    """Wall seconds of `work`; the longest gap (ms) between turns of a 1 ms ticker; and
    the longest a small write made every 50 ms meanwhile took (what a create waits)."""
    longest, slowest_write = 0.0, 0.0
    done = False

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    async def write() -> None:
        nonlocal slowest_write
        n = 0
        while not done:
            n += 1
            started = time.perf_counter()
            await store.save_aliases(site_id, {f"bench:{n}": "x"})
            slowest_write = max(slowest_write, time.perf_counter() - started)
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(tick()), asyncio.create_task(write())]
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await work
    wall = time.perf_counter() - started
    done = True
    await asyncio.gather(*tasks)
    return (f"{wall:.2f} s, longest loop stall {longest * 1000:.0f} ms, "
            f"slowest write meanwhile {slowest_write * 1000:.0f} ms")


async def _count(store: Store, *where: Any) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(
            select(func.count()).select_from(t.posts).where(*where))).scalar_one())


async def measure(db: Path) -> None:
    store = await open_store(f"sqlite:///{db}")
    try:
        site = (await store.sites())[0]
        posts = await _count(store, t.posts.c.site_id == site.id)
        # Every generated post shows a photo from the old blog's uploads (bench/wxr_gen.py
        # SITE): a blog whose posts link under its base is that blog, moved.
        await store.update_site(site.id, {"base_url": SITE})
        timed = await _timed(store, site.id, store.update_site(
            site.id, {"base_url": "https://moved.example/blog"}))
        moved = await _count(store, t.posts.c.content_html.contains("https://moved.example/"))
        print(f"base_url change, {posts} posts ({moved} rewritten): {timed}")
        timed = await _timed(store, site.id, store.update_site(
            site.id, {"summary_length": site.summary_length + 150}))
        print(f"summary_length change, {posts} posts: {timed}")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20000)
    args = parser.parse_args()
    wxr = default_wxr(args.posts)
    if not wxr_complete(wxr, args.posts):
        write_wxr(wxr, args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "syndic.db"
        imported = run_import(wxr, db, work)
        print(f"imported {args.posts} posts in {imported['wall']:.1f} s "
              f"(base URL {PUBLIC_URL})")
        asyncio.run(measure(db))


if __name__ == "__main__":
    main()
