"""artifacts.last_modified is when the feed's bytes last changed, no longer its newest
entry's `updated` (feeds/versions.py). A stored version keeps the later of the two: its
rendered_at is when its bytes were stored, after any date a reader was given for an earlier
version (readers stuck on 304s by a date that went backwards get the feed at their next
poll), and a date given for this version that is later still (an entry dated ahead) stays,
so a reader holding it is not told of a change that did not happen.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    artifacts = sa.table("artifacts", sa.column("last_modified", sa.DateTime()),
                         sa.column("rendered_at", sa.DateTime()))
    c = artifacts.c
    op.execute(artifacts.update()
               .where(sa.or_(c.last_modified.is_(None), c.last_modified < c.rendered_at))
               .values(last_modified=c.rendered_at))


def downgrade() -> None:
    pass  # the dates stay valid Last-Modified values
