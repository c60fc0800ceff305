"""A client writer's JSON, read as JSON and answered in JSON's words: NaN and Infinity, which
Python's json module reads, are no JSON (RFC 8259 §6) and are refused naming the body; a
message about a value spells it as JSON does (null, true, "text"), not as Python (None,
True, 'text') (QA re-test, item 13)."""

from __future__ import annotations

import pytest

from tests.server.api_conftest import Api
from tests.server.test_api_http_rules import send


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_no_json_and_are_refused_naming_the_body(
    api: Api, constant: str,
) -> None:
    body = f'{{"title": "A number", "enclosures": [{{"url": "http://a.test/x.mp3", ' \
           f'"type": "audio/mpeg", "length": {constant}}}]}}'.encode()
    reply = await send(api, "POST", "/api/posts", body, {})
    assert reply.status == 400 and reply.field == "body"
    assert f"{constant} is not a JSON number" in reply.json["detail"]
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_nan_in_a_bulk_line_refuses_that_line_only(api: Api) -> None:
    lines = b'{"title": "Fine"}\n{"title": NaN}\n'
    reply = await send(api, "POST", "/api/posts/bulk", lines, {},
                       content_type="application/x-ndjson")
    [fine, refused] = reply.json["results"]
    assert fine["outcome"] == "added" and refused["outcome"] == "error"
    assert refused["error"].startswith("line 2: not JSON: NaN is not a JSON number")
    assert [p["title"] for p in (await api.get("/api/posts")).json["items"]] == ["Fine"]


@pytest.mark.parametrize(("body", "detail"), [
    ({"title": None}, "title: null is not of type 'string'"),
    ({"title": True}, "title: true is not of type 'string'"),
    ({"title": "T", "labels": [1.5]}, "labels[0]: 1.5 is not of type 'string'"),
    ({"title": "T", "status": "nope"},
     'status: "nope" is not one of ["draft", "scheduled", "published"]'),
])
async def test_a_refused_value_is_spelt_as_json_spells_it(api: Api, body: object,
                                                          detail: str) -> None:
    reply = await api.post("/api/posts", body, expect=400)
    assert reply.json["detail"] == detail


async def test_a_null_date_in_a_patch_says_null(api: Api) -> None:
    post = await api.create_post(title="Dated")
    reply = await api.patch(f"/api/posts/{post['id']}", {"published": None}, expect=400)
    assert reply.json["detail"] == "published: null is not of type 'string'"


@pytest.mark.parametrize(("path", "body", "key"), [
    ("/api/posts", b'{"title": "Draft?", "status": "draft", "status": "published"}', "status"),
    ("/api/posts", b'{"title": "A", "authors": [{"name": "x", "name": "y"}]}', "name"),
    ("/api/sites", b'{"host": "a.test", "host": "b.test", "title": "Which?"}', "host"),
])
async def test_a_key_given_twice_in_one_object_is_refused_naming_it_not_guessed(
    api: Api, path: str, body: bytes, key: str,
) -> None:
    # RFC 8259 §4: what a reader makes of a name given twice is anyone's guess (Python
    # took the last, a proxy or a log reader may take the first); I-JSON (RFC 7493 §2.3)
    # forbids it. A draft that another reader sees published is no small misreading.
    reply = await send(api, "POST", path, body, {})
    assert reply.status == 400 and reply.field == "body"
    assert reply.json["detail"] == (
        f'body: not JSON we can read one way: "{key}" is given twice in one object')
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_a_key_given_twice_in_a_bulk_line_refuses_that_line_only(api: Api) -> None:
    lines = b'{"title": "Fine"}\n{"title": "A", "title": "B"}\n'
    reply = await send(api, "POST", "/api/posts/bulk", lines, {},
                       content_type="application/x-ndjson")
    [fine, refused] = reply.json["results"]
    assert fine["outcome"] == "added" and refused["outcome"] == "error"
    assert refused["error"] == ('line 2: not JSON we can read one way: "title" is given twice'
                                " in one object")
