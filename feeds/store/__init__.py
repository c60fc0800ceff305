"""The store: one schema on SQLite (aiosqlite, the default) or PostgreSQL (asyncpg).
No SQL outside this package."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from feeds.store.admin import Admin, ApiToken, IdempotencyRecord, SourceState
from feeds.store.artifacts import Artifacts
from feeds.store.changes import StoredChanges, StoredFeed
from feeds.store.engine import SchemaChange, make_engine, migrate
from feeds.store.imports import ImportRun, ImportWrites, StoredComment
from feeds.store.label_moves import LabelMoves
from feeds.store.new_posts import Idempotency
from feeds.store.outbox import Outbox
from feeds.store.reads import CommentPage, PostPage, Reads
from feeds.store.runs import Runs, RunStart
from feeds.store.writes import SiteSpec, Writes

__all__ = [
    "ApiToken",
    "CommentPage",
    "Idempotency",
    "IdempotencyRecord",
    "ImportRun",
    "PostPage",
    "RunStart",
    "SchemaChange",
    "SiteSpec",
    "SourceState",
    "Store",
    "StoredChanges",
    "StoredComment",
    "StoredFeed",
    "migrate",
    "open_store",
]


class Store(Writes, Reads, Artifacts, Admin, ImportWrites, Outbox, LabelMoves, Runs):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def close(self) -> None:
        # The creates under way are written first: dispose() closes the connections in the
        # pool, not one checked out (SQLAlchemy, Pool.dispose), and a write left running
        # past the close is cancelled mid-statement by whoever closes the event loop.
        if self._batcher is not None:
            await self._batcher.drained()
        await super().close()


async def open_store(url: str, echo: bool = False, run_migrations: bool = True,
                     upgrade: bool = True) -> Store:
    """The store at `url`, its schema brought to this code's (engine.migrate: without
    `upgrade`, a database made by an older version is refused, not upgraded). Raises
    StoreUnavailableError when the database cannot be opened, SchemaMismatchError when its
    schema is not this code's; nothing is left open then."""
    store = Store(make_engine(url, echo))
    if run_migrations:
        try:
            await migrate(store.engine, upgrade)
        except BaseException:
            await store.close()
            raise
    return store
