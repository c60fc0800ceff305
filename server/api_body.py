"""Reading an API request's body as the operation takes it: its Content-Type one the OpenAPI
document lists for the operation (server/openapi.py request_media_types), in UTF-8, and its
Content-Encoding one we decode. The server does not decode bodies itself (create_app sets
aiohttp's auto_decompress off): aiohttp answered an unknown coding by ignoring it, zstd with
a text/plain 400 naming a Python package, and a corrupt gzip body with a 500 from deep in
read(). Here a coding we do not decode is a 415 naming Content-Encoding (RFC 9110 §15.5.16,
Accept-Encoding listing ours, §12.5.3), a body that is not what its coding says is a 400
naming it, and the decoded body is held to api.max_body_bytes (a gzip bomb is a 413)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable

import brotli
from aiohttp import hdrs, web

from feeds.errors import InvalidInputError
from server.openapi import request_media_types

CODINGS = ("gzip", "deflate", "br")
"""The content codings a request body may come in (besides identity)."""
CODING_ALIASES = {"x-gzip": "gzip"}
"""RFC 9110 §8.4.1.3: "A recipient SHOULD consider "x-gzip" to be equivalent to "gzip"."""
CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
"""JSON is UTF-8 (RFC 8259 §8.1); ASCII is UTF-8 too, and "utf8" is a common misspelling
of it (Python, Java and MySQL take it) that names no other charset."""
_IN_A_THREAD = 256 * 1024
"""Compressed bodies larger than this are decoded off the event loop."""


class UnacceptableBodyError(InvalidInputError):
    """A body in a media type, charset or content coding the operation does not take:
    `field` is Content-Type or Content-Encoding, `accepted` what it takes (a 415 with
    Accept-Post, Accept-Patch or Accept-Encoding: server/middleware.py)."""

    def __init__(self, field: str, problem: str, accepted: tuple[str, ...]) -> None:
        super().__init__(field, problem)
        self.accepted = accepted


def _operation(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else ""


def takes(accepted: tuple[str, ...], media: str) -> bool:
    """Whether a body of `media` is one of `accepted`: the same type, or a structured
    syntax suffix (RFC 6839) of one that is listed: application/merge-patch+json is JSON
    where application/json is taken, application/rss+xml XML where application/xml is."""
    if media in accepted:
        return True
    suffix = media.rpartition("+")[2]
    return "+" in media and f"application/{suffix}" in accepted


def check_media_type(request: web.Request) -> None:
    """UnacceptableBodyError unless the body's Content-Type is one the operation takes.
    A body without a Content-Type is application/octet-stream (RFC 9110 §8.3), which only
    an import takes; an empty body is checked by what reads it (a 400 naming `body`)."""
    accepted = request_media_types(_operation(request), request.method)
    if not accepted or not request.body_exists:
        return
    media = request.content_type.lower()  # application/octet-stream when absent
    if not takes(accepted, media):
        sent = (f"is {media}" if hdrs.CONTENT_TYPE in request.headers
                else "is missing (a body without one is application/octet-stream)")
        raise UnacceptableBodyError("Content-Type", f"{sent}; this operation takes "
                                    f"{', '.join(accepted)}", accepted)
    charset = request.charset
    if media.endswith("xml"):
        # An XML document declares its own encoding (XML 1.0 §4.3.3), and the importer reads
        # bytes: a feed forwarded with the charset it was served with (ISO-8859-1 feeds are
        # common) imports as it would without the parameter (QA re-test).
        return
    if charset is not None and charset.lower() not in CHARSETS:
        raise UnacceptableBodyError("Content-Type", f"charset={charset} is not taken: send "
                                    "UTF-8 (charset=utf-8, or no charset)", accepted)


def content_codings(request: web.Request) -> list[str]:
    """The codings applied to the body, in the order they were applied (RFC 9110 §8.4),
    identity left out; UnacceptableBodyError for one we do not decode."""
    listed = ",".join(request.headers.getall(hdrs.CONTENT_ENCODING, []))
    codings = [c.strip().lower() for c in listed.split(",") if c.strip()]
    codings = [CODING_ALIASES.get(c, c) for c in codings]
    for coding in codings:
        if coding != "identity" and coding not in CODINGS:
            raise UnacceptableBodyError(
                "Content-Encoding", f"{coding!r} is not a coding this server decodes: send "
                f"the body as it is, or in {', '.join(CODINGS)}", CODINGS)
    return [c for c in codings if c != "identity"]


async def read_body(request: web.Request) -> bytes:
    """The request's body, decoded, after its Content-Type and Content-Encoding are
    checked. Past api.max_body_bytes, before or after decoding, it is a 413."""
    check_media_type(request)
    codings = content_codings(request)
    raw = await request.read()
    if not codings or not raw:
        return raw
    limit = request.client_max_size
    decode = _decoder(codings, limit)
    if len(raw) > _IN_A_THREAD:
        return await asyncio.to_thread(decode, raw)
    return decode(raw)


def _decoder(codings: list[str], limit: int) -> Callable[[bytes], bytes]:
    def decode(data: bytes) -> bytes:
        for coding in reversed(codings):  # the last coding applied is undone first
            data = _decode(coding, data, limit)
        return data

    return decode


def _decode(coding: str, data: bytes, limit: int) -> bytes:
    try:
        out = _brotli(data, limit) if coding == "br" else _zlib(coding, data, limit)
    except (zlib.error, brotli.error, EOFError):
        out = None
    if out is None:
        raise InvalidInputError("Content-Encoding", f"the body is not {coding} data (corrupt "
                                "or cut short): send it again, or without the coding")
    if len(out) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(out))
    return out


def _zlib(coding: str, data: bytes, limit: int) -> bytes | None:
    """gzip (RFC 1952, members one after another) or deflate, which HTTP means as the
    zlib format (RFC 1950; RFC 9110 §8.4.1.2). None when the data ends before the stream."""
    wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
    out = bytearray()
    while True:
        engine = zlib.decompressobj(wbits)
        out += engine.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            return bytes(out)
        if not engine.eof:
            return None
        data = engine.unused_data
        if not data or coding != "gzip":
            return None if data else bytes(out)


def _brotli(data: bytes, limit: int) -> bytes | None:
    engine = brotli.Decompressor()
    out: bytes = engine.process(data, output_buffer_limit=limit + 1)
    while len(out) <= limit and not engine.is_finished() and not engine.can_accept_more_data():
        out += engine.process(b"", output_buffer_limit=limit + 1 - len(out))
    if len(out) > limit:
        return out
    return out if engine.is_finished() else None
