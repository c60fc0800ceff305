"""Push: WebSub subscriptions, verification intents, the delivery outbox and its attempts,
scheduled sources' state.

Revision ID: 0003
"""

from alembic import op

from feeds.store.schema import metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("subscriptions", "intents", "deliveries", "delivery_attempts", "source_state")


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[n] for n in TABLES])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[n] for n in TABLES])
