"""Ids never given twice: sites, posts and comments AUTOINCREMENT on SQLite.

Without it SQLite gives a new row the highest id in the table plus one, so the id of the
last site, post or comment deleted is given again: a site created after one was deleted
answered under its id (and, before the feed cache dropped a deleted site's feeds, served
them under its own host), a post's /feeds/POSTID/comments/default and a comment's
#comment-ID named another one than readers knew. PostgreSQL's sequences never give an id
twice: nothing to do there.

SQLite keeps AUTOINCREMENT in the CREATE TABLE only, so each table is made again (Alembic's
batch mode: a new table, its rows copied, the old one dropped, the new one renamed, its
indexes made again), SQLite's own procedure for a change ALTER TABLE cannot make
(https://sqlite.org/lang_altertable.html#otheralter). Foreign keys must be off for it: with
them on, dropping `sites` deletes every post, comment and artifact (ON DELETE CASCADE).
feeds/store/engine.py migrate() turns them off and makes the whole upgrade one transaction;
the references are checked (PRAGMA foreign_key_check) before it commits. An id deleted
before this revision may still be given once more (SQLite kept no record of it).

Revision ID: 0007
"""

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("sites", "posts", "comments")


def _has_autoincrement(conn: Connection, table: str) -> bool:
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"),
                       {"n": table}).scalar_one()
    return "AUTOINCREMENT" in str(sql).upper()


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    # Revision 0001 creates the tables as schema.py writes them now, AUTOINCREMENT included.
    todo = [name for name in TABLES if not _has_autoincrement(conn, name)]
    if not todo:
        return
    if conn.execute(text("PRAGMA foreign_keys")).scalar_one():
        raise RuntimeError("revision 0007 makes tables again and needs foreign keys off "
                           "(feeds.store.engine.migrate turns them off): with them on, "
                           "dropping the old sites table would delete every row of every site")
    for name in todo:
        conn.execute(text(f'DROP TABLE IF EXISTS "_alembic_tmp_{name}"'))  # a failed try's
        with op.batch_alter_table(name, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass
    broken = conn.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"revision 0007: rows refer to no row after the tables were made "
                           f"again: {broken[:5]}")


def downgrade() -> None:
    # AUTOINCREMENT is kept: revision 0006's code reads and writes these tables the same.
    pass
