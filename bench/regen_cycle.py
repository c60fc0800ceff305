"""One create, then one regeneration of what it touched, in-process: the CPU each costs and
where a regeneration's time goes (page selects, rendering, saving).

The API benchmark's site (bench/seed.py: 200 posts, 20 labels, 5 authors) in a new SQLite
file; the real Publisher and store, an inline renderer (so the render's CPU is counted on
this thread). After one full regeneration, N times: add a post (2-6 KB of HTML, 1-3 labels,
one author) and regenerate the feeds it made dirty (the site feeds, its label and author
feeds: 7 keys, 21 documents). The phases are timed by wrapping the Publisher's and the
store's methods (instrumentation of this process only); "CPU on this thread" is
time.thread_time, the rest of a phase's wall time is SQLite's threads and waiting for them.

    .venv/bin/python -m bench.regen_cycle              # 60 cycles
    .venv/bin/python -m bench.regen_cycle --cycles 300
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.api import body_pool
from bench.procs import run_in_workdir
from bench.seed import author_names, bench_settings, label_names, seed_site
from feeds.models import Author, PostDraft
from feeds.publishing import Publisher
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import Store, open_store
from server.app import ensure_sites, make_publisher
from server.clock import SystemClock

FRAGMENT_BUDGET = 64 << 20
WRAPPED = ((Publisher, "render_feed"), (Publisher, "_select"), (Store, "save_artifacts"))
PHASES = ("select and render (render_feed)", "  of which the page select",
          "save (artifacts, deliveries, dirty rows)")
WALL: dict[str, float] = {}
CPU: dict[str, float] = {}


def _timed(owner: type, name: str, label: str) -> None:
    """Wrap owner.name (a coroutine method) to add its wall and this thread's CPU time."""
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    async def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return await original(*args, **kwargs)
        finally:
            WALL[label] = WALL.get(label, 0.0) + time.perf_counter() - wall
            CPU[label] = CPU.get(label, 0.0) + time.thread_time() - cpu

    setattr(owner, name, timed)


async def measure(db: Path, cycles: int) -> list[str]:
    await seed_site(db, 200, 20, 5)
    settings = bench_settings(db)
    store = await open_store(settings.storage.url)
    try:
        clock = SystemClock()
        site = (await ensure_sites(store, settings, clock))[0]
        publisher = make_publisher(store, settings, InlineRenderer(FeedRenderer(FRAGMENT_BUDGET)))
        sites = {site.id: site}
        await publisher.regenerate_dirty(sites, clock.now())  # the first, full one
        for (owner, name), label in zip(WRAPPED, PHASES, strict=True):
            _timed(owner, name, label)
        bodies, labels, authors = body_pool(50), label_names(20), author_names(5)
        rng = random.Random(3)
        create_wall = regen_wall = 0.0
        keys = 0
        cpu_start = time.process_time()
        for i in range(cycles):
            draft = PostDraft(
                title=f"Cycle {i}: {rng.random():.6f}", content_html=rng.choice(bodies),
                published=clock.now(), labels=tuple(rng.sample(labels, rng.randint(1, 3))),
                authors=(Author(rng.choice(authors)),))
            started = time.perf_counter()
            await publisher.add_post(site, draft, clock.now())
            create_wall += time.perf_counter() - started
            started = time.perf_counter()
            keys += (await publisher.regenerate_dirty(sites, clock.now())).rendered_keys
            regen_wall += time.perf_counter() - started
        cpu = time.process_time() - cpu_start
    finally:
        await store.close()
    ms = 1000 / cycles
    lines = [
        f"{cycles} cycles; {keys / cycles:.1f} feeds rendered a cycle",
        "",
        "| a cycle | wall ms | CPU ms on this thread |",
        "| --- | ---: | ---: |",
        f"| create (add_post) | {create_wall * ms:.2f} | |",
        f"| regeneration (regenerate_dirty) | {regen_wall * ms:.2f} | |",
        *(f"| {label} | {WALL.get(label, 0) * ms:.2f} | {CPU.get(label, 0) * ms:.2f} |"
          for label in PHASES),
        f"| CPU of the process (all threads), create + regeneration | "
        f"{cpu * ms:.2f} | |",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=60)
    args = parser.parse_args()

    def in_dir(work: Path) -> int:
        print("\n".join(asyncio.run(measure(work / "site.db", args.cycles))))
        return 0

    run_in_workdir(in_dir, None, "syndic-regen-")


if __name__ == "__main__":
    main()
