"""OPTIONS and CORS for the admin API. OPTIONS on an /api/ path is a 204 with Allow (the
methods of every route matching it, OPTIONS too) and, where the path takes a body,
Accept-Post and Accept-Patch (RFC 5789 §3.1); it needs no token, as a CORS preflight
carries none (Fetch §3.2.2) and the methods are in the public OpenAPI document anyway.

Every /api/ answer allows any origin (`Access-Control-Allow-Origin: *`): the API is
authenticated by a bearer token a script must hold and send, never by cookies, so a page of
another origin gets nothing a request of its own could not get, and browser-based clients
(an editor in a web page, Swagger UI) work. Credentials mode is not allowed (no
Access-Control-Allow-Credentials), which "*" requires anyway."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from server.openapi import request_media_types

ALLOW_HEADERS = ("Authorization, Content-Type, Content-Encoding, If-Match, If-None-Match, "
                 "Idempotency-Key")
"""The request headers a browser may send to the API (a preflight's answer)."""
EXPOSE_HEADERS = ("ETag, Location, Idempotent-Replayed, Allow, Accept-Post, Accept-Patch, "
                  "Accept-Encoding, Retry-After, WWW-Authenticate")
"""The response headers a browser lets a script read (beyond the CORS-safelisted ones)."""
PREFLIGHT_MAX_AGE = "86400"


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@web.middleware
async def options_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """OPTIONS on an API path a route matches: 204 with what it takes. On any other path
    OPTIONS goes on (401 without a token, else 404 or 405, as ever)."""
    if request.method != "OPTIONS" or not is_api(request.path):
        return await handler(request)
    methods: set[str] = set()
    headers: dict[str, str] = {}
    for resource in request.app.router.resources():
        _, allowed = await resource.resolve(request)
        methods |= allowed
        for method, header in (("POST", "Accept-Post"), ("PATCH", "Accept-Patch")):
            accepted = request_media_types(resource.canonical, method) if (
                method in allowed) else ()
            if accepted:
                headers[header] = ", ".join(accepted)
    if not methods:
        return await handler(request)
    allow = ",".join(sorted(methods | {"OPTIONS"}))
    return web.Response(status=204, headers={
        "Allow": allow, **headers,
        "Access-Control-Allow-Methods": allow,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    })


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every API answer, errors and 304s included, may be read by a
    script of any origin."""
    if is_api(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
