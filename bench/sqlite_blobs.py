"""Replacing a regeneration's artifacts in SQLite: the cost of rewriting N bodies of B bytes
in one transaction, by page size (4, 16, 64 KiB) and by statement (delete then insert, as
the store did; one upsert, as it does now). Plain sqlite3, WAL, synchronous=NORMAL, the
artifact table's shape; each round writes new random bytes (a new version of every feed);
each figure is the mean of R transactions after one warm-up.

    .venv/bin/python -m bench.sqlite_blobs                  # 21 bodies of 150,000 bytes
    .venv/bin/python -m bench.sqlite_blobs --bodies 9 --size 100000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

TABLE = ("CREATE TABLE artifacts (site_id INTEGER, key TEXT, format TEXT, body BLOB, "
         "body_gzip BLOB, body_br BLOB, etag TEXT, PRIMARY KEY (site_id, key, format))")
DELETE = "DELETE FROM artifacts WHERE site_id = ? AND key = ? AND format = ?"
INSERT = "INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?)"
UPSERT = (INSERT + " ON CONFLICT (site_id, key, format) DO UPDATE SET body = excluded.body,"
          " body_gzip = excluded.body_gzip, body_br = excluded.body_br, etag = excluded.etag")


def one_case(path: Path, page_size: int, upsert: bool, bodies: int, size: int,
             rounds: int) -> tuple[float, float]:
    """(wall ms, CPU ms) of one transaction replacing `bodies` artifacts."""
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA page_size={page_size}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(TABLE)
    # A new body each round, as each version of a feed is: SQLite skips the overflow pages
    # an overwrite leaves unchanged, so rewriting the same bytes would cost next to nothing.
    versions = [os.urandom(size) for _ in range(rounds + 1)]
    keys = [(1, f"/feeds/k{i // 3}", ("atom", "rss", "json")[i % 3]) for i in range(bodies)]

    def replace_all(body: bytes) -> None:
        conn.execute("BEGIN")
        if not upsert:
            conn.executemany(DELETE, keys)
        conn.executemany(UPSERT if upsert else INSERT,
                         [(*k, body, b"", b"", "etag") for k in keys])
        conn.execute("COMMIT")

    replace_all(versions[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for body in versions[1:]:
        replace_all(body)
    result = ((time.perf_counter() - wall) * 1000 / rounds,
              (time.process_time() - cpu) * 1000 / rounds)
    conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=21)
    parser.add_argument("--size", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"{args.bodies} bodies of {args.size:,} bytes a transaction, mean of {args.rounds}")
    print()
    print("| page size | statement | wall ms | CPU ms |")
    print("| ---: | --- | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="syndic-blobs-") as work:
        for page_size in (4096, 16384, 65536):
            for upsert in (False, True):
                wall, cpu = one_case(Path(work) / "blobs.db", page_size, upsert, args.bodies,
                                     args.size, args.rounds)
                what = "upsert" if upsert else "delete, then insert"
                print(f"| {page_size // 1024} KiB | {what} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
