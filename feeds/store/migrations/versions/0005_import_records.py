"""Import records: posts.import_digest and comments.import_digest (what an import last
wrote, so a re-import leaves alone what was changed in syndic since), and comment_tombstones
(comments deleted in syndic, which a re-import does not bring back).

Rows stored before this revision get no digest (NULL): nobody can tell any more whether they
were changed in syndic since their import. feeds/imports/apply.py says what a re-import does
with them.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from feeds.store.schema import metadata

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DIGEST_TABLES = ("posts", "comments")
COLUMN = "import_digest"
TOMBSTONES = "comment_tombstones"


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in DIGEST_TABLES:
        # Revision 0001 creates the tables as schema.py writes them now, column included.
        if COLUMN not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(COLUMN, sa.String(64), nullable=True))
    metadata.create_all(bind, tables=[metadata.tables[TOMBSTONES]])  # if not there yet


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[TOMBSTONES]])
    for table in DIGEST_TABLES:
        op.drop_column(table, COLUMN)
