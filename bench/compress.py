"""Compression of real feed bodies: time and size per gzip level and brotli quality, and
whether compressing on two threads halves the wall time (zlib and brotli release the GIL).

    .venv/bin/python -m bench.compress /tmp/site.db      # a store the server has rendered
"""

from __future__ import annotations

import argparse
import gzip
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli


def bodies(db: Path, count: int) -> list[bytes]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT body FROM artifacts WHERE format = 'atom'"
                            " ORDER BY length(body) DESC LIMIT ?", (count,)).fetchall()
    return [bytes(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    feeds = bodies(args.db, args.count)
    size = sum(map(len, feeds))
    print(f"{len(feeds)} Atom bodies, mean {size // len(feeds)} bytes\n")
    print("| codec | ms per body | output / input | 2 threads: wall time / serial |")
    print("| --- | ---: | ---: | ---: |")
    codecs: list[tuple[str, Callable[[bytes], bytes]]] = [
        *((f"gzip {lvl}", lambda b, lvl=lvl: gzip.compress(b, lvl, mtime=0))
          for lvl in (1, 6, 9)),
        *((f"brotli {q}", lambda b, q=q: brotli.compress(b, quality=q))
          for q in (4, 5, 6)),
    ]
    for name, codec in codecs:
        started = time.perf_counter()
        out = [codec(b) for b in feeds]
        serial = time.perf_counter() - started
        with ThreadPoolExecutor(2) as pool:
            started = time.perf_counter()
            list(pool.map(codec, feeds))
            parallel = time.perf_counter() - started
        print(f"| {name} | {serial / len(feeds) * 1000:.1f} | {sum(map(len, out)) / size:.4f} |"
              f" {parallel / serial:.2f} |")


if __name__ == "__main__":
    main()
