"""OPTIONS and CORS for the admin API. OPTIONS on an /api/ path is a 204 with Allow (the
methods of every route matching it, OPTIONS too) and, where the path takes a body,
Accept-Post and Accept-Patch (RFC 5789 §3.1); it needs no token, as a CORS preflight
carries none (Fetch §3.2.2) and the methods are in the public OpenAPI document anyway.

Every /api/ answer allows any origin (`Access-Control-Allow-Origin: *`): the API is
authenticated by a bearer token a script must hold and send, never by cookies, so a page of
another origin gets nothing a request of its own could not get, and browser-based clients
(an editor in a web page, Swagger UI) work. Credentials mode is not allowed (no
Access-Control-Allow-Credentials), which "*" requires anyway.

Feeds and pages are public: every answer of theirs (200, 304, 400, 404, 301) allows any
origin and exposes the validators and the WebSub discovery Link (Access-Control-Expose-Headers),
so a browser reader can poll with If-None-Match. That header is not CORS-safelisted (Fetch
§2.2.2), so its GET is preceded by a preflight: OPTIONS on a path a GET route matches is a
204 allowing GET and HEAD and the conditional request headers. The fast path writes the
same two headers from PUBLIC_CORS_LINES (server/fastpath.py); aiohttp's answers get them
here. The hub (POST /hub, for servers) is left out."""

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

PUBLIC_ALLOW_HEADERS = "If-None-Match, If-Modified-Since, Cache-Control"
"""The request headers a browser may send to a feed or page (a preflight's answer)."""
PUBLIC_EXPOSE_HEADERS = "ETag, Last-Modified, Link"
"""What a script may read of a feed's answer besides the safelisted headers: the validators
and the WebSub discovery Link (WebSub §4)."""
PUBLIC_CORS_LINES = (f"Access-Control-Allow-Origin: *\r\n"
                     f"Access-Control-Expose-Headers: {PUBLIC_EXPOSE_HEADERS}\r\n").encode()
"""The same two headers as wire bytes, for the fast path's answers."""


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def is_public(path: str) -> bool:
    """A feed's or a page's path (the hub's is neither)."""
    return not is_api(path) and path != "/hub"


@web.middleware
async def options_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """OPTIONS on an API path a route matches: 204 with what it takes; on an API path no
    route matches, 404 (a preflight carries no token, so a 401 would tell nothing). OPTIONS
    on a public GET path: a CORS preflight's 204. Elsewhere OPTIONS goes on (405)."""
    if request.method != "OPTIONS":
        return await handler(request)
    if not is_api(request.path):
        return await _public_preflight(request, handler)
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
        raise web.HTTPNotFound()
    allow = ",".join(sorted(methods | {"OPTIONS"}))
    return web.Response(status=204, headers={
        "Allow": allow, **headers,
        "Access-Control-Allow-Methods": allow,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    })


async def _public_preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
    gets = False
    if is_public(request.path):
        for resource in request.app.router.resources():
            gets = gets or "GET" in (await resource.resolve(request))[1]
    if not gets:
        return await handler(request)
    return web.Response(status=204, headers={
        "Allow": "GET,HEAD,OPTIONS",
        "Access-Control-Allow-Methods": "GET, HEAD",
        "Access-Control-Allow-Headers": PUBLIC_ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    })


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every API, feed and page answer, errors and 304s included, may
    be read by a script of any origin."""
    if is_api(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    elif is_public(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = PUBLIC_EXPOSE_HEADERS
