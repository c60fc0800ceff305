"""A statement cancelled while SQLite runs it (a handler whose client left, a job at the stop,
the tasks an event loop cancels as it closes) leaves nothing behind that never ends.

SQLAlchemy's asyncio adaptation closes such a connection: a graceful close (aiosqlite's
close()) in a shielded task, then, when that wait is cancelled too, a forced one
(aiosqlite's stop()). With aiosqlite 0.22.1 as it is, the graceful close then waits forever:
asyncio.Runner.close() (pytest-asyncio's teardown of every test) waited for it, so a run
hung instead of ending. feeds/store/engine.py says how the store's connections avoid it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import text

from feeds.store.engine import make_engine


async def test_a_write_cancelled_twice_while_it_waits_for_the_lock_still_closes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "syndic.db"
    engine = make_engine(f"sqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    # Another process (`syndic post add`, an import) holds SQLite's write lock: the INSERT
    # below waits in aiosqlite's thread (busy_timeout) until it is released.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))

    task = asyncio.create_task(write())
    await asyncio.sleep(0.2)  # the INSERT is under way in the connection's thread
    before = asyncio.all_tasks()
    task.cancel()  # SQLAlchemy invalidates the connection: a graceful close, shielded...
    await asyncio.sleep(0)
    task.cancel()  # ...whose wait is cancelled too: the forced close
    with contextlib.suppress(asyncio.CancelledError):
        await task
    closing = {t for t in asyncio.all_tasks() - before if not t.done()}
    other.rollback()  # the INSERT ends, then the close that waited behind it
    other.close()
    if closing:
        _, pending = await asyncio.wait(closing, timeout=10)
        assert not pending, f"never ends: {[t.get_coro() for t in pending]}"
    await engine.dispose()
