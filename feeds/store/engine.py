"""Engines for the two stores, and migrations (Alembic) applied on a live connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from feeds.errors import InvalidInputError

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url(url: str) -> str:
    """settings' storage.url -> an async SQLAlchemy URL."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith("sqlite+aiosqlite:///") or url.startswith("postgresql+asyncpg://"):
        return url
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    raise InvalidInputError(
        "storage.url", f"must be sqlite:///FILE or postgresql://..., got {url!r}"
    )


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    full = async_url(url)
    if full.startswith("sqlite"):
        # A pool of long-lived connections: each aiosqlite connection is a thread, and
        # opening one per query (NullPool) cost a thread, four PRAGMAs and memory that the
        # allocator did not give back. Eight, not two: the creates, both regeneration
        # jobs, the compressor and the push jobs read at once, and with two the overflow
        # connections were opened and closed again all the time (docs/benchmarks.md).
        engine = create_async_engine(
            full, echo=echo, pool_size=8, max_overflow=2, connect_args={"timeout": 30}
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the server read while `syndic post add` writes from another process.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_async_engine(full, echo=echo, pool_size=5, max_overflow=5, pool_pre_ping=True)


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _upgrade(conn: Connection) -> None:
    command.upgrade(_alembic_config(conn), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Apply every migration not yet applied (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


class StoreBase:
    """What every part of the store shares: the engine, and write transactions."""

    engine: AsyncEngine
    _write_lock: asyncio.Lock | None = None

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. On SQLite, one at a time in this process: SQLite has one
        writer, a connection whose snapshot is older than another's commit cannot write at
        all (SQLITE_BUSY_SNAPSHOT), and its busy handler sleeps in steps of up to 100 ms;
        waiting on a lock here costs nothing of that. PostgreSQL takes them concurrently."""
        if self.engine.dialect.name != "sqlite":
            async with self.engine.begin() as conn:
                yield conn
            return
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock, self.engine.begin() as conn:
            yield conn
