"""The first schema: sites, posts, labels, authors, comments, artifacts, dirty feeds.

Revision ID: 0001
"""

from alembic import op

from feeds.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("sites", "posts", "post_labels", "post_authors", "comments", "artifacts",
          "dirty_feeds")


def upgrade() -> None:
    # The first revision creates its tables as schema.py now writes them; the columns later
    # revisions add are then already there, and those revisions add only what is missing.
    metadata.create_all(op.get_bind(), tables=[metadata.tables[n] for n in TABLES])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[n] for n in TABLES])
