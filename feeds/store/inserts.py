"""Many rows inserted in one statement, their new ids read back by the key that names them.

SQLAlchemy's ``INSERT .. RETURNING`` with ``sort_by_parameter_order`` (ids in the order of
the rows) runs one statement per row on SQLite, which offers no ordering guarantee it can
use: 500 round trips through aiosqlite's thread for a batch of 500 posts, three quarters
of the time an import spent writing them (docs/benchmarks.md, "Third pass"). A plain
executemany is one call into sqlite3, and the ids come back from the table's unique
(site_id, entry_id) index in one more statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.engine import Connection

_LOOKUP = 500
"""Keys per SELECT: well under SQLite's limit on bound parameters."""


def insert_with_ids(conn: Connection, table: Table,
                    rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert `rows` (each with site_id and entry_id, unique together in `table`) and
    return their ids, in the order of `rows`."""
    if not rows:
        return []
    conn.execute(insert(table), list(rows))
    keys = [(r["site_id"], r["entry_id"]) for r in rows]
    ids: dict[tuple[int, str], int] = {}
    c = table.c
    for start in range(0, len(keys), _LOOKUP):
        chunk = keys[start:start + _LOOKUP]
        sites = {site for site, _ in chunk}
        query = select(c.site_id, c.entry_id, c.id)
        if len(sites) == 1:  # the usual case, and the plainest use of the index
            query = query.where(c.site_id == next(iter(sites)),
                                c.entry_id.in_([entry for _, entry in chunk]))
        else:
            query = query.where(tuple_(c.site_id, c.entry_id).in_(chunk))
        for row in conn.execute(query):
            ids[(row.site_id, row.entry_id)] = int(row.id)
    return [ids[key] for key in keys]
