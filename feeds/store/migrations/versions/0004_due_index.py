"""An index for the regeneration's two questions about every site at once: which
scheduled posts are due, and which published posts came due (status, published).

Revision ID: 0004
"""

from alembic import op
from sqlalchemy import inspect

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = "ix_posts_status_published"


def upgrade() -> None:
    # Revision 0001 creates the posts table as schema.py writes it now, index included.
    if NAME not in {ix["name"] for ix in inspect(op.get_bind()).get_indexes("posts")}:
        op.create_index(NAME, "posts", ["status", "published"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="posts")
