"""Where the memory of bench/memory.py goes: the server's app started in-process under
tracemalloc on a copy of a seeded store (cold: nothing rendered yet), then every feed
requested twice. Prints RSS and Python-traced memory at each step and the largest
allocation sites at the traced peak. Slow (tracemalloc); for explaining, not for figures.

    .venv/bin/python -m bench.memory_trace --db /tmp/bench-10k.db
    .venv/bin/python -m bench.memory_trace --db /tmp/bench-10k.db --set feeds.memory_budget_mb=64
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from aiohttp import web

from bench.memory import feed_paths, request_all
from bench.procs import HOST, free_port, vm_kib
from bench.seed import PUBLIC_URL
from config import load_settings
from server.app import create_app


def line(step: str) -> str:
    current, peak = tracemalloc.get_traced_memory()
    pid = os.getpid()
    return (f"{step}: VmRSS {vm_kib(pid, 'VmRSS') // 1024} MiB, VmHWM "
            f"{vm_kib(pid, 'VmHWM') // 1024} MiB, traced {current >> 20} MiB, "
            f"traced peak {peak >> 20} MiB")


class PeakSnapshots:
    """Takes a snapshot each time traced memory grows by another `step` bytes."""

    def __init__(self, step: int = 20 << 20) -> None:
        self.step = step
        self.best = 0
        self.snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best + self.step:
                self.best, self.snapshot = current, tracemalloc.take_snapshot()

    def __enter__(self) -> PeakSnapshots:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def trace(db: Path, settings: dict[str, dict[str, object]]) -> None:
    overrides: dict[str, dict[str, object]] = {
        "storage": {"url": f"sqlite:///{db}"},
        "server": {"public_url": PUBLIC_URL, "access_log": False},
    }
    for section, values in settings.items():
        overrides.setdefault(section, {}).update(values)
    paths = await feed_paths(db)
    print(line("before start"), flush=True)
    runner = web.AppRunner(create_app(load_settings(environ={}, overrides=overrides)))
    started = time.monotonic()
    with PeakSnapshots() as peaks:
        await runner.setup()
    print(line(f"started in {time.monotonic() - started:.1f} s (cold render)"), flush=True)
    if peaks.snapshot is not None:
        print(f"largest allocation sites at ~{peaks.best >> 20} MiB traced:")
        for stat in peaks.snapshot.statistics("lineno")[:8]:
            print(f"  {stat}")
    port = free_port()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    for n in (1, 2):
        statuses, _, seconds = await asyncio.to_thread(request_all, port, paths)
        gc.collect()
        print(line(f"all {len(paths)} feeds, pass {n}, {seconds:.1f} s, {statuses}"), flush=True)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a seeded store (copied)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args()
    settings: dict[str, dict[str, object]] = {}
    for item in args.set:
        name, value = item.split("=", 1)
        section, key = name.split(".", 1)
        settings.setdefault(section, {})[key] = value
    with tempfile.TemporaryDirectory(prefix="syndic-trace-") as tmp:
        db = Path(tmp) / "site.db"
        shutil.copyfile(args.db, db)
        tracemalloc.start(1)
        asyncio.run(trace(db, settings))


if __name__ == "__main__":
    main()
