"""Peak memory and time to first serve of a 10,000-post site (200 labels, 50 authors).

The server runs as a subprocess on a copy of the seeded SQLite file, twice:
- cold: a store with posts and no artifacts (as after an import): every feed is rendered
  before the port opens;
- restart: the same store again, artifacts already stored: they are loaded, not rendered.
Each time every feed is requested once (site feeds in the three projections, every label,
every author, the comment feeds; Atom, RSS and JSON), then the peak RSS is read from
/proc/PID/status (VmHWM). Time to first serve: process start to the first 200 on
/feeds/posts/default. Target: peak RSS <= 400 MB.

    .venv/bin/python -m bench.memory --db /tmp/bench-10k.db     # seeded there if missing
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from bench.procs import HOST, free_port, stop_on_signals, syndic, vm_kib, wait_ready
from bench.seed import bench_settings, seed_site
from feeds.store import open_store

MIB = 1024


async def feed_paths(db: Path) -> list[str]:
    """Every standard feed of the site, in the three formats."""
    store = await open_store(bench_settings(db).storage.url)
    try:
        site = (await store.sites())[0]
        now = datetime.now(UTC)
        labels = [lb for lb, _ in await store.labels(site.id, now)]
        authors = [slug for slug, _, _ in await store.authors(site.id, now)]
        commented = await store.commented_posts(site.id, now)
    finally:
        await store.close()
    paths = ["/feeds/posts/default", "/feeds/posts/full", "/feeds/posts/summary",
             "/feeds/comments/default"]
    paths += [f"/feeds/posts/default/-/{quote(lb, safe='')}" for lb in labels]
    paths += [f"/feeds/authors/{quote(a, safe='')}/default" for a in authors]
    paths += [f"/feeds/{p}/comments/default" for p in commented]
    return [p + alt for p in paths for alt in ("", "?alt=rss", "?alt=json")]


def request_all(port: int, paths: list[str]) -> tuple[dict[int, int], int, float]:
    """GET every path on one keep-alive connection: (status counts, bytes, seconds)."""
    statuses: dict[int, int] = {}
    total = 0
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        for path in paths:
            conn.request("GET", path)
            resp = conn.getresponse()
            total += len(resp.read())
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
    finally:
        conn.close()
    return statuses, total, time.perf_counter() - started


def artifact_sizes(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        n, body, gz, br = conn.execute(
            "SELECT count(*), sum(length(body)), sum(length(body_gzip)), sum(length(body_br))"
            " FROM artifacts").fetchone()
    return (f"{n} artifacts stored: identity {body / 2**20:.0f} MiB, gzip {gz / 2**20:.0f} MiB,"
            f" br {br / 2**20:.0f} MiB, together {(body + gz + br) / 2**20:.0f} MiB")


def run_once(db: Path, work: Path, label: str, paths: list[str], settings: dict[str, str],
             ) -> dict[str, str]:
    port = free_port()
    log = work / f"{label}.log"
    with syndic(db, port, work / label, log, access_log=True, **settings) as server:
        assert server.proc is not None
        wait_ready(port, "/feeds/posts/default", server.proc, timeout=1800)
        first_serve = time.monotonic() - server.started
        hwm_ready = vm_kib(server.pid, "VmHWM")
        statuses, size, seconds = request_all(port, paths)
        hwm = vm_kib(server.pid, "VmHWM")
        rss = vm_kib(server.pid, "VmRSS")
    return {
        "run": label,
        "first serve s": f"{first_serve:.1f}",
        "VmHWM at first serve MiB": f"{hwm_ready / MIB:.0f}",
        "VmHWM after all feeds MiB": f"{hwm / MIB:.0f}",
        "VmRSS after MiB": f"{rss / MIB:.0f}",
        "requests": f"{len(paths)} in {seconds:.1f} s, {size / 2**20:.0f} MiB, {statuses}",
        "target <= 400 MB": "met" if hwm * 1024 <= 400e6 else
                            f"MISSED by {(hwm * 1024 - 400e6) / 1e6:.0f} MB",
    }


def main() -> None:
    stop_on_signals()
    try:
        report()
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); the server was stopped")


def report() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "bench-10k.db")
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--authors", type=int, default=50)
    parser.add_argument("--set", action="append", default=[], metavar="SECTION__KEY=VALUE",
                        help="a server setting, e.g. feeds__memory_budget_mb=128 (repeatable)")
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    if not args.db.exists():
        seconds = asyncio.run(seed_site(args.db, args.posts, args.labels, args.authors))
        print(f"seeded {args.db} in {seconds:.0f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="syndic-mem-") as tmp:
        work = Path(tmp)
        db = work / "site.db"
        shutil.copyfile(args.db, db)  # the seeded file stays artifact-free for the next run
        paths = asyncio.run(feed_paths(db))
        rows = [run_once(db, work, "cold", paths, settings)]
        sizes = artifact_sizes(db)
        rows.append(run_once(db, work, "restart", paths, settings))
    print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, {os.cpu_count()} cores; "
          f"{args.posts} posts, {args.labels} labels, {args.authors} authors; {sizes}; "
          f"settings: {settings or 'defaults'}\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("| " + " | ".join("---" for _ in rows[0]) + " |")
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
