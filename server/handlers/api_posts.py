"""/api/posts: create (one, or up to api.bulk_max_items in bulk), read, list, change,
delete. Every write wakes the regeneration job, so a change shows in the feeds at once."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from feeds.errors import ConflictError, FeedsError, InvalidInputError
from feeds.imports.apply import Importer
from feeds.imports.items import ImportedPost, ImportItem, Skipped
from feeds.models import PostStatus, Site
from feeds.posts import new_entry_id
from feeds.query import slugify
from server.api_input import (
    check,
    enum_param,
    idempotency,
    next_link,
    page,
    post_draft,
    read_json,
    site_of,
)
from server.handlers.api_common import json_response, replay
from server.keys import CLOCK, PUBLISHER, SETTINGS, STORE, WAKE
from server.representations import post_json


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    idem = idempotency(request, "post", await request.read())
    if (again := await replay(request, idem, site)) is not None:
        return again
    body = await read_json(request, "PostCreate")
    now = app[CLOCK].now()
    try:
        post = await app[PUBLISHER].add_post(site, post_draft(body, site, now), now, idem)
    except ConflictError:
        # The same key, sent twice at once: the other request stored it.
        if (again := await replay(request, idem, site)) is not None:
            return again
        raise
    app[WAKE]()
    return json_response(post_json(site, post), 201, Location=f"/api/posts/{post.id}")


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    post = await request.app[STORE].get_post(site.id, request.match_info["post"])
    return json_response(post_json(site, post))


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    status = enum_param(request, "status", PostStatus)
    total, posts = await request.app[STORE].page_posts(
        site.id, limit, offset, status, request.query.get("label"))
    return json_response({"items": [post_json(site, p) for p in posts], "total": total,
                  "next": next_link(request, total, limit, offset)})


async def patch(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    store = app[STORE]
    before = await store.get_post(site.id, request.match_info["post"])
    if before.status is PostStatus.DELETED:
        raise InvalidInputError("post", "deleted posts cannot be changed")
    body = await read_json(request, "PostPatch")
    now = app[CLOCK].now()
    draft = post_draft(body, site, now, before)
    post = await app[PUBLISHER].update_post(site, str(before.id), draft, now)
    app[WAKE]()
    return json_response(post_json(site, post))


async def delete(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    await app[PUBLISHER].delete_post(site, request.match_info["post"], app[CLOCK].now())
    app[WAKE]()
    return web.Response(status=204)


# -- bulk --------------------------------------------------------------------------------


def _bulk_items(request: web.Request, raw: bytes) -> list[Any]:
    if request.content_type == "application/x-ndjson":
        items = []
        for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    items.append(InvalidInputError(f"line {n}", f"not JSON: {exc.msg}"))
        return items
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError("body", f"not JSON: {exc}") from None
    if not isinstance(body, list):
        raise InvalidInputError("body", "must be a JSON array of posts (or NDJSON)")
    return body


def _as_item(i: int, raw: Any, site: Site, now: Any) -> ImportItem:
    where = f"[{i}]"
    try:
        if isinstance(raw, InvalidInputError):
            raise raw
        draft = post_draft(check(raw, "PostCreate", where=f"{where}."), site, now,
                           where=f"{where}.")
    except FeedsError as exc:
        return Skipped(where, str(exc), raw.get("title", "") if isinstance(raw, dict) else "")
    slug = slugify(draft.slug or draft.title)
    return ImportedPost(
        source_id=where, entry_id=draft.entry_id or new_entry_id(site, slug, draft.published),
        title=draft.title, content_html=draft.content_html, published=draft.published,
        updated=draft.updated, status=draft.status, slug=draft.slug, authors=draft.authors,
        labels=draft.labels, enclosures=draft.enclosures, where=where,
    )


async def bulk(request: web.Request) -> web.Response:
    """Posts in one request, stored in batches; each item's outcome is listed and one bad
    item does not sink the others. A post whose entry id is stored already is updated (so
    a retried bulk request creates nothing twice). Feeds render once, after the last batch."""
    app = request.app
    site = site_of(request)
    raw = await request.read()
    idem = idempotency(request, "bulk", raw)
    if (again := await replay(request, idem, site)) is not None:
        return again
    items = _bulk_items(request, raw)
    limit = app[SETTINGS].api.bulk_max_items
    if len(items) > limit:
        raise InvalidInputError("body", f"at most {limit} posts per request, got {len(items)}")
    now = app[CLOCK].now()
    store = app[STORE]
    run = await store.start_import(site.id, "api:bulk", now)
    importer = Importer(store, site, app[PUBLISHER].ctx, now)
    try:
        report = await importer.run(iter([_as_item(i, x, site, now)
                                          for i, x in enumerate(items)]), run.id,
                                    app[CLOCK].now)
    finally:
        await store.finish_import(run.id, "done", importer.report.as_dict(), app[CLOCK].now())
    app[WAKE]()
    errors = {where: reason for where, _, reason in report.skipped}
    results = []
    for i in range(len(items)):
        where = f"[{i}]"
        if where in importer.outcomes:
            outcome, post_id = importer.outcomes[where]
            results.append({"index": i, "outcome": outcome, "id": post_id})
        else:
            results.append({"index": i, "outcome": "error",
                            "error": errors.get(where, "not stored")})
    answer = {"results": results,
              "added": report.posts_added, "updated": report.posts_updated,
              "unchanged": report.posts_unchanged, "errors": len(errors)}
    if idem is not None:
        await store.save_response(idem, json.dumps(answer), app[CLOCK].now())
    return json_response(answer)
