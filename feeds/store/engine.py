"""Engines for the two stores, and migrations (Alembic) applied on a live connection."""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from feeds.errors import (
    InvalidInputError,
    SchemaMismatchError,
    StoreBusyError,
    StoreUnavailableError,
)
from feeds.store.sqlite_connection import sqlite_connector

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
READER_THREADS = 2
"""Threads (each with its own SQLite connection) that run the store's hot statements:
StoreBase.reading() and in_transaction() on SQLite."""


def async_url(url: str) -> str:
    """settings' storage.url -> an async SQLAlchemy URL."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith("sqlite+aiosqlite:///") or url.startswith("postgresql+asyncpg://"):
        return url
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    # The URL may carry a password: only its scheme goes into the message.
    scheme = url.partition(":")[0] if ":" in url else url[:20]
    raise InvalidInputError(
        "storage.url", f"must be sqlite:///FILE or postgresql://..., got a {scheme!r} URL"
    )


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    """hide_parameters: a statement's parameters are neither logged (storage.echo) nor put
    in the message of an error about it, which the log and the command line show: they
    hold WebSub subscribers' secrets and whole posts."""
    full = async_url(url)
    if full.startswith("sqlite"):
        # A pool of long-lived connections: each aiosqlite connection is a thread, and
        # opening one per query (NullPool) cost a thread, four PRAGMAs and memory that the
        # allocator did not give back. Eight, not two: the creates, both regeneration
        # jobs, the compressor and the push jobs read at once, and with two the overflow
        # connections were opened and closed again all the time (docs/benchmarks.md).
        # Connections opened by feeds/store/sqlite_connection.py: a cancelled statement's
        # connection is closed without leaving a task that never ends.
        path = make_url(full).database or ":memory:"  # as the pysqlite dialect reads it
        engine = create_async_engine(
            full, echo=echo, hide_parameters=True, pool_size=8, max_overflow=2,
            async_creator=sqlite_connector(path, timeout=30),
        )

        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(full, echo=echo, hide_parameters=True, pool_size=5,
                               max_overflow=5, pool_pre_ping=True)


SQLITE_PAGE_SIZE = 16384
"""Bytes a page, for a new database file (an existing one keeps its own: SQLite ignores the
pragma once a WAL database exists). Artifacts are 100-200 KB blobs stored as chains of
overflow pages: replacing 21 bodies of 150 KB took 6.9 ms of CPU with 4 KiB pages and 3.8 ms
with 16 KiB (bench/sqlite_blobs.py; docs/benchmarks.md, "Fifth pass")."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL: a new file only
    # WAL lets the server read while `syndic post add` writes from another process.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class SqliteThreads:
    """The store's hot statements on SQLite: plain sqlite3 connections, each whole read or
    write transaction a function run in ONE hand-over to a thread of these.

    Why: through aiosqlite every statement is several hand-overs between the event loop
    and the connection's thread (execute, description, each fetch), each a queue put, a
    thread wake-up and a loop wake-up. A regeneration's page selects took 19.7 ms of the
    event loop's CPU that way and 2.9 ms as one function each in one thread (a feed's page
    4.0-4.6 ms of CPU in all, 2.9-3.3 ms now: bench/regen_cycle.py, bench/page_read.py;
    docs/benchmarks.md, "Fifth pass"). The statements are the same SQLAlchemy Core
    statements, compiled by the same SQLite dialect; WAL lets these connections read
    beside the async engine's, and writes here take the same in-process write turn."""

    def __init__(self, async_engine: AsyncEngine) -> None:
        url = async_engine.url.set(drivername="sqlite")
        self.engine: Engine = create_engine(
            url, hide_parameters=True, pool_size=READER_THREADS, max_overflow=0,
            connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self.threads = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="syndic-sql")

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return work(conn)

    def _write(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return work(conn)

    async def run(self, work: Callable[[Connection], T], write: bool = False) -> T:
        call = self._write if write else self._read
        return await asyncio.get_running_loop().run_in_executor(self.threads, call, work)

    async def close(self) -> None:
        # A read still running (a cancelled caller's) ends first; waited for off the loop.
        await asyncio.to_thread(self.threads.shutdown, wait=True)
        self.engine.dispose()


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _upgrade(conn: Connection) -> None:
    command.upgrade(_alembic_config(conn), "head")


def _revisions(conn: Connection) -> tuple[set[str], set[str], set[str]]:
    """The database's revisions, this code's heads, and every revision this code knows."""
    script = ScriptDirectory.from_config(_alembic_config(conn))
    current = set(MigrationContext.configure(conn).get_current_heads())
    return current, set(script.get_heads()), {r.revision for r in script.walk_revisions()}


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions))


