"""Posts of an import prepared (sanitized, summarized) in worker processes.

Preparing a post (nh3, the summary, the first image, slug and dates) was most of an import's
time, all of it on one core (docs/benchmarks.md, "Publishing"): with `workers`, each batch is
cut into one piece per worker and prepared in a process pool, while this process parses the
next batch and writes the last. prepare_post_with_links is pure, so a post prepared in a worker
is the post that would have been prepared here.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime

from feeds.errors import FeedsError
from feeds.models import Post, PostDraft, Site
from feeds.posts import PreparedPost, prepare_post_with_links

Job = tuple[PostDraft, Post | None]
"""A draft and the post it replaces (None: a new post)."""
Prepared = PreparedPost | str
"""The post to store (with the embeds its body lost to a link, for the report), or why it
cannot be (the error's message)."""


def prepare_many(site: Site, now: datetime, jobs: Sequence[Job]) -> list[Prepared]:
    """Each job prepared on its own: whatever one draft raises (InvalidPostError, or an
    OverflowError or ValueError from a date or text nobody foresaw) makes that post a reason,
    and the others of its batch are prepared as usual."""
    out: list[Prepared] = []
    for draft, before in jobs:
        try:
            out.append(prepare_post_with_links(site, draft, now, before))
        except Exception as exc:  # one bad item must not sink its batch (nor the import)
            out.append(why_not(exc))
    return out


def why_not(exc: Exception) -> str:
    """An item's reason for a report: our errors say it themselves; others name their type."""
    return str(exc) if isinstance(exc, FeedsError) else f"{type(exc).__name__}: {exc}"


class Preparer:
    """prepare_many in a worker thread (workers=0), or split across worker processes."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self._pool: Executor | None = None

    def __enter__(self) -> Preparer:
        if self.workers > 0:
            # forkserver: the importing process has threads (aiosqlite's), which a fork
            # would copy in whatever state they are. The workers are niced: the writing
            # process sets the import's pace and must not wait for the CPU.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("forkserver"),
                initializer=os.nice, initargs=(10,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def prepare(self, site: Site, now: datetime, jobs: list[Job]) -> list[Prepared]:
        if self._pool is None or len(jobs) < 2 * self.workers:
            return await asyncio.to_thread(prepare_many, site, now, jobs)
        loop = asyncio.get_running_loop()
        size = -(-len(jobs) // self.workers)
        pieces = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        done = await asyncio.gather(*(loop.run_in_executor(self._pool, prepare_many, site, now,
                                                           piece) for piece in pieces))
        return [p for piece in done for p in piece]
