"""Bearer tokens for the admin API. Every /api/ route needs one but the OpenAPI document;
feeds and pages stay public. Tokens come from settings (api.tokens) or `syndic token
create` (the store keeps only their SHA-256); the presented token's hash is compared in
constant time (hmac.compare_digest) with each token from settings, and looked up by hash in
the store (a hash reveals nothing of the token). Past the token, a query parameter the
OpenAPI document does not give the operation is refused (400 naming it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from server.keys import SETTINGS, STORE
from server.middleware import problem
from server.openapi import query_parameters

API_PREFIX = "/api/"
PUBLIC = frozenset({"/api/openapi.json"})
TOKEN_SCOPE = web.RequestKey("token_scope", str)
"""The hash prefix of the caller's token: idempotency keys are kept per token."""


def token_hash(token: str) -> str:
    # A header's bytes that are no UTF-8 come as lone surrogates (aiohttp decodes with
    # surrogateescape): hashed as the bytes sent, such a token is simply not known.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return "sy_" + secrets.token_urlsafe(32)


def _unauthorized(detail: str) -> web.Response:
    resp = problem(401, "Unauthorized", detail)
    resp.headers["WWW-Authenticate"] = 'Bearer realm="syndic"'
    return resp


def _presented(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if not path.startswith(API_PREFIX) and path != API_PREFIX.rstrip("/"):
        return await handler(request)
    if path in PUBLIC:  # another method than GET is a 405 naming GET, not a 401
        return await handler(request)
    token = _presented(request)
    if token is None:
        return _unauthorized("this route needs an Authorization: Bearer token")
    digest = token_hash(token)
    configured = [token_hash(t) for t in request.app[SETTINGS].api.tokens]
    # No early exit: every configured token is compared, whatever matched.
    known = False
    for h in configured:
        known |= hmac.compare_digest(digest, h)
    if not known and not await request.app[STORE].has_token(digest):
        return _unauthorized("the bearer token is not known")
    request[TOKEN_SCOPE] = digest[:16]
    # A query parameter the operation does not have is a mistake (?stauts=draft would
    # list every post): a 400 naming it, as an unknown field of a body is.
    resource = request.match_info.route.resource
    allowed = query_parameters(resource.canonical if resource else "", request.method)
    unknown = sorted(set(request.query) - allowed) if allowed is not None else []
    if unknown:
        return problem(400, "Bad Request", f"{unknown[0]}: unknown query parameter",
                       field=unknown[0])
    return await handler(request)
