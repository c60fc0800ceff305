"""The OpenAPI document's response schemas say something (required properties and their
types), so schemathesis' response_schema_conformance (tests/server/test_api_openapi.py) can
fail; what the API and `syndic ... --json` answer matches them, down to shapes the fuzzing
seldom reaches (subscriptions, deliveries, tokens, a failed import, a 500)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator, ValidationError
from schemathesis.specs.openapi import checks as oas_checks

from feeds.models import Delivery, DeliveryKind, FeedFormat, Subscription, Topic
from server.app import create_app
from server.openapi import NDJSON_TYPES, PATHS, SCHEMAS, openapi_document, page_of
from server.representations import delivery_json, subscription_json, token_json
from tests.conftest import NOW
from tests.server.api_conftest import AUTH, TOKEN, Api
from tests.server.test_api_openapi import CHECKS

RESPONSES = ("Post", "Comment", "Site", "Label", "Import", "Subscription", "Delivery",
             "Regeneration", "BulkResult", "Token", "Problem")


def valid(schema: dict[str, Any], instance: Any) -> None:
    """`instance` matches `schema` (its $refs resolved against the document)."""
    doc = openapi_document()
    Draft202012Validator({**schema, "components": doc["components"]}).validate(instance)


def component(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_every_response_schema_names_its_required_properties_and_their_types() -> None:
    assert oas_checks.response_schema_conformance in CHECKS
    for name in RESPONSES:
        schema = SCHEMAS[name]
        assert schema["type"] == "object" and schema["required"], name
        assert set(schema["required"]) <= set(schema["properties"]), name
        for prop, sub in schema["properties"].items():
            assert "type" in sub or "$ref" in sub or "oneOf" in sub, (name, prop)
    for path, ops in PATHS.items():
        for method, op in ops.items():
            for code, response in op["responses"].items():
                for content in response.get("content", {}).values():
                    schema = content["schema"]
                    if "$ref" not in schema:  # a list page
                        assert schema["required"] == ["items", "total", "next"], (method, path)
                    if code.startswith(("4", "5")):
                        assert schema == component("Problem"), (method, path, code)


def test_an_answer_missing_a_property_or_with_a_wrong_type_does_not_conform() -> None:
    site = {"id": 1, "host": "a.test", "title": "A", "subtitle": "", "base_url": "http://a",
            "timezone": "UTC", "language": "en", "default_feed": "full",
            "summary_length": 300, "wordpress_urls": False, "is_default": True,
            "created": "2026-11-24T12:00:00Z"}
    valid(component("Site"), site)
    valid(component("Site"), {**site, "something_new": 1})  # clients ignore the unknown
    for broken in ({k: v for k, v in site.items() if k != "host"}, {**site, "id": "1"},
                   {**site, "default_feed": "both"}):
        with pytest.raises(ValidationError, match=r"required|not of type|is not one of"):
            valid(component("Site"), broken)
    with pytest.raises(ValidationError, match="required"):
        valid(page_of("Site"), {"items": [site], "total": 1})


async def test_what_the_api_answers_matches_the_document(api: Api) -> None:
    post = await api.create_post(labels=["news"], authors=[{"name": "Ann"}],
                                 enclosures=[{"url": "http://a.test/a.mp3"}])
    valid(component("Post"), post)
    scheduled = await api.create_post(title="Later", publish_at="2026-12-01T00:00:00Z")
    valid(component("Post"), scheduled)
    comment = (await api.post(f"/api/posts/{post['id']}/comments",
                              {"author": "Bob", "content_html": "<p>Hi</p>"},
                              expect=201)).json
    valid(component("Comment"), comment)
    valid(page_of("Post"), (await api.get("/api/posts")).json)
    valid(page_of("Comment"), (await api.get("/api/comments")).json)
    valid(page_of("Label"), (await api.get("/api/labels")).json)
    valid(component("Label"), (await api.get("/api/labels/news", expect=200)).json)
    valid(page_of("Site"), (await api.get("/api/sites")).json)
    bulk = await api.post("/api/posts/bulk", [{"title": "One"}, {"colour": "red"}],
                          expect=200)
    valid(component("BulkResult"), bulk.json)
    bad = await api.post("/api/imports?kind=feed", data=b"<not a feed", expect=400)
    valid(component("Problem"), bad.json)
    runs = (await api.get("/api/imports")).json
    valid(page_of("Import"), runs)
    assert runs["items"][0]["state"] == "failed" and runs["items"][0]["report"]["error"]
    regen = await api.post("/api/regenerate", expect=202)
    valid(component("Regeneration"), regen.json)
    token = await api.store.create_token("ci", "0" * 64, NOW)
    valid(component("Token"), token_json(token))


def test_subscriptions_and_deliveries_match_the_document() -> None:
    topic = Topic(1, "posts/default", FeedFormat.ATOM, "http://blog.test/feeds/posts/default")
    sub = Subscription(7, topic, "http://reader.test/cb", None, 864000,
                       NOW + timedelta(days=10), NOW, NOW)
    valid(component("Subscription"), subscription_json(sub))
    for state in ("pending", "delivered", "failed"):
        delivery = Delivery(3, DeliveryKind.WEBSUB, topic, 7, "http://reader.test/cb",
                            '"abc"', state, 2, NOW, 500 if state == "failed" else None,
                            "HTTP 500" if state == "failed" else None)
        valid(component("Delivery"), delivery_json(delivery))


@pytest.mark.parametrize("summary_length", [19, 10001, 0, -1, 100000])
async def test_a_site_summary_length_is_held_to_the_settings_range(
    api: Api, summary_length: int,
) -> None:
    body = {"host": "short.test", "title": "Short", "summary_length": summary_length}
    assert (await api.post("/api/sites", body, expect=400)).field == "summary_length"
    reply = await api.patch("/api/sites/1", {"summary_length": summary_length}, expect=400)
    assert reply.field == "summary_length"


async def test_the_ends_of_the_summary_length_range_are_accepted(api: Api) -> None:
    site = (await api.post("/api/sites", {"host": "s.test", "title": "S",
                                          "summary_length": 20}, expect=201)).json
    assert site["summary_length"] == 20
    changed = await api.patch(f"/api/sites/{site['id']}", {"summary_length": 10000},
                              expect=200)
    assert changed.json["summary_length"] == 10000


# -- NDJSON media types ---------------------------------------------------------------------


@pytest.mark.parametrize("media", NDJSON_TYPES)
async def test_a_bulk_body_in_each_ndjson_media_type_is_read_a_line_at_a_time(
    api: Api, media: str,
) -> None:
    lines = [json.dumps({"title": f"Line {i}"}) for i in range(3)]
    reply = await api.post("/api/posts/bulk", data="\n".join(lines) + "\n",
                           headers={"Content-Type": f"{media}; charset=utf-8"}, expect=200)
    assert reply.json["added"] == 3
    documented = PATHS["/api/posts/bulk"]["post"]["requestBody"]["content"]
    assert media in documented


# -- an unexpected failure ------------------------------------------------------------------


SECRET = "password=hunter2 at /srv/syndic/secret.db"


async def test_an_unexpected_failure_is_a_logged_problem_json_500_that_leaks_nothing(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    make_settings: Callable[..., Any], clock: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails(request: web.Request) -> web.Response:
        # A test-only route: every real API route answers every input without a 500
        # (the schemathesis runs in test_api_openapi.py check exactly that).
        raise RuntimeError(SECRET)

    app = create_app(make_settings(api={"tokens": [TOKEN]}), clock=clock)
    app.router.add_post("/api/failing", fails)
    client = await aiohttp_client(app)

    with caplog.at_level(logging.ERROR, logger="syndic.http"):
        async with client.post("/api/failing", headers=AUTH) as resp:
            status, ctype, text = resp.status, resp.headers["Content-Type"], await resp.text()

    assert status == 500 and ctype.startswith("application/problem+json")
    problem = json.loads(text)
    valid(component("Problem"), problem)
    assert problem["status"] == 500 and problem["type"] == "about:blank"
    assert problem["title"] == "Internal Server Error"
    for leak in ("hunter2", "secret.db", "RuntimeError", "Traceback", "fails"):
        assert leak not in text
    logged = [r for r in caplog.records if r.name == "syndic.http"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert logged[0].exc_info[0] is RuntimeError and "/api/failing" in logged[0].getMessage()
    # The server is fine afterwards.
    async with client.get("/api/posts", headers=AUTH) as resp:
        assert resp.status == 200
