"""What every API handler uses: JSON responses, and replaying the answer to a repeated
Idempotency-Key."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from feeds.errors import InvalidInputError, PostNotFoundError
from feeds.models import Post, PostStatus, Site
from feeds.store import Idempotency
from server.api_input import text_param
from server.keys import STORE
from server.representations import comment_json, post_json


def json_response(body: Any, status: int = 200, **headers: str) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    try:
        data = text.encode()
    except UnicodeEncodeError:  # an unpaired surrogate: \u-escaped, the JSON stays valid
        data = json.dumps(body).encode()
    return web.Response(status=status, body=data, content_type="application/json",
                        headers=headers)


async def replay(request: web.Request, idem: Idempotency | None, site: Site
                 ) -> web.Response | None:
    """The answer already given to this Idempotency-Key, if it was used before."""
    if idem is None:
        return None
    store = request.app[STORE]
    record = await store.idempotency_record(idem.scope, idem.key)
    if record is None:
        return None
    if record.request_hash != idem.request_hash:
        raise InvalidInputError("Idempotency-Key", "was used before with a different request")
    if record.response is not None:
        return json_response(json.loads(record.response), 200, **{"Idempotent-Replayed": "true"})
    assert record.resource_id is not None
    if record.resource == "comment":
        comment = await store.get_comment(site.id, record.resource_id)
        return json_response(comment_json(comment), 201, **{"Idempotent-Replayed": "true"})
    post = await store.get_post(site.id, str(record.resource_id))
    return json_response(post_json(site, post), 201, **{"Idempotent-Replayed": "true"})


async def live_post(request: web.Request, site: Site, ref: str | None = None) -> Post:
    """The post the path names (id, slug or entry id), with its approved comment count. A
    deleted post is kept by the store (imports must not bring it back) but gone for the
    API: 404, as for a post that never was."""
    ref = text_param(request, "post", path=True) if ref is None else ref
    assert ref is not None
    store = request.app[STORE]
    post = await store.get_post(site.id, ref)
    if post.status is PostStatus.DELETED:
        raise PostNotFoundError(ref)
    return (await store.posts_by_id(site.id, [post.id]))[post.id]
