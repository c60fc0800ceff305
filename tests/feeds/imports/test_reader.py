"""An export parsed in a process of its own (what `syndic import` does) hands the importer
the very items a parser in a thread gives, a batch at a time, and the same error where a
file breaks off; a file it cannot read is an error of the import, not a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import pytest

from feeds.imports.blogger import parse_blogger
from feeds.imports.items import ImportFormatError, ImportItem
from feeds.imports.reader import BatchReader, ProcessReader, ThreadReader
from feeds.imports.wordpress import parse_wxr

FIXTURES = Path(__file__).parent / "fixtures"
Parse = Callable[..., Iterator[ImportItem]]


async def read_all(reader: BatchReader) -> tuple[list[list[ImportItem]], ImportFormatError | None]:
    batches: list[list[ImportItem]] = []
    try:
        while True:
            chunk, broken = await reader.next_batch()
            if chunk:
                batches.append(chunk)
            if broken is not None or not chunk:
                return batches, broken
    finally:
        reader.close()


def in_a_thread(parse: Parse, path: Path, batch: int, opened: list[BinaryIO]) -> ThreadReader:
    stream = path.open("rb")
    opened.append(stream)
    return ThreadReader(parse(stream, ZoneInfo("Europe/Paris"), include_pages=True), batch)


@pytest.mark.parametrize(("parse", "name"), [
    (parse_wxr, "wordpress/export-1.2.xml"),
    (parse_wxr, "wordpress/export-1.1.xml"),
    (parse_blogger, "blogger/takeout.atom"),
    (parse_blogger, "blogger/legacy.xml"),
])
async def test_an_export_parsed_in_a_process_gives_the_items_a_thread_gives(
    parse: Parse, name: str,
) -> None:
    path, opened = FIXTURES / name, []
    read: list[int] = []
    there, there_error = await read_all(ProcessReader(parse, path, "Europe/Paris", True, 3,
                                                      read.append))
    here, here_error = await read_all(in_a_thread(parse, path, 3, opened))
    for stream in opened:
        stream.close()

    assert there == here and len(there) > 1
    assert there_error is None and here_error is None
    assert read[-1] == path.stat().st_size and read == sorted(read)


async def test_a_file_that_breaks_off_gives_what_came_before_and_the_line() -> None:
    path, opened = FIXTURES / "wordpress" / "malformed.xml", []
    there, there_error = await read_all(ProcessReader(parse_wxr, path, "UTC", False, 2))
    here, here_error = await read_all(in_a_thread(parse_wxr, path, 2, opened))
    for stream in opened:
        stream.close()

    assert there == here
    assert there_error is not None and here_error is not None
    assert (there_error.where, there_error.problem) == (here_error.where, here_error.problem)
    assert there_error.where.startswith("line ")


async def test_a_file_the_reader_cannot_open_is_an_import_error_naming_it(tmp_path: Path) -> None:
    batches, error = await read_all(ProcessReader(parse_wxr, tmp_path / "gone.xml", "UTC",
                                                  False, 10))
    assert batches == []
    assert error is not None and error.where == "gone.xml"


async def test_a_reader_closed_part_way_ends_its_process() -> None:
    reader = ProcessReader(parse_wxr, FIXTURES / "wordpress" / "export-1.2.xml", "UTC", False, 1)
    chunk, _ = await reader.next_batch()
    assert chunk
    reader.close()
    await asyncio.sleep(0)
    assert not reader._proc.is_alive()
