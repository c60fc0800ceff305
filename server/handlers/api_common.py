"""What every API handler uses: JSON responses, and replaying the answer to a repeated
Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from feeds.errors import DeletedPostError, InvalidInputError
from feeds.models import Post, PostStatus, Site
from feeds.store import Idempotency
from server.api_input import text_param
from server.keys import CLOCK, STORE
from server.representations import comment_json, post_json


def json_bytes(body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # an unpaired surrogate: \u-escaped, the JSON stays valid
        return json.dumps(body).encode()


def json_response(body: Any, status: int = 200, **headers: str) -> web.Response:
    return bytes_response(json_bytes(body), status, **headers)


def bytes_response(data: bytes, status: int = 200, **headers: str) -> web.Response:
    """JSON already serialized (json_bytes)."""
    return web.Response(status=status, body=data, content_type="application/json",
                        headers=headers)


def entity_tag(data: bytes) -> str:
    """The ETag of a representation, from its bytes as sent (the JSON objects' keys come in
    a fixed order, so the same state gives the same bytes): server/handlers/api_conditional."""
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


def tag_of(representation: dict[str, Any]) -> str:
    return entity_tag(json_bytes(representation))


def tagged_response(representation: dict[str, Any], status: int = 200,
                    **headers: str) -> web.Response:
    """The JSON answer, with its ETag."""
    data = json_bytes(representation)
    return bytes_response(data, status, ETag=entity_tag(data), **headers)


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
        return stored_answer(record.resource, json.loads(record.response))
    assert record.resource_id is not None
    # The 201 again, Location included (RFC 9110 §15.3.2): a retry is where a client that
    # lost the first answer learns where the thing it made is.
    replayed = {"Idempotent-Replayed": "true"}
    if record.resource == "comment":
        comment = await store.get_comment(site.id, record.resource_id)
        return tagged_response(comment_json(comment), 201,
                               Location=f"/api/comments/{comment.id}", **replayed)
    post = await store.get_post(site.id, str(record.resource_id))
    return tagged_response(post_json(site, post), 201, Location=f"/api/posts/{post.id}",
                           **replayed)


STORED_ANSWERS = {"bulk": (200, None), "site": (201, "/api/sites/{id}"),
                  "import": (201, "/api/imports/{id}")}
"""Creates whose whole answer is kept with their Idempotency-Key (Store.save_response),
with the status and Location a replay answers with."""


def stored_answer(resource: str, body: Any) -> web.Response:
    status, location = STORED_ANSWERS.get(resource, (200, None))
    headers = {"Idempotent-Replayed": "true"}
    if location is not None:
        headers["Location"] = location.format(id=body["id"])
    if resource == "site":  # a site carries its ETag (api_sites), as it did the first time
        return tagged_response(body, status, **headers)
    return json_response(body, status, **headers)


async def remember_answer(request: web.Request, idem: Idempotency | None, body: Any
                          ) -> None:
    """Keep the answer to a create of STORED_ANSWERS with its Idempotency-Key. Kept after
    the create, not in its transaction: two requests with one key at the same moment may
    both act, and the first answer kept is the one replayed from then on."""
    if idem is not None:
        await request.app[STORE].save_response(idem, json.dumps(body),
                                               request.app[CLOCK].now())


async def live_post(request: web.Request, site: Site, ref: str | None = None, *,
                    deleted: bool = False) -> Post:
    """The post the path names (id, slug or entry id), with its approved comment count. A
    deleted post is kept by the store (imports must not bring it back, its entry id and
    slug stay its own): with `deleted`, it is shown as it is (GET /api/posts/ID, so that
    what `?status=deleted` lists can be read); otherwise it cannot be changed: 404."""
    ref = text_param(request, "post", path=True) if ref is None else ref
    assert ref is not None
    store = request.app[STORE]
    post = await store.get_post(site.id, ref)
    if post.status is PostStatus.DELETED and not deleted:
        raise DeletedPostError(ref)
    return (await store.posts_by_id(site.id, [post.id]))[post.id]
