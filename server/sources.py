"""Scheduled content sources (settings' [[sources]]): a feed polled with conditional GET
(ETag and Last-Modified kept in the store), or a folder of post files, imported with the
importers of `syndic import` on an interval. Level-triggered: a source is due when its
stored next check has passed; claiming it moves the next check, so two instances never
import the same source at once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from config import SourceSettings
from feeds.errors import FeedsError
from feeds.imports.apply import Importer
from feeds.imports.items import ImportedPost, ImportItem, Skipped
from feeds.models import PostKind, Site
from feeds.posts import new_entry_id
from feeds.query import slugify
from feeds.store import SourceState
from server.frontmatter import read_post_file
from server.importing import ImportSource, run_import
from server.keys import CLOCK, PUBLISHER, SETTINGS, SITES, STORE, WAKE

log = logging.getLogger("syndic.sources")
POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")


async def check_sources(app: web.Application) -> int:
    """Import every due source; returns how many were checked."""
    checked = 0
    for source in app[SETTINGS].sources:
        now = app[CLOCK].now()
        state = await app[STORE].claim_source(
            source.name, now, now + timedelta(minutes=source.every_minutes))
        if state is None:
            continue
        checked += 1
        error = None
        try:
            state = await _check(app, source, state)
        except (FeedsError, OSError, aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("source %s: %s", source.name, error)
        await app[STORE].save_source(replace(state, checked_at=now), error)
    return checked


def _site(app: web.Application, source: SourceSettings) -> Site:
    if not source.site:
        return app[SITES].default
    for site in app[SITES].by_id.values():
        if site.host.lower() == source.site.lower():
            return site
    raise FeedsError(f"source {source.name}: no site {source.site!r}")


async def _check(app: web.Application, source: SourceSettings, state: SourceState
                 ) -> SourceState:
    site = _site(app, source)
    store, clock, ctx = app[STORE], app[CLOCK], app[PUBLISHER].ctx
    if source.feed:
        fetched = await fetch_if_changed(source.feed, state)
        if fetched is None:
            return state  # 304: nothing new
        state, body, content_type = fetched
        pages = [(body, source.feed, content_type)]
        _, report = await run_import(store, site, ctx, ImportSource("feed", source.name,
                                                                    pages=pages), clock.now)
    else:
        run = await store.start_import(site.id, f"folder:{source.name}", clock.now())
        importer = Importer(store, site, ctx, clock.now(), imported_by="folder")
        try:
            report = await importer.run(folder_items(Path(source.folder), site), run.id,
                                        clock.now)
        finally:
            await store.finish_import(run.id, "done", importer.report.as_dict(), clock.now())
    if report.posts_added or report.posts_updated or report.comments_added:
        app[WAKE]()
        log.info("source %s: %d added, %d updated", source.name, report.posts_added,
                 report.posts_updated)
    return state


async def fetch_if_changed(url: str, state: SourceState, timeout: float = 30
                           ) -> tuple[SourceState, bytes, str] | None:
    """GET with If-None-Match / If-Modified-Since from the last answer (RFC 9110 §13.1);
    None when the feed did not change (304)."""
    headers = {"User-Agent": "syndic (sources)"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    client = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client) as session, session.get(
            url, headers=headers) as resp:
        if resp.status == 304:
            return None
        if resp.status != 200:
            raise FeedsError(f"{url}: HTTP {resp.status}")
        body = await resp.read()
        fresh = replace(state, etag=resp.headers.get("ETag"),
                        last_modified=resp.headers.get("Last-Modified"))
        return fresh, body, resp.headers.get("Content-Type", "")


def folder_items(folder: Path, site: Site) -> Iterator[ImportItem]:
    """Post files as import items. A file without `id` keeps an entry id made from its slug
    and date (a file without a date is dated by its modification time), so the next run
    finds the same post."""
    if not folder.is_dir():
        raise FeedsError(f"{folder}: not a folder")
    tz = ZoneInfo(site.timezone)
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in POST_SUFFIXES or not path.is_file():
            continue
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        try:
            draft = read_post_file(path, tz, mtime)
        except FeedsError as exc:
            yield Skipped(path.name, str(exc))
            continue
        slug = slugify(draft.slug or draft.title)
        entry_id = draft.entry_id or new_entry_id(site, slug, draft.published)
        yield ImportedPost(
            source_id=path.name, entry_id=entry_id, title=draft.title,
            content_html=draft.content_html, published=draft.published,
            updated=draft.updated, status=draft.status, slug=draft.slug or slug,
            summary=draft.summary, authors=draft.authors, labels=draft.labels,
            kind="page" if draft.kind is PostKind.PAGE else "post", where=path.name)
