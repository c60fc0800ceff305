"""The first schema: sites, posts, labels, authors, comments, artifacts, dirty feeds.

Revision ID: 0001
"""

from alembic import op

from feeds.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first migration is the schema as written in schema.py; later ones are explicit.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
