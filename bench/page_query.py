"""The statements that select one page of a feed, timed on a SQLite file: the site feed and
the label feed of the most used label, with SQLite's query plans.

    .venv/bin/python -m bench.page_query /tmp/ib100k/import.db [--label NAME] [--repeat 5]

The statements are the store's own (feeds/store/reads.py `_page`), captured from a call
with a connection that records what it is given, then run with sqlite3 on the file.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import sqlite

from feeds.models import FeedKey, FeedKind, FeedQuery
from feeds.store import reads
from feeds.store import schema as t


class _Recorder:
    """Stands in for an AsyncConnection: keeps each statement, answers with nothing."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any) -> Any:
        self.statements.append(statement)
        return _Empty()


class _Empty:
    def scalar_one(self) -> int:
        return 0

    def all(self) -> list[Any]:
        return []


def page_statements(site_id: int, key: FeedKey, now: datetime) -> list[str]:
    """The SQL (literal values) that select_posts runs for one page: count, then rows."""
    recorder = _Recorder()
    ids = reads.feed_post_ids(site_id, key, now)
    asyncio.run(reads._page(recorder, t.posts, ids, key,  # type: ignore[arg-type]
                            reads.approved_comments()))
    return [str(s.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            for s in recorder.statements]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--label", help="default: the label most posts have")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    site_id, posts = db.execute(
        "SELECT site_id, count(*) FROM posts GROUP BY site_id ORDER BY 2 DESC").fetchone()
    label = args.label or db.execute(
        "SELECT label FROM post_labels GROUP BY label ORDER BY count(*) DESC").fetchone()[0]
    print(f"{args.db}: site {site_id}, {posts:,} posts; label {label!r}")
    now = datetime.now(UTC)
    query = FeedQuery(max_results=25)
    for name, key in (("site feed", FeedKey(FeedKind.POSTS, query, None)),
                      ("label feed", FeedKey(FeedKind.LABEL, query, None, labels=(label,)))):
        for what, sql in zip(("count", "page"), page_statements(site_id, key, now), strict=True):
            plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
            started = time.perf_counter()
            for _ in range(args.repeat):
                db.execute(sql).fetchall()
            ms = (time.perf_counter() - started) / args.repeat * 1000
            print(f"| {name} | {what} | {ms:.2f} ms | {'; '.join(plan)} |")


if __name__ == "__main__":
    main()
