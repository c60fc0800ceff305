"""Conditional requests on a post (RFC 9110 §8.8.3, §13.1): every answer that carries a
post carries its ETag; GET with If-None-Match is a 304 while it still matches; PATCH and
DELETE with If-Match change the post only while it is still the version the client saw,
else 412 (problem+json naming If-Match), so two editors cannot undo each other's work.

Without If-Match a change is still never lost: it is made to the post as read, and the
write succeeds only if the stored post is still that version (StoreBase.write_post's
`replaces`); when another change landed in between, the post is read again and the change
made again to the new version (last writer wins field by field, as the client asked).

The ETag is a hash of the post's JSON representation, so it changes with anything the
representation shows (an approved comment changes `comment_count`): a strong validator, as
If-Match requires (§13.1.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from aiohttp import web

from feeds.errors import ConflictError, InvalidInputError, PreconditionFailedError, StaleWriteError
from feeds.models import Post, Site
from server.handlers.api_common import bytes_response, json_bytes
from server.http_cache import parse_entity_tags, weak_match
from server.representations import post_json

T = TypeVar("T")
WRITE_ATTEMPTS = 5
"""Reads and writes of one change while other changes keep landing in between."""


def entity_tag(data: bytes) -> str:
    """The tag of a representation, from its bytes as sent (post_json's keys come in a
    fixed order, so the same post gives the same bytes)."""
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


def post_tag(site: Site, post: Post) -> str:
    return entity_tag(json_bytes(post_json(site, post)))


def post_response(site: Site, post: Post, status: int = 200, **headers: str) -> web.Response:
    """The post as JSON, with its ETag."""
    data = json_bytes(post_json(site, post))
    return bytes_response(data, status, ETag=entity_tag(data), **headers)


def not_modified(request: web.Request, site: Site, post: Post) -> web.Response | None:
    """A 304 when If-None-Match still names the post's ETag (weak comparison, §13.1.2)."""
    raw = request.headers.get("If-None-Match")
    if raw is None:
        return None
    tag = post_tag(site, post)
    tags = parse_entity_tags(raw)
    if tags == "*" or any(weak_match(t, tag) for t in tags):
        return web.Response(status=304, headers={"ETag": tag})
    return None


IfMatch = list[str] | Literal["*"] | None


def if_match(request: web.Request) -> IfMatch:
    """The If-Match condition, None without one; a value with no entity tag is a 400."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    tags = parse_entity_tags(raw)
    if not tags:
        raise InvalidInputError("If-Match", 'must be "*" or a list of entity tags, as the '
                                "ETag header gives them")
    return tags


def check(condition: IfMatch, site: Site, post: Post) -> None:
    """PreconditionFailedError unless `post` meets the condition: "*" any (live) post, else
    one of the tags, by strong comparison (a weak tag never matches, §13.1.1)."""
    if condition is None or condition == "*":
        return
    tag = post_tag(site, post)
    if tag not in condition:  # strong: "x" equals "x", W/"x" never matches
        raise PreconditionFailedError(
            "If-Match", f"the post has changed since (its ETag is now {tag}): read it again")


async def change_post(read: Callable[[], Awaitable[Post]],
                      write: Callable[[Post], Awaitable[T]], condition: IfMatch,
                      site: Site) -> T:
    """write(the post as read now), checked against `condition`, read and written again
    when another change lands in between (WRITE_ATTEMPTS at most). Under If-Match the
    change is not made again: the condition was on the version that was changed (412)."""
    for _ in range(WRITE_ATTEMPTS):
        post = await read()
        check(condition, site, post)
        try:
            return await write(post)
        except StaleWriteError:
            if condition not in (None, "*"):
                raise PreconditionFailedError(
                    "If-Match", "the post was changed by another request meanwhile: read it "
                    "again") from None
    raise ConflictError(f"the post kept changing ({WRITE_ATTEMPTS} attempts): try again")
