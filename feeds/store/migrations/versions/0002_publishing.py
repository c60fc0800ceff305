"""Publishing: API tokens, idempotency keys, import runs, URL aliases; sites.wordpress_urls
and comments.parent_id.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from feeds.store.schema import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("api_tokens", "idempotency_keys", "import_runs", "url_aliases")
NEW_COLUMNS = (("sites", "wordpress_urls"), ("comments", "parent_id"))


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, column in NEW_COLUMNS:
        # A database made by this code's 0001 has them already (see 0001).
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, metadata.tables[table].c[column].copy())
    metadata.create_all(bind, tables=[metadata.tables[n] for n in NEW_TABLES])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[n] for n in NEW_TABLES])
    for table, column in NEW_COLUMNS:
        op.drop_column(table, column)
