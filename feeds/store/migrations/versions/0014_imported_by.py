"""posts.imported_by: the kind of import that made a post (feed, wordpress, blogger, folder,
api). A feed import changes only the posts a feed import made: it took over drafts and
posts a WordPress import or the API had made, publishing them (QA).

A row an import wrote before this revision (it has an import digest, revision 0005) says
'import': which kind made it is not known, and every import may update it as before.

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Revision 0001 creates the posts table as schema.py writes it now, column included.
    if "imported_by" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("posts")}:
        return
    op.add_column("posts", sa.Column("imported_by", sa.String(16), nullable=True))
    op.execute("UPDATE posts SET imported_by = 'import' WHERE import_digest IS NOT NULL")


def downgrade() -> None:
    op.drop_column("posts", "imported_by")
