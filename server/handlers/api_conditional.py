"""Conditional requests on a post, a comment or a site (RFC 9110 §8.8.3, §13.1): every
answer that carries one carries its ETag; GET with If-None-Match is a 304 while it still
matches; PATCH and DELETE with If-Match change it only while it is still the version the
client saw, else 412 (problem+json naming If-Match), so two editors or moderators cannot
undo each other's work.

Without If-Match a change is still never lost: it is made to the thing as read, and the
write succeeds only if the stored row is still that (a post's `version`, a comment's fields:
StaleWriteError otherwise); when another change landed in between, it is read again and the
change made again to what is there now (last writer wins field by field, as asked).

The ETag is a hash of the JSON representation, so it changes with anything the JSON shows
(an approved comment changes a post's `comment_count`): a strong validator, as If-Match
requires (§13.1.1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from aiohttp import web

from feeds.errors import (
    ConflictError,
    FeedsError,
    InvalidInputError,
    PreconditionFailedError,
    StaleWriteError,
)
from feeds.models import Post, Site
from server.handlers.api_common import (
    bytes_response,
    entity_tag,
    json_bytes,
    tag_of,
    tagged_response,
)
from server.http_cache import is_not_modified, parse_entity_tags
from server.representations import post_json

R = TypeVar("R")
T = TypeVar("T")
WRITE_ATTEMPTS = 5
"""Reads and writes of one change while other changes keep landing in between."""


def post_response(site: Site, post: Post, status: int = 200, **headers: str) -> web.Response:
    return tagged_response(post_json(site, post), status, **headers)


def post_tag(site: Site) -> Callable[[Post], str]:
    return lambda post: tag_of(post_json(site, post))


def conditional_get(request: web.Request, representation: dict[str, Any]) -> web.Response:
    """The JSON answer with its ETag, or a 304 while If-None-Match still names that ETag
    (http_cache.is_not_modified, as for feeds)."""
    data = json_bytes(representation)
    tag = entity_tag(data)
    if is_not_modified(if_none_match=request.headers.get("If-None-Match"),
                       if_modified_since=None, etag=tag, last_modified=None):
        return web.Response(status=304, headers={"ETag": tag})
    return bytes_response(data, ETag=tag)


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


def check(condition: IfMatch, tag: str, what: str) -> None:
    """PreconditionFailedError unless the condition holds for `tag`: "*" for anything that
    exists, else one of the tags by strong comparison (a weak tag never matches,
    §13.1.1)."""
    if condition is None or condition == "*":
        return
    if tag not in condition:  # strong: "x" equals "x", W/"x" never matches
        raise PreconditionFailedError(
            "If-Match", f"the {what} has changed since (its ETag is now {tag}): read it again",
            etag=tag)


def first_then(first: R, again: Callable[[], Awaitable[R]]) -> Callable[[], Awaitable[R]]:
    """A `read` for change_current that gives `first` (already read, e.g. to answer a 404
    before a bad body's 400) and then reads `again`."""
    held = [first]

    async def read() -> R:
        return held.pop() if held else await again()

    return read


async def _tag_now(read: Callable[[], Awaitable[R]], tag: Callable[[R], str]) -> str | None:
    """The ETag of the thing as it is now (None if it is gone), for a 412's ETag header."""
    try:
        return tag(await read())
    except FeedsError:
        return None


async def change_current(read: Callable[[], Awaitable[R]], write: Callable[[R], Awaitable[T]],
                         condition: IfMatch, tag: Callable[[R], str], what: str) -> T:
    """write(the thing as read now), checked against `condition`, read and written again
    when another change lands in between (WRITE_ATTEMPTS at most). Under If-Match the
    change is not made again: the condition was on the version that was changed (412)."""
    for _ in range(WRITE_ATTEMPTS):
        current = await read()
        if condition is not None:
            check(condition, tag(current), what)
        try:
            return await write(current)
        except StaleWriteError:
            if condition not in (None, "*"):
                raise PreconditionFailedError(
                    "If-Match", f"the {what} was changed by another request meanwhile: read "
                    "it again", etag=await _tag_now(read, tag)) from None
    raise ConflictError(f"the {what} kept changing ({WRITE_ATTEMPTS} attempts): try again")