@dataclass(frozen=True)
class SchemaChange:
    """What migrate() did: the schema revision before ("" for a new, empty database) and
    after; the same when it was up to date."""

    before: str
    after: str


async def migrate(engine: AsyncEngine, upgrade: bool = True) -> SchemaChange:
    """Bring the schema to this code's head (idempotent). An empty database gets the
    schema whatever `upgrade` says: nothing, and no older code, is using it. One made by
    an older version is upgraded only with `upgrade` (else SchemaMismatchError, behind):
    after an upgrade the older code can no longer open it, so only the server's start and
    `syndic migrate` may do it, never a command that was only asked to read or add a
    post. One at a revision this code does not know was made by a newer version: it is
    left alone (Alembic's own error, "Can't locate revision", says nothing useful).

    The first connection is where a database that cannot be opened shows:
    StoreUnavailableError, with the driver's reason."""
    try:
        async with engine.connect() as conn:
            current, heads, known = await conn.run_sync(_revisions)
    # asyncpg's refused connection or unknown host is an OSError SQLAlchemy passes on as
    # it is ("[Errno 111] Connect call failed"): said the same way as a refused login.
    except DBAPIError as exc:
        raise StoreUnavailableError(" ".join(str(exc.orig).split())) from exc
    except OSError as exc:
        raise StoreUnavailableError(str(exc) or type(exc).__name__) from exc
    if current - known:
        raise SchemaMismatchError(
            f"the database was made by a newer syndic: schema {_names(current)}, this one "
            f"knows up to {_names(heads)}", behind=False)
    change = SchemaChange(_names(current), _names(heads))
    if current == heads:
        return change
    if current and not upgrade:
        raise SchemaMismatchError(
            f"the database's schema is {_names(current)}, older than this syndic's "
            f"{_names(heads)}: run `syndic migrate` to upgrade it",
            behind=True)
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
        return change
    async with engine.connect() as conn:
        # SQLite's procedure for a table made again (revision 0007): foreign keys off,
        # which only works outside a transaction (else dropping the old table deletes what
        # refers to it: ON DELETE CASCADE), then ONE transaction for every revision (the
        # driver would begin it only at the first INSERT, after the new table was made),
        # IMMEDIATE: a second process migrating at the same moment waits, then finds
        # nothing left to do (https://sqlite.org/lang_altertable.html#otheralter).
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                await conn.run_sync(_upgrade)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
        finally:
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()
    return change


WRITE_LOCK_WAIT = 30.0
"""Seconds a write waits for another process to let go of the write lock: as long as
SQLite's own busy timeout (PRAGMA busy_timeout above)."""


