"""Input that once broke things: characters XML forbids in a field that goes into the feeds
as it is (every later render of the feed failed, so no change showed again), unpaired
surrogates, control characters in lookups. Refused with a 400 naming the field, or cleaned
where the domain cleans; the feeds keep regenerating either way."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from multidict import CIMultiDict

from tests.server.api_conftest import AUTH, TOKEN, Api, until

CTRL = "a\x01b"
LONE = "x\ud800y"


async def send(api: Api, method: str, path: str, body: object) -> tuple[int, str | None]:
    reply = await api.call(method, path, data=json.dumps(body),
                           headers={"Content-Type": "application/json"})
    return reply.status, reply.field


async def feeds_still_regenerate(api: Api, host: str | None = None) -> None:
    marker = await api.create_post(title="Marker")
    await until(lambda: api.feed_titles(host=host), lambda t: t is not None and "Marker" in t)
    await api.delete(f"/api/posts/{marker['id']}", expect=204)


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "E", "entry_id": CTRL}, "entry_id"),
    ({"title": "U", "authors": [{"name": "n", "uri": CTRL}]}, "authors[0].uri"),
    ({"title": "M", "authors": [{"name": "n", "email": LONE}]}, "authors[0].email"),
    ({"title": "Enc", "enclosures": [{"url": CTRL}]}, "enclosures[0].url"),
    ({"title": "T", "enclosures": [{"url": "http://x.test/a", "type": "a\x00"}]},
     "enclosures[0].type"),
])
async def test_unclean_characters_in_verbatim_post_fields_are_refused(
    api: Api, body: dict[str, object], field: str
) -> None:
    assert await send(api, "POST", "/api/posts", body) == (400, field)
    bulk = (await api.post("/api/posts/bulk", [body], expect=200)).json
    assert bulk["results"][0]["outcome"] == "error"
    assert f"[0].{field}" in bulk["results"][0]["error"]
    post = await api.create_post(title="Fine")
    patch = {k: v for k, v in body.items() if k != "entry_id"} or {"title": "t"}
    if "entry_id" not in body:
        assert await send(api, "PATCH", f"/api/posts/{post['id']}", patch) == (400, field)
    await feeds_still_regenerate(api)


async def test_fields_the_domain_cleans_take_anything_and_come_out_clean(api: Api) -> None:
    post = await api.create_post(title=f"T{CTRL}{LONE}", summary=CTRL, labels=[CTRL],
                                 content_html=f"<p>{CTRL}{LONE}</p>", slug=CTRL,
                                 authors=[{"name": f"N{CTRL}"}])
    assert post["title"] == "Tabxy" and post["summary"] == "ab" and post["labels"] == ["ab"]
    assert post["authors"][0]["name"] == "Nab" and post["slug"] == "a-b"
    c = await api.post(f"/api/posts/{post['id']}/comments",
                       {"author": f"Bob{LONE}", "content_html": f"<p>{CTRL}</p>"}, expect=201)
    assert c.json["author"]["name"] == "Bobxy" and "\x01" not in c.json["content_html"]
    await until(api.feed_titles, lambda t: t == ["Tabxy"])
    await until(lambda: api.feed_titles("/feeds/comments/default"), lambda t: t == ["ab"])


@pytest.mark.parametrize(("body", "field"), [
    ({"author": {"name": "n", "uri": CTRL}, "content_html": "x"}, "author.uri"),
    ({"author": {"name": "n", "email": CTRL}, "content_html": "x"}, "author.email"),
    ({"author": "n", "content_html": "x", "published": f"2026-01-01{CTRL}"}, "published"),
])
async def test_unclean_comment_fields_are_refused(
    api: Api, body: dict[str, object], field: str
) -> None:
    post = await api.create_post(title="Post")
    assert await send(api, "POST", f"/api/posts/{post['id']}/comments", body) == (400, field)
    ok = await api.post(f"/api/posts/{post['id']}/comments",
                        {"author": "n", "content_html": "x"}, expect=201)
    if "author" in field:
        assert await send(api, "PATCH", f"/api/comments/{ok.json['id']}",
                          {"author": body["author"]}) == (400, field)
    await feeds_still_regenerate(api)


@pytest.mark.parametrize("field", ["title", "subtitle", "language", "base_url"])
async def test_unclean_site_fields_are_refused(api: Api, field: str) -> None:
    body = {"host": "new.test", "title": "New",
            field: "http://new.test/" + CTRL if field == "base_url" else CTRL}
    assert await send(api, "POST", "/api/sites", body) == (400, field)
    assert await send(api, "PATCH", "/api/sites/1", {field: body[field]}) == (400, field)
    await feeds_still_regenerate(api)


async def test_unpaired_surrogates_and_controls_elsewhere_are_400s(api: Api) -> None:
    assert await send(api, "POST", "/api/posts", {LONE: 1}) == (400, LONE)
    assert await send(api, "POST", "/api/labels", {"name": "n", "posts": [1], LONE: 1}
                      ) == (400, LONE)
    for path, field in (("/api/posts/a%00b", "post"), ("/api/posts/%ED%A0%80", None),
                        ("/api/posts?label=a%00b", "label"), ("/api/labels/a%01b", "label"),
                        ("/api/posts/a%00b/comments", "post"), ("/api/posts?site=%00", None)):
        reply = await api.get(path)
        assert reply.status in (400, 404), (path, reply.status)
        if field:
            assert reply.field == field, path
    await api.post("/api/posts", data=b'{"title": "x\\ud800"}', expect=201,
                   headers={"Content-Type": "application/json"})
    await api.post("/api/posts", data=b'{"title": "\xed\xa0\x80"}', expect=400,
                   headers={"Content-Type": "application/json"})
    await feeds_still_regenerate(api)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("method", "path", "content_type"), [
    ("POST", "/api/posts", "application/json"),
    ("POST", "/api/posts/bulk", "application/json"),
    ("POST", "/api/sites", "application/json"),
    ("POST", "/api/labels", "application/json"),
])
async def test_json_nested_100000_deep_is_a_400_naming_the_body(
    api: Api, method: str, path: str, content_type: str,
) -> None:
    reply = await api.call(method, path, data=DEEP, headers={"Content-Type": content_type},
                           expect=400)
    assert reply.field == "body" and "nested too deeply" in reply.json["detail"]
    lines = f'{{"title": "Fine"}}\n{DEEP}\n'
    bulk = (await api.call("POST", "/api/posts/bulk", data=lines, expect=200,
                           headers={"Content-Type": "application/x-ndjson"})).json
    assert [r["outcome"] for r in bulk["results"]] == ["added", "error"]
    assert "line 2" in bulk["results"][1]["error"]


async def test_a_parent_comment_id_past_64_bits_is_a_400_naming_it(api: Api) -> None:
    post = await api.create_post()
    for parent in (2**63, 10**23):
        reply = await api.post(f"/api/posts/{post['id']}/comments",
                               {"author": "a", "content_html": "x", "parent_id": parent},
                               expect=400)
        assert reply.field == "parent_id"


async def test_a_refusal_quotes_at_most_300_characters_of_what_was_sent(api: Api) -> None:
    reply = await api.post("/api/posts", {"title": "t" * 5000}, expect=400)
    assert reply.field == "title" and len(reply.json["detail"]) < 400


@pytest.mark.parametrize(("path", "field"), [
    ("/api/posts?label=a&label=b", "label"), ("/api/posts?limit=1&limit=2", "limit"),
    ("/api/posts?site=1&site=2", "site"), ("/api/comments?status=spam&status=pending", "status"),
    ("/api/deliveries?state=failed&state=gone", "state"),
])
async def test_a_query_parameter_given_twice_is_a_400_naming_it(
    api: Api, path: str, field: str,
) -> None:
    assert (await api.get(path, expect=400)).field == field


@pytest.mark.parametrize("path", ["/api/posts?label=", "/api/posts?label=&status=draft"])
async def test_an_empty_label_to_list_by_is_a_400_naming_it_as_the_document_says(
    api: Api, path: str,
) -> None:
    # The document says text of one character at least; an empty label was an empty page.
    await api.create_post(title="Unlabelled")
    reply = await api.get(path, expect=400)
    assert (reply.field, reply.json["detail"]) == ("label", "label: must not be empty")


async def test_two_idempotency_keys_on_one_request_are_a_400_and_create_nothing(
    api: Api,
) -> None:
    headers = CIMultiDict([*AUTH.items(), ("Content-Type", "application/json"),
                           ("Idempotency-Key", "a"), ("Idempotency-Key", "b")])
    async with api.client.post("/api/posts", data=json.dumps({"title": "Twice?"}),
                               headers=headers) as resp:
        assert resp.status == 400
        assert (await resp.json())["field"] == "Idempotency-Key"
    assert (await api.get("/api/posts")).json["total"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"host": ".."}, "host"), ({"host": "b.example:99999"}, "host"),
    ({"base_url": "http://b.example:99999999/"}, "base_url"),
    ({"base_url": "http://b.example/\n"}, "base_url"),
])
async def test_a_site_host_or_base_url_that_cannot_be_one_is_a_400_saying_why(
    api: Api, body: dict[str, str], field: str,
) -> None:
    reply = await api.patch("/api/sites/1", body, expect=400)
    assert reply.field == field and " is not " in reply.json["detail"]
    assert "^" not in reply.json["detail"]  # the form in words, not the pattern


@pytest.mark.parametrize("base_url", ["https://[87]:65062/", "http://[1.2.3.4]/",
                                      "http://[::1::2]/"])
async def test_a_base_url_whose_host_in_brackets_is_no_ipv6_address_is_a_400_naming_it(
    api: Api, base_url: str,
) -> None:
    # The schema's pattern takes hex digits, colons and dots in brackets; Python's URL
    # parser then refused them on every later read (a 500).
    reply = await api.post("/api/sites", {"host": "six.test", "title": "Six",
                                          "base_url": base_url}, expect=400)
    assert reply.field == "base_url"
    assert reply.json["detail"] == (
        f"base_url: the host in brackets must be an IPv6 address (RFC 3986 §3.2.2),"
        f" such as http://[2001:db8::1]/: {base_url!r}")
    site = (await api.post("/api/sites", {"host": "six.test", "title": "Six"},
                           expect=201)).json
    reply = await api.patch(f"/api/sites/{site['id']}", {"base_url": base_url}, expect=400)
    assert reply.field == "base_url"


async def test_a_site_on_an_ipv6_address_with_a_port_is_fine(api: Api) -> None:
    # Not the default site: its base URL is the server.public_url setting.
    site = (await api.post("/api/sites", {"host": "six.test", "title": "Six"},
                           expect=201)).json
    reply = await api.patch(f"/api/sites/{site['id']}", {"base_url": "http://[::1]:8080/blog"},
                            expect=200)
    assert reply.json["base_url"] == "http://[::1]:8080/blog"


@pytest.mark.parametrize(("body", "field"), [
    ({"author": {"name": "a", "uri": "javascript:alert(1)"}, "content_html": "x"},
     "author.uri"),
    ({"author": {"name": "a", "email": "not-an-email"}, "content_html": "x"}, "author.email"),
    ({"author": "a", "content_html": "<script>x()</script>"}, "content_html"),
])
async def test_a_comment_that_would_be_a_script_link_or_empty_is_refused(
    api: Api, body: dict[str, object], field: str,
) -> None:
    post = await api.create_post()
    reply = await api.post(f"/api/posts/{post['id']}/comments", body, expect=400)
    assert reply.field == field
    assert (await api.get(f"/api/posts/{post['id']}/comments")).json["total"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "t", "enclosures": [{"url": "not a url"}]}, "enclosures[0].url"),
    ({"title": "t", "enclosures": [{"url": "data:audio/mp3;base64,AAAA"}]},
     "enclosures[0].url"),
    ({"title": "t", "authors": [{"name": "a", "uri": "javascript:alert(1)"}]},
     "authors[0].uri"),
])
async def test_a_post_link_readers_would_follow_must_be_http(
    api: Api, body: dict[str, object], field: str,
) -> None:
    assert (await api.post("/api/posts", body, expect=400)).field == field


@pytest.mark.parametrize("feed", ["http://[87]/feeds/posts/default", "http://[::1/x"])
async def test_a_feed_to_regenerate_named_by_a_url_no_parser_reads_is_a_400_naming_it(
    api: Api, feed: str,
) -> None:
    reply = await api.post(f"/api/regenerate?feed={quote(feed, safe='')}", expect=400)
    assert (reply.field, reply.json["detail"]) == ("feed", f"feed: not a feed path: {feed!r}")


async def raw(api: Api, head: bytes, body: bytes = b"") -> tuple[int, dict[str, object]]:
    """A request written byte for byte (aiohttp's client sends text headers only): the
    status and the problem's JSON."""
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                 + body)
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


async def test_a_bearer_token_that_is_no_utf_8_is_a_401_not_a_500(api: Api) -> None:
    status, problem = await raw(api, b"GET /api/posts HTTP/1.1\r\nHost: blog.test\r\n"
                                     b"Authorization: Bearer \xff\xfe\r\n")
    assert (status, problem["detail"]) == (401, "the bearer token is not known")


async def test_an_idempotency_key_that_is_no_utf_8_is_a_400_naming_it(api: Api) -> None:
    for path, body in (("/api/posts", b'{"title": "Once"}'),
                       ("/api/sites", b'{"host": "k.test", "title": "K"}')):
        status, problem = await raw(api, (
            f"POST {path} HTTP/1.1\r\nHost: blog.test\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nIdempotency-Key: k\xff\xfe\r\n").encode("latin-1"),
            body)
        assert (status, problem["field"]) == (400, "Idempotency-Key")
        assert problem["detail"] == "Idempotency-Key: must be printable text in UTF-8"
    assert (await api.get("/api/posts")).json["total"] == 0
    assert (await api.get("/api/sites")).json["total"] == 1
