"""The store contract, migrations: opening a database again migrates nothing and keeps the data,
and the migrated schema is schema.py's (the `store` fixture is parametrized over both a SQLite
file and the real PostgreSQL server: each story holds alike on both)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from feeds.models import Site
from feeds.store import Store, open_store
from feeds.store import schema as t
from feeds.store.engine import migrate


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


# -- migrations --------------------------------------------------------------------------


async def test_opening_the_same_database_again_migrates_nothing_and_keeps_the_data(
    store: Store, site: Site
) -> None:
    again = await open_store(url_of(store))
    try:
        await migrate(again.engine)
        assert await again.sites() == [site]
        async with again.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [v[0] for v in versions] == ["0014"]
    finally:
        await again.close()
    await migrate(store.engine)
    assert await store.sites() == [site]


def _schema_drift(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), t.metadata))


async def test_the_migrated_database_matches_schema_py(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_schema_drift) == []

