"""/api/posts: create (one, or up to api.bulk_max_items in bulk), read, list, change,
delete. Every write wakes the regeneration job, so a change shows in the feeds at once."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web

from feeds.errors import ConflictError, FeedsError, InvalidInputError, InvalidPostError
from feeds.imports.apply import Importer
from feeds.imports.items import ImportedPost, ImportItem, Skipped
from feeds.models import Post, PostDraft, PostKind, PostStatus, Site
from feeds.posts import new_entry_id
from feeds.query import slugify
from feeds.store import Idempotency
from server.api_body import read_body
from server.api_drafts import post_draft
from server.api_input import (
    check,
    enum_param,
    idempotency,
    next_link,
    page,
    parse_json,
    read_json,
    site_of,
    text_param,
)
from server.handlers.api_common import json_response, live_post, remember_answer, replay
from server.handlers.api_conditional import (
    change_current,
    conditional_get,
    first_then,
    if_match,
    post_response,
    post_tag,
)
from server.keys import CLOCK, PUBLISHER, SETTINGS, STORE, WAKE
from server.openapi import NDJSON_TYPES
from server.representations import post_json


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    idem = idempotency(request, "post", await read_body(request))
    if (again := await replay(request, idem, site)) is not None:
        return again
    body = await read_json(request, "PostCreate")
    now = app[CLOCK].now()
    try:
        post = await _add(request, site, post_draft(body, site, now), now, idem)
    except ConflictError:
        # The same key, sent twice at once: the other request stored it.
        if (again := await replay(request, idem, site)) is not None:
            return again
        raise
    app[WAKE]()
    return post_response(site, post, 201, Location=f"/api/posts/{post.id}")


async def _add(request: web.Request, site: Site, draft: PostDraft, now: datetime,
               idem: Idempotency | None) -> Post:
    """add_post; an entry id made from the slug and date that another post has (the same
    title twice in a day, or a post since renamed) is made unique instead of refused: the
    writer did not choose it."""
    made_up = draft.entry_id is None
    for n in range(2, 100):
        try:
            return await request.app[PUBLISHER].add_post(site, draft, now, idem)
        except InvalidPostError as exc:
            if exc.field != "entry_id" or not made_up:
                raise
        slug = slugify(draft.slug or draft.title)[:190]
        draft = replace(draft, entry_id=new_entry_id(site, f"{slug}-{n}", draft.published))
    raise InvalidPostError("entry_id", "no free entry id for this title")


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    post = await live_post(request, site, deleted=True)
    return conditional_get(request, post_json(site, post))


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    status = enum_param(request, "status", PostStatus)
    total, posts = await request.app[STORE].page_posts(
        site.id, limit, offset, status, text_param(request, "label"),
        enum_param(request, "kind", PostKind))
    return json_response({"items": [post_json(site, p) for p in posts], "total": total,
                  "next": next_link(request, total, limit, offset)})


async def patch(request: web.Request) -> web.Response:
    """The fields the body names change; the others keep what the post has at the write
    (api_conditional.change_current: a change made meanwhile is not undone)."""
    app = request.app
    site = site_of(request)
    first = await live_post(request, site)  # a 404 before the body's 400
    body = await read_json(request, "PostPatch")
    condition = if_match(request)
    read = first_then(first, lambda: live_post(request, site, str(first.id)))

    async def write(before: Post) -> Post:
        now = app[CLOCK].now()
        return await app[PUBLISHER].update_post(site, before, post_draft(body, site, now,
                                                                         before), now)

    post = await change_current(read, write, condition, post_tag(site), "post")
    app[WAKE]()
    return post_response(site, await live_post(request, site, str(post.id)))


async def delete(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    condition = if_match(request)

    async def write(before: Post) -> Post:
        return await app[PUBLISHER].delete_post(site, before, app[CLOCK].now())

    await change_current(lambda: live_post(request, site), write, condition, post_tag(site), "post")
    app[WAKE]()
    return web.Response(status=204)


# -- bulk --------------------------------------------------------------------------------


def _bulk_items(request: web.Request, raw: bytes) -> list[Any]:
    if request.content_type in NDJSON_TYPES:
        items = []
        for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
            if line.strip():
                try:
                    items.append(parse_json(line, f"line {n}"))
                except InvalidInputError as exc:
                    items.append(exc)
        return items
    body = parse_json(raw, "body")
    if not isinstance(body, list):
        raise InvalidInputError("body", "must be a JSON array of posts (or NDJSON)")
    return body


_NAMED_FIELD = re.compile(r"(\[\d+\][^\s:]*): ")


def _as_item(i: int, raw: Any, site: Site, now: Any, seen: set[str]) -> ImportItem:
    """Item i of a bulk request. Without an entry id of its own, a post gets one made from
    its slug and date, the same on a retry; the same title twice in one request makes two
    posts ("-2" on the second), as two creates would. A slug the item gives is its own:
    taken by another post, the item is refused naming it (Importer._unique), as a create is."""
    where = f"[{i}]"
    try:
        if isinstance(raw, InvalidInputError):
            raise raw
        draft = post_draft(check(raw, "PostCreate", where=f"{where}."), site, now,
                           where=f"{where}.")
        if draft.entry_id in seen:
            raise InvalidInputError(f"{where}.entry_id", "another item of this request has it")
    except FeedsError as exc:
        return Skipped(where, str(exc), raw.get("title", "") if isinstance(raw, dict) else "")
    slug = slugify(draft.slug or draft.title)
    entry_id = draft.entry_id or new_entry_id(site, slug, draft.published)
    n = 1
    while entry_id in seen:
        n += 1
        entry_id = new_entry_id(site, f"{slug}-{n}", draft.published)
    seen.add(entry_id)
    # Sent without a date, a post the request finds stored (a retry) keeps its own: the
    # importer dates only a new one (now). Dated by the retry, it moved in every feed.
    dated = raw.get("published") is not None or raw.get("publish_at") is not None
    return ImportedPost(
        source_id=where, entry_id=entry_id, slug_given=bool(draft.slug and slugify(draft.slug)),
        title=draft.title, content_html=draft.content_html,
        published=draft.published if dated else None,
        updated=draft.updated, status=draft.status, slug=draft.slug, authors=draft.authors,
        labels=draft.labels, enclosures=draft.enclosures, where=where,
        # Sent without a kind, a page the request finds stored stays a page.
        kind=None if "kind" not in raw else "page" if draft.kind is PostKind.PAGE else "post",
    )


async def bulk(request: web.Request) -> web.Response:
    """Posts in one request, stored in batches; each item's outcome is listed and one bad
    item does not sink the others. A post whose entry id is stored already is updated (so
    a retried bulk request creates nothing twice). Feeds render once, after the last batch."""
    app = request.app
    site = site_of(request)
    raw = await read_body(request)
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
    importer = Importer(store, site, app[PUBLISHER].ctx, now,
                        batch=app[SETTINGS].api.bulk_batch_size, imported_by="api")
    try:
        seen: set[str] = set()
        report = await importer.run(iter([_as_item(i, x, site, now, seen)
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
            error = errors.get(where, "not stored")
            # The field as the message names it ("[5].published: not a date"), as a
            # problem's `field` is: a client need not parse the text.
            named = _NAMED_FIELD.match(error)
            results.append({"index": i, "outcome": "error", "error": error,
                            "field": named.group(1) if named else where})
    answer = {"results": results,
              "added": report.posts_added, "updated": report.posts_updated,
              "unchanged": report.posts_unchanged, "errors": len(errors)}
    await remember_answer(request, idem, answer)
    return json_response(answer)
