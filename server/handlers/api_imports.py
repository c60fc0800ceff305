"""/api/imports: an export sent as the request body (?kind=blogger|wordpress|feed), or a feed
fetched from `?url=` (kind=feed), imported like `syndic import`; the answer is the run with
its report (each skipped item and why). Unless api.import_fetch_private, the fetch connects
to global addresses only (server/address_guard.py)."""

from __future__ import annotations

import asyncio
import hashlib

from aiohttp import web

from feeds.errors import InvalidInputError
from feeds.imports.items import ImportFormatError
from server.address_guard import AddressGuard
from server.api_body import read_body
from server.api_input import idempotency, next_link, page, path_id, query_value, site_of
from server.feed_fetch import feed_url, fetch_feed_pages
from server.handlers.api_common import json_response, remember_answer, replay
from server.importing import KINDS, ImportSource, file_source, run_import
from server.keys import CLOCK, FETCH_ALLOWED_FOR_TESTS, PUBLISHER, SETTINGS, STORE, WAKE
from server.representations import import_json


def _import_id(request: web.Request) -> int:
    return path_id(request, "import_id")


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    kind = query_value(request, "kind") or ""
    if kind not in KINDS:
        raise InvalidInputError("kind", f"must be one of {', '.join(KINDS)}")
    pages = (query_value(request, "pages") or "false").lower() in ("1", "true", "yes")
    url = query_value(request, "url")
    data = await read_body(request)
    # The body hashed off the loop: an upload may be api.max_body_bytes long.
    body_hash = await asyncio.to_thread(lambda: hashlib.sha256(data).digest()) if data else b""
    idem = idempotency(request, "import", body_hash, as_json=False)
    if (again := await replay(request, idem, site)) is not None:
        return again
    if url is not None:
        if kind != "feed":
            raise InvalidInputError("url", "only a feed (kind=feed) is fetched from a URL")
        if data:
            raise InvalidInputError("url", "send the export as the body or name a feed URL, "
                                    "not both")
        settings = app[SETTINGS].api
        guard = None if settings.import_fetch_private else AddressGuard(
            app.get(FETCH_ALLOWED_FOR_TESTS, frozenset()))
        fetched = await fetch_feed_pages(feed_url(url), settings.max_body_bytes, guard)
        source = ImportSource("feed", url, pages=fetched)
    elif not data:
        raise InvalidInputError("body", "send the export file as the request body")
    else:
        source = file_source(kind, data, "upload", include_pages=pages)
    try:
        run_id, _ = await run_import(app[STORE], site, app[PUBLISHER].ctx, source,
                                     app[CLOCK].now)
    except ImportFormatError as exc:
        if url is not None:  # the export is what the URL gave, not the (empty) body
            exc.field = "url"
        raise
    app[WAKE]()
    answer = import_json(await app[STORE].import_run(run_id))
    await remember_answer(request, idem, answer)
    return json_response(answer, 201, Location=f"/api/imports/{run_id}")


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    total, runs = await request.app[STORE].page_import_runs(site.id, limit, offset)
    return json_response({"items": [import_json(r) for r in runs], "total": total,
                          "next": next_link(request, total, limit, offset)})


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    return json_response(import_json(await request.app[STORE].import_run(
        _import_id(request), site.id)))
