"""store_values: facts about the store as a whole, by name. The first is "feeds_made_with",
the settings that shape feed bytes (feeds.default_max_results, the WebSub hub) its stored
feeds were rendered with: a start with other ones renders every feed again. A store that
had feeds before this revision has no record of theirs, so its first start after it renders
them all once.

Revision ID: 0009
"""

from alembic import op

from feeds.store.schema import metadata

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "store_values"


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[TABLE]])  # if not there yet


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[TABLE]])
