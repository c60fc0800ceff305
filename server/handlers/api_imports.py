"""/api/imports: an export sent as the request body (?kind=blogger|wordpress|feed), imported
like `syndic import`; the answer is the run with its report (each skipped item and why)."""

from __future__ import annotations

from aiohttp import web

from feeds.errors import InvalidInputError
from server.api_input import site_of
from server.handlers.api_common import json_response
from server.importing import KINDS, file_source, run_import
from server.keys import CLOCK, PUBLISHER, STORE, WAKE
from server.representations import import_json


def _import_id(request: web.Request) -> int:
    raw = request.match_info["import_id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise InvalidInputError("import_id", "must be a whole number")
    return int(raw)


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    kind = request.query.get("kind", "")
    if kind not in KINDS:
        raise InvalidInputError("kind", f"must be one of {', '.join(KINDS)}")
    pages = request.query.get("pages", "false").lower() in ("1", "true", "yes")
    data = await request.read()
    if not data:
        raise InvalidInputError("body", "send the export file as the request body")
    source = file_source(kind, data, "upload", include_pages=pages)
    run_id, _ = await run_import(app[STORE], site, app[PUBLISHER].ctx, source, app[CLOCK].now)
    app[WAKE]()
    run = await app[STORE].import_run(run_id)
    return json_response(import_json(run), 201, Location=f"/api/imports/{run.id}")


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    runs = await request.app[STORE].import_runs(site.id)
    return json_response({"items": [import_json(r) for r in runs], "total": len(runs),
                          "next": None})


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    return json_response(import_json(await request.app[STORE].import_run(
        _import_id(request), site.id)))
