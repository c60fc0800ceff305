"""/api/labels: a site's labels with their post counts; put a label on posts, rename (or
merge) one, take one off every post. Each changed post is written with the feeds it touches
marked, like any edit. A label carries its ETag (its JSON: name, count, feed); PATCH and
DELETE with If-Match are done only while the label is still the one the client saw, i.e. on
the same number of posts (412 otherwise). The check is made before the posts are changed
one by one: a label on thousands of posts is not changed in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web

from feeds.errors import InvalidInputError, NotFoundError
from feeds.models import Post, PostStatus, Site
from feeds.posts import label_name
from server.api_drafts import post_draft
from server.api_input import next_link, page, read_json, site_of, text_param
from server.handlers.api_common import json_response, live_post, tag_of, tagged_response
from server.handlers.api_conditional import (
    change_current,
    check,
    conditional_get,
    first_then,
    if_match,
    post_tag,
)
from server.keys import CLOCK, PUBLISHER, STORE, WAKE, WAKE_OUTBOX

PAGE = 500


def _label(request: web.Request) -> str:
    name = text_param(request, "label", path=True)
    assert name is not None
    return name


async def _stored_name(request: web.Request, site: Site) -> str:
    """The label the path names: as spelled, or else in its composed form (NFC), which
    posts carry since labels are normalised (a label stored before keeps its spelling)."""
    name = _label(request)
    composed = label_name(name)
    if composed != name and not await _count(request, site, name):
        return composed
    return name


def _label_json(site: Site, name: str, count: int) -> dict[str, object]:
    return {"name": name, "count": count,
            "feed": f"{site.base_url}/feeds/posts/default/-/{quote(name, safe='')}"}


async def _count(request: web.Request, site: Site, name: str) -> int:
    counts = dict(await request.app[STORE].label_counts(site.id))
    return counts.get(name, 0)


async def listing(request: web.Request) -> web.Response:
    site = site_of(request)
    limit, offset = page(request)
    labels = await request.app[STORE].label_counts(site.id)
    return json_response({
        "items": [_label_json(site, n, c) for n, c in labels[offset:offset + limit]],
        "total": len(labels), "next": next_link(request, len(labels), limit, offset)})


async def show(request: web.Request) -> web.Response:
    site = site_of(request)
    name = await _stored_name(request, site)
    count = await _count(request, site, name)
    if not count:
        raise NotFoundError("label", name)
    return conditional_get(request, _label_json(site, name, count))


async def _relabel(request: web.Request, site: Site, posts: list[Post],
                   change: Callable[[tuple[str, ...]], tuple[str, ...]]) -> None:
    for post in posts:
        await _relabel_one(request.app, site, post, change)
    request.app[WAKE]()


async def _relabel_one(app: web.Application, site: Site, listed: Post,
                       change: Callable[[tuple[str, ...]], tuple[str, ...]]) -> None:
    """`change` made to the post's labels as they are at the write: an edit of the post
    that lands meanwhile is not undone (api_conditional.change_current)."""
    read = first_then(listed, lambda: app[STORE].get_post(site.id, str(listed.id)))

    async def write(before: Post) -> None:
        labels = change(before.labels)
        if labels == before.labels or before.status is PostStatus.DELETED:
            return
        now = app[CLOCK].now()
        draft = post_draft({"labels": list(labels)}, site, now, before)
        await app[PUBLISHER].update_post(site, before, draft, now)

    await change_current(read, write, None, post_tag(site), "post")


async def _posts_with(request: web.Request, site: Site, name: str) -> list[Post]:
    """Every post with the label (a 404 when none has it); with If-Match, only while the
    label is as the client saw it."""
    condition = if_match(request)
    store = request.app[STORE]
    out: list[Post] = []
    while True:
        total, posts = await store.page_posts(site.id, PAGE, len(out), None, name)
        out += posts
        if len(out) >= total or not posts:
            break
    if not out:
        raise NotFoundError("label", name)
    check(condition, tag_of(_label_json(site, name, len(out))), "label")
    return out


def _name(body: dict[str, object]) -> str:
    """The label name as posts will carry it (cleaned like every label); never empty."""
    name = label_name(str(body["name"]))
    if not name:
        raise InvalidInputError("name", "must not be blank")
    return name


async def create(request: web.Request) -> web.Response:
    site = site_of(request)
    body = await read_json(request, "LabelCreate")
    name = _name(body)
    posts = [await live_post(request, site, str(i)) for i in body["posts"]]
    await _relabel(request, site, posts,
                   lambda labels: labels if name in labels else (*labels, name))
    return tagged_response(_label_json(site, name, await _count(request, site, name)), 201,
                           Location=f"/api/labels/{quote(name, safe='')}")


async def patch(request: web.Request) -> web.Response:
    site = site_of(request)
    old = await _stored_name(request, site)
    new = _name(await read_json(request, "LabelPatch"))
    posts = await _posts_with(request, site, old)
    await _relabel(request, site, posts,
                   lambda labels: tuple(dict.fromkeys(new if lb == old else lb for lb in labels)))
    if new != old:
        # Its feed's subscribers follow: /feeds/posts/default/-/OLD answers 301 to NEW's
        # (server/handlers/feeds.py) while no post has OLD again, and its WebSub
        # subscriptions move to NEW's feeds (feeds/store/label_moves.py).
        app = request.app
        moved = await app[STORE].move_label_aliases(site.id, old, new, app[CLOCK].now())
        if moved and WAKE_OUTBOX in app:
            app[WAKE_OUTBOX]()
    return tagged_response(_label_json(site, new, await _count(request, site, new)))


async def delete(request: web.Request) -> web.Response:
    site = site_of(request)
    name = await _stored_name(request, site)
    posts = await _posts_with(request, site, name)
    await _relabel(request, site, posts, lambda labels: tuple(lb for lb in labels if lb != name))
    await request.app[STORE].move_label_aliases(site.id, name, None,  # its feed is a 404
                                                request.app[CLOCK].now())
    return web.Response(status=204)
