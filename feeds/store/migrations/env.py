"""Alembic environment: migrations run on the connection syndic hands in
(feeds/store/engine.py), so the same code serves SQLite and PostgreSQL, sync or async."""

from alembic import context

from feeds.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
