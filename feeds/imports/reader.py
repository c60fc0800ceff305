"""An export's items, a batch at a time: read in a thread of this process, or parsed in a
process of its own.

The parser is Python work that holds the GIL for long stretches. Run as a thread beside the
writer (asyncio, aiosqlite's thread), it made every hand-over of the GIL between those two
wait for it: writing a batch took three times as long as it does alone (docs/benchmarks.md,
"Third pass on imports"). In a process of its own it costs a pickling of each item, and the
writer keeps its GIL.

Either way the parser stays a fixed number of batches ahead of the writer (memory), and the
error it raises ends the items: the items read before a malformed part are whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from zoneinfo import ZoneInfo

from feeds.imports.items import ImportFormatError, ImportItem

Batch = tuple[list[ImportItem], ImportFormatError | None]
"""Up to a batch of items, and the error the parser raised after them."""
Parser = Callable[..., Iterator[ImportItem]]
"""parse_wxr or parse_blogger: (binary stream, tz, include_pages=) -> items."""

AHEAD = 2
"""Batches the parser reads ahead of the writer."""
NICE = 5
"""The parsing process yields the CPU to the writer: the writer is the import's pace."""


class BatchReader(Protocol):
    async def next_batch(self) -> Batch: ...

    def close(self) -> None: ...


def take(items: Iterator[ImportItem], n: int) -> Batch:
    """Up to `n` items, and the error the parser raised after them (the items read before
    a malformed part are kept: they are whole)."""
    out: list[ImportItem] = []
    try:
        for item in items:
            out.append(item)
            if len(out) >= n:
                break
    except ImportFormatError as exc:
        return out, exc
    return out, None


class ThreadReader:
    """Items pulled from an iterator in one thread of this process. One thread for the
    whole export: an lxml parser (feeds/imports/xml_stream.py) must not move from thread to
    thread part-way (asyncio.to_thread may pick another worker each time): the tree it built
    then aborts the process when freed ("free(): invalid pointer")."""

    def __init__(self, items: Iterator[ImportItem], batch: int) -> None:
        self._items, self._batch = items, batch
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="syndic-import")
        self._ahead: asyncio.Future[Batch] | None = None

    async def next_batch(self) -> Batch:
        loop = asyncio.get_running_loop()
        ahead = self._ahead or loop.run_in_executor(self._thread, take, self._items,
                                                     self._batch)
        chunk, broken = await ahead
        # The next batch is read while this one is written.
        self._ahead = loop.run_in_executor(self._thread, take, self._items, self._batch) if (
            chunk and broken is None) else None
        return chunk, broken

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


class ProcessReader:
    """An export file parsed in a child process, which sends its items a batch at a time
    and reads at most AHEAD batches ahead. `on_read` is told how many bytes of the file the
    parser has read (a progress bar)."""

    def __init__(self, parse: Parser, path: Path, tz: str, include_pages: bool, batch: int,
                 on_read: Callable[[int], None] | None = None) -> None:
        ctx = multiprocessing.get_context("forkserver")  # see feeds/imports/prepare.py
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, name="syndic-import-reader", daemon=True,
                                 args=(child, parse, str(path), tz, include_pages, batch))
        self._proc.start()
        child.close()
        self._on_read = on_read
        self._asked = 0
        self._done = False
        self._waiter = ThreadPoolExecutor(1, thread_name_prefix="syndic-import-pipe")

    async def next_batch(self) -> Batch:
        if self._done:
            return [], None
        while self._asked < AHEAD:
            with contextlib.suppress(BrokenPipeError):  # it has sent its last batch and ended
                self._conn.send(True)
            self._asked += 1
        message = await asyncio.get_running_loop().run_in_executor(self._waiter, self._recv)
        self._asked -= 1
        chunk, error, read = message
        if self._on_read is not None:
            self._on_read(read)
        broken = ImportFormatError(*error) if error is not None else None
        if broken is not None or not chunk:
            self._done = True
        return chunk, broken

    def _recv(self) -> Any:
        try:
            return self._conn.recv()
        except EOFError:
            raise RuntimeError(
                f"the import's reader process ended (exit code {self._proc.exitcode})") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # it has ended already
            self._conn.send(False)
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._waiter.shutdown(wait=True)


def _serve(conn: Connection, parse: Parser, path: str, tz: str, include_pages: bool,
           batch: int) -> None:
    """The child: a batch for each request, until the items end or the parent says stop."""
    os.nice(NICE)
    try:
        with open(path, "rb") as file:
            items = parse(file, ZoneInfo(tz), include_pages=include_pages)
            while conn.recv():
                chunk, broken = take(items, batch)
                error = (broken.where, broken.problem) if broken is not None else None
                conn.send((chunk, error, _position(file)))
                if error is not None or not chunk:
                    break
    except (EOFError, BrokenPipeError):
        pass  # the parent has gone
    except OSError as exc:  # the file cannot be read: an error of the import, not a crash
        conn.send(([], (Path(path).name, exc.strerror or str(exc)), 0))
    conn.close()


def _position(file: BinaryIO) -> int:
    try:
        return file.tell()
    except OSError:
        return 0
