"""intents.moved_from: a label renamed or merged moves its feeds' WebSub subscriptions to the
new label's feeds, and asks each subscriber to take the new URL (an intent of mode "move",
feeds/store/label_moves.py); `moved_from` is the URL the subscription is named by until it
does. NULL on every other intent, those stored before included.

Revision ID: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


TABLE, COLUMN = "intents", "moved_from"


def upgrade() -> None:
    # Revision 0003 creates the table as schema.py writes it now, column included.
    if COLUMN not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}:
        op.add_column(TABLE, sa.Column(COLUMN, sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE mode = 'move'")  # no older code knows them
    op.drop_column(TABLE, COLUMN)
