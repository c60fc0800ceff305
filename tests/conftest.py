"""Shared fixtures: real SQLite files, the real PostgreSQL server, a FakeClock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from config import Settings, load_settings
from feeds.store import Store, open_store
from feeds.store.engine import async_url
from server.clock import FakeClock

# The server's `test` database is where we connect first; each test session then works in a
# database of its own, so two runs at once (a developer's and CI's) cannot collide.
PG_ADMIN_URL = os.environ.get("SYNDIC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/syndic_test_{os.getpid()}"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parent.parent
ATOM_RNG = REPO.parent / "shared" / "conformance" / "atom.rng"


async def _admin(statement: str) -> None:
    engine = create_async_engine(async_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this session on the real PostgreSQL server (dropped after)."""
    name = PG_URL.rsplit("/", 1)[1]
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield PG_URL
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def reset_pg(url: str = PG_URL) -> None:
    """An empty `test` database: every table of ours (and alembic's) dropped."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'syndic.db'}"


@pytest.fixture
def make_settings(sqlite_url: str) -> Callable[..., Settings]:
    """Settings for a test: a fresh SQLite file, a fixed public URL, overrides on top."""

    def make(**sections: dict[str, object]) -> Settings:
        overrides: dict[str, dict[str, object]] = {
            "storage": {"url": sqlite_url},
            "server": {"public_url": "http://blog.test", "access_log": False},
            # Compressed bodies a second after a version (5 s by default): the stories
            # about compression wait for it.
            "feeds": {"change_poll_seconds": 0.05, "compress_after_seconds": 1.0},
        }
        for name, values in sections.items():
            overrides.setdefault(name, {}).update(values)
        return load_settings(environ={}, overrides=overrides)

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, sqlite_url: str, pg_database: str
) -> AsyncIterator[Store]:
    """The same store contract on both engines. PostgreSQL must be up: .ci/run starts it,
    and a test that cannot reach it fails rather than skips."""
    if request.param == "postgresql":
        await reset_pg(pg_database)
        url = pg_database
    else:
        url = sqlite_url
    opened = await open_store(url)
    try:
        yield opened
    finally:
        await opened.close()
