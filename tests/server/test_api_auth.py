"""Every admin API route needs a bearer token (from settings or made in the store); feeds,
pages and the OpenAPI document stay public."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from server.auth import new_token, token_hash
from server.routes import ROUTES
from tests.server.api_conftest import TOKEN, Api

PLAUSIBLE = {"site_id": "1", "post": "1", "comment_id": "1", "label": "news", "import_id": "1"}
BODIES = {"POST": b'{"title": "t", "content_html": "<p>x</p>"}', "PATCH": b'{"title": "t"}'}


def api_routes() -> list[tuple[str, str]]:
    """(method, concrete path) of every /api/ route but the public OpenAPI document."""
    out = []
    for route in ROUTES:
        assert isinstance(route, web.RouteDef)
        if not route.path.startswith("/api/") or route.path == "/api/openapi.json":
            continue
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: PLAUSIBLE[m.group(1)], route.path)
        out.append((route.method, path))
    return out


ROUTES_UNDER_TEST = api_routes()
NOT_TOKENS = [
    pytest.param(None, id="no-header"),
    pytest.param("Bearer not-the-token-0123456789", id="wrong-token"),
    pytest.param(f"Token {TOKEN}", id="right-token-other-scheme"),
    pytest.param("Basic dXNlcjpwYXNzd29yZA==", id="basic"),
    pytest.param("Bearer", id="bearer-without-token"),
    pytest.param(f"Bearer{TOKEN}", id="no-space"),
    pytest.param(f"Bearer {TOKEN[:-1]}", id="token-prefix"),
]


def test_the_walk_covers_every_kind_of_api_route() -> None:
    methods = {m for m, _ in ROUTES_UNDER_TEST}
    assert methods == {"GET", "POST", "PATCH", "DELETE"}
    assert len(ROUTES_UNDER_TEST) >= 25
    assert ("POST", "/api/posts/bulk") in ROUTES_UNDER_TEST


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "aiohttp"])
@pytest.mark.parametrize("authorization", NOT_TOKENS)
async def test_every_api_route_answers_401_without_a_good_bearer_token(
    make_api: Callable[..., Awaitable[Api]], authorization: str | None, fast: bool
) -> None:
    api = await make_api(fast=fast)
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in ROUTES_UNDER_TEST:
        async with api.client.request(method, path, data=BODIES.get(method),
                                      headers={**headers, "Content-Type": "application/json"}
                                      ) as resp:
            assert resp.status == 401, (method, path, resp.status, await resp.text())
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            assert resp.content_type == "application/problem+json"
            problem = await resp.json(content_type=None)
            assert problem["status"] == 401 and problem["title"] == "Unauthorized"
    # Nothing was written by any of those requests.
    assert await api.store.list_posts(1) == []
    assert len(await api.store.sites()) == 1


async def test_api_paths_spelled_otherwise_are_no_way_around_the_token(api: Api) -> None:
    for path in ("/api/./posts", "/%61pi/posts", "/api/posts/../posts", "/api",
                 "/api/posts?site=1", "/api/nothing-here", "/api/openapi.json/../posts"):
        reply = await api.get(path, auth=False)
        assert reply.status == 401, (path, reply.status, reply.text)
    # The OpenAPI document is public for reading only.
    assert (await api.post("/api/openapi.json", {}, auth=False)).status == 405


async def test_the_token_from_settings_opens_every_route(api: Api) -> None:
    for method, path in ROUTES_UNDER_TEST:
        reply = await api.call(method, path, data=BODIES.get(method),
                               headers={"Content-Type": "application/json"})
        assert reply.status != 401, (method, path, reply.text)
    assert (await api.get("/api/posts")).status == 200
    # The scheme is case-insensitive (RFC 9110 §11.1).
    lower = await api.get("/api/sites", auth=False,
                          headers={"Authorization": f"bearer {TOKEN}"})
    assert lower.status == 200


async def test_several_tokens_in_settings_each_work(
    make_api: Callable[..., Awaitable[Api]]
) -> None:
    other = "second-token-abcdefghijklmnop"
    api = await make_api(api={"tokens": [TOKEN, other]})
    for token in (TOKEN, other):
        reply = await api.get("/api/posts", auth=False,
                              headers={"Authorization": f"Bearer {token}"})
        assert reply.status == 200


async def test_tokens_made_in_the_store_work_until_revoked(api: Api) -> None:
    token = new_token()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/api/posts", auth=False, headers=headers)).status == 401
    await api.store.create_token("ci", token_hash(token), api.clock.now())
    assert (await api.get("/api/posts", auth=False, headers=headers)).status == 200
    created = await api.post("/api/posts", {"title": "By the CI token"}, auth=False,
                             headers=headers)
    assert created.status == 201
    # The store keeps the hash only: the hash itself is no token.
    hashed = {"Authorization": f"Bearer {token_hash(token)}"}
    assert (await api.get("/api/posts", auth=False, headers=hashed)).status == 401
    assert await api.store.revoke_token("ci") == 1
    assert (await api.get("/api/posts", auth=False, headers=headers)).status == 401


async def test_with_no_token_configured_the_api_is_closed(
    make_api: Callable[..., Awaitable[Api]]
) -> None:
    api = await make_api(api={"tokens": []})
    assert (await api.get("/api/posts")).status == 401
    assert (await api.get("/api/posts", auth=False, headers={"Authorization": "Bearer "})
            ).status == 401


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "aiohttp"])
@pytest.mark.parametrize("authorization", [None, "Bearer not-the-token-0123456789"])
async def test_feeds_pages_and_the_openapi_document_stay_public(
    make_api: Callable[..., Awaitable[Api]], authorization: str | None, fast: bool
) -> None:
    api = await make_api(fast=fast)
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/feeds/posts/default", "/", "/api/openapi.json", "/feed.atom",
                 "/feeds/comments/default"):
        reply = await api.get(path, auth=False, headers=headers)
        assert reply.status == 200, (path, reply.status, reply.text[:200])
        assert "WWW-Authenticate" not in reply.headers
    head = await api.call("HEAD", "/api/openapi.json", auth=False)
    assert head.status == 200
    assert (await api.get("/api/openapi.json", auth=False)).json["openapi"] == "3.1.0"
