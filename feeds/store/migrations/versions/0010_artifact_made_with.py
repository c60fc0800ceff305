"""artifacts.made_with: the fingerprint of the settings each stored feed was rendered with
(feeds/versions.py settings_fingerprint), so that a server started with other settings
renders again exactly the feeds made with others, whichever server stored them (during a
rolling change of settings, old servers keep storing feeds made with the old ones).

The stored feeds get the fingerprint of the settings recorded for them by revision 0009's
"feeds_made_with" (every start made them agree with it), which becomes "started_with", the
settings of the server started last, and is kept under its fingerprint too. A store with no
record leaves them NULL: its next start renders them all, as it did before.

Revision ID: 0010
"""

import json

import sqlalchemy as sa
from alembic import op

from feeds.versions import settings_fingerprint

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMN = "made_with"
BEFORE, AFTER = "feeds_made_with", "started_with"


def upgrade() -> None:
    bind = op.get_bind()
    # Revision 0001 creates the artifacts table as schema.py writes it now, column included.
    if COLUMN not in {c["name"] for c in sa.inspect(bind).get_columns("artifacts")}:
        op.add_column("artifacts", sa.Column(COLUMN, sa.String(32), nullable=True))
    values = sa.table("store_values", sa.column("name", sa.String()),
                      sa.column("value", sa.Text()))
    recorded = bind.execute(sa.select(values.c.value).where(values.c.name == BEFORE)).scalar()
    if recorded is None:
        return
    settings = json.loads(recorded)
    fingerprint = settings_fingerprint(settings)
    artifacts = sa.table("artifacts", sa.column(COLUMN, sa.String()))
    bind.execute(artifacts.update().values(made_with=fingerprint))
    bind.execute(values.update().where(values.c.name == BEFORE).values(name=AFTER))
    bind.execute(values.delete().where(values.c.name == f"settings:{fingerprint}"))
    bind.execute(values.insert().values(name=f"settings:{fingerprint}",
                                        value=json.dumps(settings, sort_keys=True)))


def downgrade() -> None:
    bind = op.get_bind()
    values = sa.table("store_values", sa.column("name", sa.String()),
                      sa.column("value", sa.Text()))
    bind.execute(values.delete().where(values.c.name.like("settings:%")))
    bind.execute(values.update().where(values.c.name == AFTER).values(name=BEFORE))
    op.drop_column("artifacts", COLUMN)
