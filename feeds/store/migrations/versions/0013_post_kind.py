"""posts.kind: 'post' or 'page' (models.PostKind). A blog's pages ("About", "Contact"), which
Blogger and WordPress imports bring with --pages, are kept out of the posts feeds (site,
label, author) and shown in the pages feed (/feeds/pages/default) at /p/SLUG.html.

Every row stored before this revision is a post, as it was shown: an import that stored a
page as a post turns it into a page when it is run again (the export says it is one).

Revision ID: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Revision 0001 creates the posts table as schema.py writes it now, column included.
    if "kind" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("posts")}:
        op.add_column("posts", sa.Column("kind", sa.String(8), nullable=False,
                                         server_default="post"))


def downgrade() -> None:
    op.drop_column("posts", "kind")
