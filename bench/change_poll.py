"""What reading the feed-change log costs the site feeds' job when nothing changed: its
start-of-run hand-over (Store.regeneration_start) with the log read and without, taken in
turns, on a store whose log holds an hour of a busy server's rows.

A new SQLite file (or --url), one site, ARTIFACTS stored feeds (small bodies), LOG rows in
feed_changes; then CALLS times each form of the hand-over, alternately. Wall time is the
loop's wait for the store's thread; the loop's CPU is what the fast path gives up.

    .venv/bin/python -m bench.change_poll
    .venv/bin/python -m bench.change_poll --log 200000 --calls 5000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert

from feeds.models import Artifact, FeedFormat, FeedMode
from feeds.store import SiteSpec, open_store
from feeds.store import schema as t
from feeds.store.artifacts import dirty_rows
from feeds.store.changes import read_changes

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def measure(url: str, log_rows: int, artifacts: int, calls: int) -> list[str]:
    store = await open_store(url)
    site = await store.create_site(SiteSpec("bench.test", "Bench", "", "http://bench.test",
                                            "UTC", "en", FeedMode.FULL, 300), NOW,
                                   is_default=True)
    stored = [Artifact(site.id, f"/feeds/posts/default/-/l{i}", fmt, b"x" * 2000,
                       f'"{i}-{fmt.value}"', NOW, "application/atom+xml", "http://bench.test/")
              for i in range(artifacts) for fmt in FeedFormat]
    for i in range(0, len(stored), 300):
        await store.save_artifacts(stored[i : i + 300], NOW, None)
    async with store.engine.begin() as conn:  # an hour of rows before those
        first = await store.last_change_id() + 1
        await conn.execute(insert(t.feed_changes), [
            {"id": first + i, "site_id": site.id, "key": f"/feeds/posts/default/-/l{i % 50}",
             "changed_at": NOW - timedelta(seconds=3600 - i * 3600 / log_rows)}
            for i in range(log_rows)])
    last = await store.last_change_id()
    only = frozenset({"/feeds/posts/default", "/feeds/posts/full", "/feeds/posts/summary"})
    hold = timedelta(seconds=30)
    times: dict[str, tuple[list[float], list[float]]] = {"without": ([], []), "with": ([], [])}
    for n in range(calls * 2):
        form = "with" if n % 2 else "without"
        wall, cpu = time.perf_counter(), time.thread_time()
        start = await store.regeneration_start(
            NOW, hold, due_since=NOW, only=only,
            changes_after=last if form == "with" else None)
        times[form][0].append(time.perf_counter() - wall)
        times[form][1].append(time.thread_time() - cpu)
        assert form == "without" or (start.changes is not None and not start.changes.feeds)
    await store.close()
    thread_cpu = _queries_cpu(url, last, calls) if url.startswith("sqlite") else []
    lines = [f"{log_rows} log rows, {artifacts * 3} artifacts, {calls} calls of each form "
             "(median / p99, microseconds)", "", "| hand-over | wall | loop CPU |",
             "| --- | --- | --- |"]
    for form, (walls, cpus) in times.items():
        p99 = statistics.quantiles(walls, n=100)[98] * 1e6
        lines.append(f"| regeneration_start, {form} the log | "
                     f"{statistics.median(walls) * 1e6:.0f} / {p99:.0f} | "
                     f"{statistics.median(cpus) * 1e6:.0f} |")
    return lines + thread_cpu


def _queries_cpu(url: str, last: int, calls: int) -> list[str]:
    """The CPU the store's thread spends on the log's query alone, beside the dirty rows'
    query it already makes (SQLite: a plain connection, as SqliteThreads runs them)."""
    engine = create_engine(url)
    lines = ["", "| query (store thread) | CPU median / p99 |", "| --- | --- |"]
    with engine.connect() as conn:
        for name, query in (
                ("feed-change log, nothing new", lambda: read_changes(conn, last)),
                ("dirty rows, none (for scale)",
                 lambda: dirty_rows(conn, frozenset(), {"/feeds/posts/default"}))):
            cpus = []
            for _ in range(calls):
                cpu = time.thread_time()
                query()
                cpus.append(time.thread_time() - cpu)
            p99 = statistics.quantiles(cpus, n=100)[98] * 1e6
            lines.append(f"| {name} | {statistics.median(cpus) * 1e6:.0f} / {p99:.0f} |")
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a store URL (default: a new SQLite file)")
    parser.add_argument("--log", type=int, default=180_000)
    parser.add_argument("--artifacts", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'poll.db'}"
        print("\n".join(asyncio.run(measure(url, args.log, args.artifacts, args.calls))))


if __name__ == "__main__":
    main()
