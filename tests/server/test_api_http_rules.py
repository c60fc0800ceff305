"""The admin API's HTTP rules, as a client writer meets them: bodies in a media type,
charset or content coding the operation does not take are a 415 saying which it takes; a
corrupt compressed body is a 400 naming Content-Encoding, not a 500; OPTIONS and CORS
preflights are answered without a token; an idempotent create replayed keeps its Location
and recognises the same JSON spelt otherwise; /api/posts/bulk is no post; a 412 carries the
current ETag and a 413 the limit (QA report of 2026-12-07, items 1, 6-9, 15-17)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import brotli
import pytest

from server.openapi import PATHS
from tests.server.api_conftest import AUTH, Api, Reply, until

POST = json.dumps({"title": "Sent compressed", "content_html": "<p>Small.</p>"}).encode()


async def send(api: Api, method: str, path: str, data: bytes, headers: dict[str, str],
               *, content_type: str | None = "application/json") -> Reply:
    """A raw body; content_type None sends none at all (aiohttp would say octet-stream)."""
    sent = {**AUTH, **headers}
    if content_type is not None:
        sent["Content-Type"] = content_type
    async with api.client.request(method, path, data=data, headers=sent,
                                  skip_auto_headers=["Content-Type"]) as resp:
        reply = Reply(resp.status, resp.headers, await resp.text())
    assert reply.status < 500, reply.text
    return reply


# -- content codings ------------------------------------------------------------------------


@pytest.mark.parametrize(("coding", "encode"), [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
    ("identity", lambda b: b), ("x-gzip", gzip.compress),  # RFC 9110 §8.4.1.3 ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
])
async def test_a_post_sent_compressed_in_a_coding_we_take_is_stored(
    api: Api, coding: str, encode: Callable[[bytes], bytes],
) -> None:
    reply = await send(api, "POST", "/api/posts", encode(POST), {"Content-Encoding": coding})
    assert reply.status == 201, reply.text
    assert reply.json["title"] == "Sent compressed"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_a_corrupt_compressed_body_is_a_400_naming_content_encoding_not_a_500(
    api: Api, coding: str,
) -> None:
    post = await api.create_post(title="Untouched")
    for method, path in (("POST", "/api/posts"), ("PATCH", f"/api/posts/{post['id']}"),
                         ("POST", "/api/posts/bulk")):
        reply = await send(api, method, path, b"garbage\n", {"Content-Encoding": coding})
        assert reply.status == 400 and reply.is_problem, (method, reply.text)
        assert reply.field == "Content-Encoding" and coding in reply.json["detail"]
    # A gzip stream cut short is no better.
    cut = gzip.compress(POST)[:-10]
    reply = await send(api, "POST", "/api/posts", cut, {"Content-Encoding": "gzip"})
    assert reply.status == 400 and reply.field == "Content-Encoding"
    listed = (await api.get("/api/posts")).json
    assert [p["title"] for p in listed["items"]] == ["Untouched"]


@pytest.mark.parametrize("coding", ["zstd", "foo", "compress", "gzip, foo"])
async def test_a_coding_we_do_not_decode_is_a_415_listing_those_we_do(
    api: Api, coding: str,
) -> None:
    reply = await send(api, "POST", "/api/posts", POST, {"Content-Encoding": coding})
    assert reply.status == 415 and reply.is_problem
    assert reply.field == "Content-Encoding"
    assert reply.headers["Accept-Encoding"] == "gzip, deflate, br"
    assert "backports" not in reply.text and "install" not in reply.text
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_a_compression_bomb_is_a_413_stating_the_limit(
    make_api: Callable[..., Awaitable[Api]],
) -> None:
    api = await make_api(api={"max_body_bytes": 65536})
    bomb = {"title": "Bomb", "content_html": "x" * 2_000_000}
    for coding, encode in (("gzip", gzip.compress), ("br", brotli.compress),
                           ("deflate", zlib.compress)):
        data = encode(json.dumps(bomb).encode())
        assert len(data) < 65536
        reply = await send(api, "POST", "/api/posts", data, {"Content-Encoding": coding})
        assert reply.status == 413, (coding, reply.text)
        assert reply.field == "body" and reply.json["max_bytes"] == 65536
        assert "65536" in reply.json["detail"]
    # Uncompressed, too big is the same 413.
    reply = await send(api, "POST", "/api/posts", json.dumps(bomb).encode(), {})
    assert reply.status == 413 and reply.json["max_bytes"] == 65536


# -- media types and charsets ---------------------------------------------------------------


@pytest.mark.parametrize(("content_type", "data"), [
    ("text/plain", POST), (None, POST), ("application/x-www-form-urlencoded", b"title=Form"),
    ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--\r\n"),
    ("application/json; charset=iso-8859-1", POST), ("application/json; charset=utf-16", POST),
])
async def test_a_create_in_another_media_type_or_charset_is_a_415_saying_what_is_taken(
    api: Api, content_type: str | None, data: bytes,
) -> None:
    reply = await send(api, "POST", "/api/posts", data, {}, content_type=content_type)
    assert reply.status == 415 and reply.is_problem, reply.text
    assert reply.field == "Content-Type"
    assert reply.headers["Accept-Post"] == "application/json"
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_json_in_utf_8_and_in_any_json_media_type_is_taken(api: Api) -> None:
    for content_type in ("application/json; charset=utf-8", "Application/JSON",
                         "application/json; charset=US-ASCII", "application/vnd.blog+json",
                         "application/json; charset=UTF8"):  # a common misspelling
        reply = await send(api, "POST", "/api/posts", POST, {}, content_type=content_type)
        assert reply.status == 201, (content_type, reply.text)
    post = reply.json
    merge = await send(api, "PATCH", f"/api/posts/{post['id']}", b'{"title": "Merged"}', {},
                       content_type="application/merge-patch+json")
    assert merge.status == 200 and merge.json["title"] == "Merged"


async def test_a_body_in_utf_16_is_refused_whether_labelled_or_not(api: Api) -> None:
    body = POST.decode().encode("utf-16")
    labelled = await send(api, "POST", "/api/posts", body, {},
                          content_type="application/json; charset=utf-16")
    assert labelled.status == 415 and labelled.field == "Content-Type"
    unlabelled = await send(api, "POST", "/api/posts", body, {})
    assert unlabelled.status == 400 and unlabelled.field == "body"
    assert "not UTF-8" in unlabelled.json["detail"]
    # A UTF-8 byte order mark is ignored (RFC 8259 §8.1 allows it).
    with_bom = await send(api, "POST", "/api/posts", b"\xef\xbb\xbf" + POST, {})
    assert with_bom.status == 201, with_bom.text


async def test_a_patch_in_another_media_type_is_a_415_with_accept_patch(api: Api) -> None:
    post = await api.create_post(title="Kept")
    reply = await send(api, "PATCH", f"/api/posts/{post['id']}", b"title=Changed", {},
                       content_type="application/x-www-form-urlencoded")
    assert reply.status == 415 and reply.headers["Accept-Patch"] == "application/json"
    assert "Accept-Post" not in reply.headers
    assert (await api.get(f"/api/posts/{post['id']}")).json["title"] == "Kept"


async def test_bulk_takes_json_and_ndjson_and_imports_take_export_files(api: Api) -> None:
    lines = b'{"title": "One"}\n{"title": "Two"}\n'
    reply = await send(api, "POST", "/api/posts/bulk", lines, {}, content_type="text/csv")
    assert reply.status == 415
    assert reply.headers["Accept-Post"] == ("application/json, application/x-ndjson, "
                                            "application/ndjson, application/jsonl")
    reply = await send(api, "POST", "/api/posts/bulk", lines, {},
                       content_type="application/x-ndjson")
    assert reply.status == 200 and reply.json["added"] == 2
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
           b"<item><title>From RSS</title><guid>urn:x:1</guid></item></channel></rss>")
    # An export file without a Content-Type is application/octet-stream, which is taken.
    for content_type in (None, "application/rss+xml", "text/xml; charset=utf-8"):
        reply = await send(api, "POST", "/api/imports?kind=feed", rss, {},
                           content_type=content_type)
        assert reply.status == 201, (content_type, reply.text)
    # A feed forwarded with the charset it was served in: XML says its own encoding.
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
             "<title>T</title><item><title>Café crème</title><guid>urn:x:2</guid></item>"
             "</channel></rss>").encode("latin-1")
    reply = await send(api, "POST", "/api/imports?kind=feed", latin, {},
                       content_type="application/rss+xml; charset=ISO-8859-1")
    assert reply.status == 201, reply.text
    await until(api.feed_titles, lambda titles: titles is not None and "Café crème" in titles)
    reply = await send(api, "POST", "/api/imports?kind=feed", rss, {},
                       content_type="image/png")
    assert reply.status == 415 and "application/octet-stream" in reply.headers["Accept-Post"]


# -- OPTIONS and CORS -----------------------------------------------------------------------


async def test_options_says_what_a_path_takes_without_a_token(api: Api) -> None:
    reply = await api.call("OPTIONS", "/api/posts", auth=False, expect=204)
    assert reply.headers["Allow"] == "GET,HEAD,OPTIONS,POST"
    assert reply.headers["Accept-Post"] == "application/json"
    reply = await api.call("OPTIONS", "/api/posts/1", auth=False, expect=204)
    assert reply.headers["Allow"] == "DELETE,GET,HEAD,OPTIONS,PATCH"
    assert reply.headers["Accept-Patch"] == "application/json"
    reply = await api.call("OPTIONS", "/api/posts/bulk", auth=False, expect=204)
    assert reply.headers["Allow"] == "OPTIONS,POST"
    # A path no route has is a 404, token or not (a preflight carries none), as for GET.
    assert (await api.call("OPTIONS", "/api/nothing", auth=False)).status == 404
    assert (await api.call("OPTIONS", "/api/posts/", auth=False)).status == 404
    assert (await api.call("OPTIONS", "/api/nothing")).status == 404


async def test_a_browser_page_of_another_origin_may_call_the_api_with_its_token(
    api: Api,
) -> None:
    preflight = await api.call("OPTIONS", "/api/posts", auth=False, expect=204, headers={
        "Origin": "https://editor.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"].split(",")
    allowed = {h.strip().lower()
               for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "if-match"} <= allowed
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    made = await api.post("/api/posts", {"title": "From a browser"},
                          headers={"Origin": "https://editor.example"}, expect=201)
    assert made.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in made.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Location", "Idempotent-Replayed"} <= exposed
    # Errors too, so the script can read the problem.
    refused = await api.get("/api/posts", auth=False, headers={"Origin": "https://x.example"})
    assert refused.status == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
    # Feeds and pages expose their own few (tests/server/test_feeds_cors.py).
    feed = await api.feed()
    assert feed.headers["Access-Control-Expose-Headers"] == "ETag, Last-Modified, Link"


# -- idempotent creates ---------------------------------------------------------------------


async def test_a_replayed_create_says_where_the_post_or_comment_is(api: Api) -> None:
    key = {"Idempotency-Key": "replay-location"}
    first = await api.post("/api/posts", {"title": "Once"}, headers=key, expect=201)
    again = await api.post("/api/posts", {"title": "Once"}, headers=key, expect=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == (
        f"/api/posts/{first.json['id']}")
    path = f"/api/posts/{first.json['id']}/comments"
    body = {"author": "Ann", "content_html": "<p>Hi</p>"}
    first = await api.post(path, body, headers={"Idempotency-Key": "c"}, expect=201)
    again = await api.post(path, body, headers={"Idempotency-Key": "c"}, expect=201)
    assert again.headers["Location"] == first.headers["Location"] == (
        f"/api/comments/{first.json['id']}")


async def test_the_same_json_spelt_otherwise_is_the_same_request(api: Api) -> None:
    body = {"title": "Idem post", "content_html": "<p>i</p>", "labels": ["a", "b"]}
    key = {"Idempotency-Key": "respelt"}
    first = await api.post("/api/posts", body, headers=key, expect=201)
    respelt = json.dumps(dict(reversed(body.items())), indent=2).encode()
    again = await send(api, "POST", "/api/posts", respelt, key)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    # Another document (label order is meaningful) is another request.
    other = await api.post("/api/posts", {**body, "labels": ["b", "a"]}, headers=key,
                           expect=400)
    assert other.field == "Idempotency-Key"
    assert (await api.get("/api/posts")).json["total"] == 1
    # NDJSON is compared line by line.
    lines = [{"title": "N1", "entry_id": "urn:n:1"}, {"entry_id": "urn:n:2", "title": "N2"}]
    nd_key = {"Idempotency-Key": "ndjson"}
    sent = "\n".join(json.dumps(x) for x in lines).encode()
    assert (await send(api, "POST", "/api/posts/bulk", sent, nd_key,
                       content_type="application/x-ndjson")).status == 200
    respelt = "\r\n\n".join(json.dumps(x, indent=None, separators=(" , ", " : "),
                                       sort_keys=True) for x in lines).encode()
    again = await send(api, "POST", "/api/posts/bulk", respelt, nd_key,
                       content_type="application/x-ndjson")
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"


# -- routing --------------------------------------------------------------------------------


async def test_posts_bulk_is_for_posting_posts_only_and_a_post_so_slugged_is_reached_by_id(
    api: Api,
) -> None:
    post = await api.create_post(title="Bulk", slug="bulk")
    assert post["slug"] == "bulk"
    for method in ("GET", "PATCH", "DELETE"):
        reply = await api.call(method, "/api/posts/bulk", {"title": "x"})
        assert reply.status == 405 and reply.headers["Allow"] == "OPTIONS,POST", method
    assert (await api.get("/api/posts/bulk/comments")).status == 404
    assert (await api.get(f"/api/posts/{post['id']}", expect=200)).json["slug"] == "bulk"
    await api.patch(f"/api/posts/{post['id']}", {"title": "Still bulk"}, expect=200)


async def test_a_trailing_slash_is_a_404_whatever_the_method(api: Api) -> None:
    for method, path in (("GET", "/api/posts/"), ("POST", "/api/posts/"),
                         ("DELETE", "/api/labels/"), ("GET", "/api/"), ("POST", "/api")):
        reply = await api.call(method, path, {"title": "x"} if method == "POST" else None)
        assert reply.status == 404 and "Allow" not in reply.headers, (method, path)
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_the_openapi_document_is_read_only_and_says_so(api: Api) -> None:
    reply = await api.post("/api/openapi.json", {}, auth=False)
    assert reply.status == 405 and reply.headers["Allow"] == "GET,HEAD,OPTIONS"


# -- 412 and 413 ----------------------------------------------------------------------------


async def test_a_412_carries_the_etag_of_the_current_version(api: Api) -> None:
    made = await api.post("/api/posts", {"title": "v1"}, expect=201)
    old = made.headers["ETag"]
    await api.patch(f"/api/posts/{made.json['id']}", {"title": "v2"}, expect=200)
    current = (await api.get(f"/api/posts/{made.json['id']}")).headers["ETag"]
    refused = await api.patch(f"/api/posts/{made.json['id']}", {"title": "v3"},
                              headers={"If-Match": old}, expect=412)
    assert refused.headers["ETag"] == current != old
    again = await api.patch(f"/api/posts/{made.json['id']}", {"title": "v3"},
                            headers={"If-Match": refused.headers["ETag"]}, expect=200)
    assert again.json["title"] == "v3"


# -- the document says all this -------------------------------------------------------------


def _ops() -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in PATHS.items() for m, op in ops.items()]


async def test_the_document_states_what_the_server_enforces(api: Api) -> None:
    posts = {p["name"]: p["schema"] for p in PATHS["/api/posts"]["get"]["parameters"]}
    assert posts["status"]["enum"] == ["draft", "scheduled", "published", "deleted"]
    assert posts["offset"]["maximum"] == 10**12
    comments = {p["name"]: p["schema"] for p in PATHS["/api/comments"]["get"]["parameters"]}
    assert comments["status"]["enum"] == ["pending", "approved", "spam"]
    for path, method, op in _ops():
        if "requestBody" in op:
            assert "415" in op["responses"], (method, path)
        if "201" in op["responses"]:
            assert "Location" in op["responses"]["201"]["headers"], (method, path)
    # Every 201 does send one, a label's included.
    post = await api.create_post()
    label = await api.post("/api/labels", {"name": "a/b é", "posts": [post["id"]]},
                           expect=201)
    assert label.headers["Location"] == "/api/labels/a%2Fb%20%C3%A9"
    assert (await api.get(label.headers["Location"], expect=200)).json["name"] == "a/b é"
