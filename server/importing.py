"""An import run, shared by `syndic import` and `POST /api/imports`: choose the parser, hold
the site's regeneration while the import writes (an import run row with a heartbeat), store
the items, record the report. Feeds render once, after the run."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from yarl import URL

from feeds.errors import FeedsError, InvalidInputError
from feeds.feedset import FeedContext
from feeds.imports.apply import BATCH, Importer, ImportReport
from feeds.imports.blogger import parse_blogger
from feeds.imports.feed import parse_feed
from feeds.imports.items import ImportFormatError, ImportItem
from feeds.imports.reader import BatchReader, Parser, ProcessReader
from feeds.imports.wordpress import parse_wxr
from feeds.models import Site
from feeds.store import Store
from server.feed_fetch import fetch_feed_pages
from server.representations import report_line

ImportKind = Literal["blogger", "wordpress", "feed"]
KINDS: tuple[ImportKind, ...] = ("blogger", "wordpress", "feed")
MAX_FEED_PAGES = 1000


class FetchError(FeedsError):
    """A feed URL that could not be fetched."""


class ImportStopped(ImportFormatError):
    """A malformed export ended import `run_id` part-way: `report` says what was stored
    before the bad part (every item whole) and what was skipped. Its message says so too,
    with the run's id, as the command line's and the API's error ("line 600: not
    well-formed XML: ...; import 3 stored what came before: posts: 9 added, ...")."""

    def __init__(self, run_id: int, report: ImportReport, cause: ImportFormatError) -> None:
        super().__init__(cause.where, cause.problem)
        self.field = cause.field
        self.run_id = run_id
        self.report = report
        self.stored = (f"; import {run_id} stored what came before: {report_line(report)}"
                       if report.items else f"; import {run_id} stored nothing")
        self.args = (f"{cause.where}: {cause.problem}{self.stored}",)


@dataclass(frozen=True, slots=True)
class ImportSource:
    kind: ImportKind
    name: str
    """The file name or URL (for the report)."""
    pages: list[tuple[bytes, str, str]] | None = None
    """A feed's pages as (body, url, content type), fetched before the import."""
    stream: BinaryIO | None = None
    """An export file (Blogger, WordPress), read as the import goes."""
    include_pages: bool = False
    path: Path | None = None
    """An export file by name: parsed in a process of its own when the import has worker
    processes (feeds/imports/reader.py), else read like `stream`."""
    on_read: Callable[[int], None] | None = None
    """Told how many bytes of `path` have been parsed (a progress bar)."""


def items_of(source: ImportSource, tz: ZoneInfo) -> Iterator[ImportItem]:
    if source.kind == "feed":
        # Every page is read before the first item goes out: a malformed page (the fetch
        # stops at it, the last) then stores nothing, not the pages before it.
        pages = [parse_feed(body, tz, url, content_type)
                 for body, url, content_type in source.pages or []]
        for page in pages:
            yield from page.items
        return
    parse = _parser(source.kind)
    if source.path is not None:
        with source.path.open("rb") as stream:
            yield from parse(stream, tz, include_pages=source.include_pages)
        return
    assert source.stream is not None
    yield from parse(source.stream, tz, include_pages=source.include_pages)


def _parser(kind: ImportKind) -> Parser:
    """The parser of an export file (a feed's pages are parsed whole)."""
    return parse_blogger if kind == "blogger" else parse_wxr


def reader_of(source: ImportSource, tz: ZoneInfo, workers: int
              ) -> Iterator[ImportItem] | BatchReader:
    """With worker processes, an export file is parsed in a process of its own too."""
    if workers and source.path is not None and source.kind != "feed":
        return ProcessReader(_parser(source.kind), source.path, tz.key, source.include_pages, BATCH,
                             source.on_read)
    return items_of(source, tz)


def is_feed_url(url: str) -> bool:
    """An http(s) URL with a host: what fetch_feed can fetch."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:  # a bad port, an unclosed [IPv6 bracket
        return False


async def fetch_feed(url: str) -> list[tuple[bytes, str, str]]:
    """A feed and the pages after it (RFC 5005 rel=next), as (body, url, content type), by
    server/feed_fetch.py's fetcher: no byte limit nor guard (the operator's own command),
    MAX_FEED_PAGES pages, no limit on the whole fetch. FetchError (one line naming the URL)
    for a URL that is not http(s) or cannot be fetched."""
    if not is_feed_url(url):
        raise FetchError(f"{url}: not a valid http(s) URL")
    try:
        return await fetch_feed_pages(URL(url), None, None, max_pages=MAX_FEED_PAGES,
                                      total_seconds=None)
    except InvalidInputError as exc:
        raise FetchError(exc.problem) from None


def file_source(kind: ImportKind, data: bytes, name: str, include_pages: bool = False
                ) -> ImportSource:
    """A source from bytes already read (an upload)."""
    if kind == "feed":
        return ImportSource(kind, name, pages=[(data, "", "")])
    return ImportSource(kind, name, stream=io.BytesIO(data), include_pages=include_pages)


async def run_import(
    store: Store, site: Site, ctx: FeedContext, source: ImportSource,
    clock: Callable[[], datetime], progress: Callable[[ImportReport], None] | None = None,
    workers: int = 0,
) -> tuple[int, ImportReport]:
    """Import into `site`; returns the run id and the report. A malformed file ends the run
    as failed (what was stored before the bad part stays: every item is whole). `workers`:
    processes preparing posts (`syndic import` uses one per core; the server, none)."""
    now = clock()
    run = await store.start_import(site.id, f"{source.kind}:{source.name}", now)
    importer = Importer(store, site, ctx, now, progress, workers=workers,
                        imported_by=source.kind)
    try:
        report = await importer.run(reader_of(source, ZoneInfo(site.timezone), workers),
                                    run.id, clock)
        if source.kind == "wordpress" and not site.wordpress_urls:
            # Old WordPress feed URLs answer with 301s from now on (server/handlers/legacy).
            await store.update_site(site.id, {"wordpress_urls": True})
    except BaseException as exc:
        failed = importer.report.as_dict()
        failed["error"] = str(exc)
        await store.finish_import(run.id, "failed", failed, clock())
        if isinstance(exc, ImportFormatError):
            raise ImportStopped(run.id, importer.report, exc) from None
        raise
    await store.finish_import(run.id, "done", report.as_dict(), clock())
    return run.id, report