async def _take_file_lock(fd: int) -> None:
    """flock(fd, LOCK_EX) without blocking the event loop: at once when it is free (the
    common case), else in a thread of its own, for WRITE_LOCK_WAIT at most (StoreBusyError).
    A blocking flock, not tries after pauses: the kernel hands the lock to a waiter as soon
    as it is let go; trying every 0.25-2 ms, a process got it only when the other happened
    to be between two writes (two workers: p99 create 362-389 ms against 123-125, a max of
    1.2 s). A caller that stops waiting (cancelled, or out of time): the lock, once the
    thread gets it, is let go at once (else no process could write again). The thread is a
    daemon, not one of an executor's: one waiting on a process that never lets go must
    neither hold a pool's thread (the default executor's six, which DNS lookups also need,
    were all taken so in a test) nor keep this process from exiting."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    loop = asyncio.get_running_loop()
    taken: asyncio.Future[None] = loop.create_future()

    def settle(error: OSError | None) -> None:
        if taken.cancelled():  # the caller stopped waiting
            if error is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        elif error is None:
            taken.set_result(None)
        else:
            taken.set_exception(error)

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            error = None
        except OSError as exc:
            error = exc
        try:
            loop.call_soon_threadsafe(settle, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            if error is None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    threading.Thread(target=wait, name="syndic-writer-lock", daemon=True).start()
    try:
        await asyncio.wait_for(taken, WRITE_LOCK_WAIT)  # cancels `taken` when it gives up
    except TimeoutError:
        raise StoreBusyError(f"the store is busy: another process has held its write "
                             f"lock for {WRITE_LOCK_WAIT:g} s; nothing was written") from None


class StoreBase:
    """What every part of the store shares: the engine, and write transactions."""

    engine: AsyncEngine
    _write_lock: asyncio.Lock | None = None
    _threads: SqliteThreads | None = None
    _lock_fd: int | None = None

    def _sqlite_threads(self) -> SqliteThreads | None:
        if self.engine.dialect.name != "sqlite":
            return None
        if self._threads is None:
            self._threads = SqliteThreads(self.engine)
        return self._threads

    async def reading(self, work: Callable[[Connection], T]) -> T:
        """Run `work` (synchronous SQLAlchemy on one connection, reads only) in one
        hand-over: on SQLite in a thread of SqliteThreads, on PostgreSQL on an async
        connection through run_sync (asyncpg's round trips are the loop's own)."""
        if (threads := self._sqlite_threads()) is not None:
            return await threads.run(work)
        async with self.engine.connect() as conn:
            return await conn.run_sync(work)

    async def any_row(self, query: Select[Any]) -> bool:
        """Whether `query` finds a row (one hand-over, as reading())."""
        found: bool = await self.reading(
            lambda conn: conn.execute(query.limit(1)).first() is not None)
        return found

    async def in_transaction(self, work: Callable[[Connection], T]) -> T:
        """Run `work` as one write transaction in one hand-over, like reading(). The caller
        holds write_turn()."""
        if (threads := self._sqlite_threads()) is not None:
            return await threads.run(work, write=True)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def write_through(self, work: Callable[[Connection], T]) -> T:
        """write_turn(), then in_transaction(work)."""
        async with self.write_turn():
            return await self.in_transaction(work)

    async def close(self) -> None:
        if self._threads is not None:
            threads, self._threads = self._threads, None
            await threads.close()
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            os.close(fd)
        await self.engine.dispose()

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """The turn to write. On SQLite, one write transaction at a time in this process,
        then across processes (the server's workers, the command line beside the server):
        SQLite has one writer, a connection whose snapshot is older than another's commit
        cannot write at all (SQLITE_BUSY_SNAPSHOT), and its busy handler sleeps in steps of
        up to 100 ms; waiting on a lock costs nothing of that. PostgreSQL takes them
        concurrently."""
        if self.engine.dialect.name != "sqlite":
            yield
            return
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            fd = self._writer_lock_fd()
            if fd is not None:
                await _take_file_lock(fd)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _writer_lock_fd(self) -> int | None:
        """The lock file beside the database (DB.writer-lock), opened once; None for an
        in-memory database, which no other process can open. flock(2): the kernel lets it
        go when its holder dies, however it dies."""
        if self._lock_fd is None:
            path = make_url(str(self.engine.url)).database
            if not path or path == ":memory:" or path.startswith("file:"):
                return None
            self._lock_fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o644)
        return self._lock_fd

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction on the async engine, in this process's write turn."""
        async with self.write_turn(), self.engine.begin() as conn:
            yield conn
