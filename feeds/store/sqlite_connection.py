"""The store's SQLite connections: aiosqlite's, with a stop() that can be asked twice.

Why: a statement cancelled while SQLite runs it (a handler whose client went away, the
tasks an event loop cancels as it closes) makes SQLAlchemy invalidate the connection and
close it (sqlalchemy/connectors/asyncio.py, AsyncAdapt_terminate.terminate): first
gracefully, aiosqlite's close() in a shielded task that waits for the statement to end;
then, if that wait is cancelled as well, forcibly, aiosqlite's stop(). In aiosqlite 0.22.1
(core.py) stop() queues "close, then end the worker thread" and returns a future for it,
and close() calls stop() again in its `finally`: the thread has ended at the first one, so
the second is never run and the shielded close() awaits it forever. asyncio.Runner.close()
(pytest-asyncio's teardown of each test's loop) cancels that task once and waits for it:
when the cancellation lands while the statement still runs, the close ends up awaiting
that future, and a test run hung there instead of ending
(tests/feeds/store/test_store_cancelled.py). Here every stop() after the first returns the
first one's future, which the thread resolves as it ends."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiosqlite

CHUNK_SIZE = 64
"""Rows per fetch of an aiosqlite cursor (aiosqlite.connect()'s default)."""


class _Connection(aiosqlite.Connection):
    _stop_asked = False
    _stopped: asyncio.Future[Any] | None = None

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._stop_asked:
            self._stop_asked = True
            self._stopped = super().stop()
        return self._stopped


def sqlite_connector(path: str, timeout: float) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """create_async_engine(async_creator=...): a new connection to the SQLite file `path`,
    as SQLAlchemy's aiosqlite dialect opens one (check_same_thread=False: aiosqlite's own
    thread uses it; a daemon thread, so a connection never closed cannot keep the process
    from exiting: sqlalchemy/dialects/sqlite/aiosqlite.py does the same for its own)."""

    async def connect() -> aiosqlite.Connection:
        conn = _Connection(
            partial(sqlite3.connect, path, timeout=timeout, check_same_thread=False),
            CHUNK_SIZE,
        )
        conn._thread.daemon = True
        return await conn

    return connect
