"""/api/posts/{post}/comments and /api/comments: add, read, list, moderate, delete. Only
approved comments show in comment feeds and counts."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.errors import ConflictError
from feeds.models import Comment, CommentStatus, Site
from server.api_body import read_body
from server.api_dates import date_field
from server.api_drafts import comment_author, comment_draft
from server.api_input import (
    enum_param,
    idempotency,
    next_link,
    page,
    path_id,
    read_json,
    site_of,
)
from server.handlers.api_common import json_response, live_post, replay, tag_of, tagged_response
from server.handlers.api_conditional import change_current, conditional_get, first_then, if_match
from server.keys import CLOCK, PUBLISHER, STORE, WAKE
from server.representations import comment_json


def _comment_id(request: web.Request) -> int:
    return path_id(request, "comment_id")


async def comment_body(request: web.Request, site: Site, comment_id: int) -> dict[str, Any]:
    return comment_json(await request.app[STORE].get_comment(site.id, comment_id))


async def create(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    idem = idempotency(request, "comment", await read_body(request))
    if (again := await replay(request, idem, site)) is not None:
        return again
    draft = comment_draft(await read_json(request, "CommentCreate"), site)
    post = await live_post(request, site)
    now = app[CLOCK].now()
    try:
        comment = await app[PUBLISHER].add_comment(
            site, str(post.id), draft, now, secrets.randbits(40), idem)
    except ConflictError:
        if (again := await replay(request, idem, site)) is not None:
            return again
        raise
    app[WAKE]()
    return tagged_response(comment_json(comment), 201, Location=f"/api/comments/{comment.id}")


async def for_post(request: web.Request) -> web.Response:
    site = site_of(request)
    post = await live_post(request, site)
    return await _page(request, site, post.id)


async def listing(request: web.Request) -> web.Response:
    return await _page(request, site_of(request), None)


async def _page(request: web.Request, site: Site, post_id: int | None) -> web.Response:
    limit, offset = page(request)
    status = enum_param(request, "status", CommentStatus)
    total, comments = await request.app[STORE].page_comments(
        site.id, limit, offset, status, post_id)
    return json_response({"items": [comment_json(c) for c in comments], "total": total,
                  "next": next_link(request, total, limit, offset)})


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    body = await comment_body(request, site, _comment_id(request))
    return conditional_get(request, body)


def _patched(before: Comment, body: dict[str, Any], site: Site, now: datetime) -> Comment:
    after = before
    if "author" in body:
        after = replace(after, author=comment_author(body["author"]))
    if "content_html" in body:
        after = replace(after, content_html=body["content_html"], updated=now)
    if "status" in body:
        after = replace(after, status=CommentStatus(body["status"]))
    if "published" in body:
        after = replace(after, published=date_field(body["published"], "published",
                                                     ZoneInfo(site.timezone)))
    return after


async def patch(request: web.Request) -> web.Response:
    """The fields the body names change, made to the comment as it is at the write
    (api_conditional.change_current: a moderation made meanwhile is not undone)."""
    app = request.app
    site = site_of(request)
    comment_id = _comment_id(request)
    first = await app[STORE].get_comment(site.id, comment_id)  # a 404 before the body's 400
    body = await read_json(request, "CommentPatch")
    condition = if_match(request)
    read = first_then(first, lambda: app[STORE].get_comment(site.id, comment_id))

    async def write(before: Comment) -> Comment:
        now = app[CLOCK].now()
        return await app[PUBLISHER].update_comment(site, _patched(before, body, site, now),
                                                   now, replaces=before)

    comment = await change_current(read, write, condition, _tag, "comment")
    app[WAKE]()
    return tagged_response(comment_json(comment))


async def delete(request: web.Request) -> web.Response:
    app = request.app
    site = site_of(request)
    comment_id = _comment_id(request)
    condition = if_match(request)

    async def write(before: Comment) -> None:
        await app[PUBLISHER].delete_comment(site, before, app[CLOCK].now(), as_read=True)

    await change_current(lambda: app[STORE].get_comment(site.id, comment_id), write,
                         condition, _tag, "comment")
    app[WAKE]()
    return web.Response(status=204)


def _tag(comment: Comment) -> str:
    return tag_of(comment_json(comment))
