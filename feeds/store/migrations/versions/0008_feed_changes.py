"""feed_changes: the feeds each regeneration stored, dropped or rendered again, in commit
order, so that every server on the store serves the newest version any of them stored
(server/stored_changes.py).

Revision ID: 0008
"""

from alembic import op

from feeds.store.schema import metadata

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables["feed_changes"]])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables["feed_changes"]])
