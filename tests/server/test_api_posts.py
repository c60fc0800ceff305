"""/api/posts stories: create (published, draft, scheduled), read, list, change, delete,
Idempotency-Key, and bad input answered 400/413 naming the field (never a 500)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from sqlalchemy.engine import make_url

from feeds.store import engine
from tests.server.api_conftest import Api, until

LATER = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


async def test_a_post_is_created_read_back_and_shows_in_the_feed(api: Api) -> None:
    reply = await api.post("/api/posts", {
        "title": "Hello world", "content_html": "<p>Hi<script>alert(1)</script></p>",
        "labels": ["news", "news", "meta"], "authors": [{"name": "Ann", "uri": None}],
        "enclosures": [{"url": "http://blog.test/a.mp3", "type": "audio/mpeg",
                        "length": 10}]}, expect=201)
    post = reply.json
    assert reply.headers["Location"] == f"/api/posts/{post['id']}"
    assert reply.headers["Content-Type"].startswith("application/json")
    assert post["title"] == "Hello world" and post["status"] == "published"
    assert post["slug"] == "hello-world" and post["publish_at"] is None
    assert post["published"] == "2026-11-24T12:00:00Z"
    assert post["url"] == "http://blog.test/2026/11/hello-world.html"
    assert post["entry_id"].startswith("tag:localhost,2026-11-24:")
    assert "<script>" not in post["content_html"] and "Hi" in post["content_html"]
    assert post["labels"] == ["news", "meta"]
    assert post["authors"] == [{"name": "Ann", "uri": None, "email": None,
                                "feed": "http://blog.test/feeds/authors/ann/default"}]
    assert post["enclosures"][0]["type"] == "audio/mpeg"
    assert post["comment_count"] == 0 and post["version"] == 1
    assert (await api.get(reply.headers["Location"], expect=200)).json == post
    await until(api.feed_titles, lambda titles: titles is not None and "Hello world" in titles)
    await until(lambda: api.feed_titles("/feeds/posts/default/-/news"),
                lambda titles: titles == ["Hello world"])


async def test_drafts_stay_out_of_the_feeds_and_scheduled_posts_come_out_on_time(
    api: Api,
) -> None:
    draft = await api.create_post(title="Not yet", status="draft")
    assert draft["status"] == "draft"
    scheduled = await api.create_post(title="Tomorrow morning",
                                      publish_at="2026-11-25T09:00:00Z")
    assert scheduled["status"] == "scheduled"
    assert scheduled["publish_at"] == scheduled["published"] == "2026-11-25T09:00:00Z"
    await api.create_post(title="Out now")
    titles = await until(api.feed_titles, lambda t: t is not None and "Out now" in t)
    assert titles == ["Out now"]
    api.clock.set(LATER.replace(second=1))
    titles = await until(api.feed_titles, lambda t: t is not None and len(t) == 2)
    assert titles == ["Tomorrow morning", "Out now"]
    # The store still calls it scheduled; its time has come, so readers see it.
    shown = (await api.get(f"/api/posts/{scheduled['id']}")).json
    assert shown["published"] == "2026-11-25T09:00:00Z"
    # A publish_at already past publishes at once; "scheduled" needs a publish_at.
    past = await api.create_post(title="Backdated", publish_at="2026-01-01T00:00:00Z")
    assert past["status"] == "published"
    reply = await api.post("/api/posts", {"title": "When?", "status": "scheduled"},
                           expect=400)
    assert reply.field == "publish_at"


async def test_a_post_is_found_by_id_slug_or_entry_id(api: Api) -> None:
    post = await api.create_post(title="Find me", slug="custom-slug")
    assert post["slug"] == "custom-slug"
    for ref in (str(post["id"]), "custom-slug", quote(post["entry_id"], safe="")):
        assert (await api.get(f"/api/posts/{ref}", expect=200)).json["id"] == post["id"]
    for missing in ("999999", "no-such-slug", "99999999999999999999999", "%C2%B2"):
        reply = await api.get(f"/api/posts/{missing}", expect=404)
        assert "no post" in reply.json["detail"]


async def test_posts_are_listed_a_page_at_a_time_newest_first_with_filters(api: Api) -> None:
    ids = []
    for day in range(1, 8):
        post = await api.create_post(
            title=f"Day {day}", published=f"2026-11-{day:02d}T10:00:00Z",
            labels=["odd"] if day % 2 else ["even"], status="draft" if day == 7 else "published")
        ids.append(post["id"])
    first = (await api.get("/api/posts?limit=3", expect=200)).json
    assert first["total"] == 7 and [p["title"] for p in first["items"]] == [
        "Day 7", "Day 6", "Day 5"]
    seen, url = [], "/api/posts?limit=3"
    while url:
        page = (await api.get(url, expect=200)).json
        seen += [p["id"] for p in page["items"]]
        url = page["next"]
    assert seen == ids[::-1]
    assert (await api.get("/api/posts")).json["next"] is None  # page_size is 50
    drafts = (await api.get("/api/posts?status=draft")).json
    assert drafts["total"] == 1 and drafts["items"][0]["title"] == "Day 7"
    odd = (await api.get("/api/posts?label=odd&limit=2")).json
    assert odd["total"] == 4 and odd["next"] == "/api/posts?label=odd&limit=2&offset=2"
    assert {p["title"] for p in odd["items"]} == {"Day 7", "Day 5"}
    assert (await api.get("/api/posts?label=none")).json == {
        "items": [], "total": 0, "next": None}
    beyond = (await api.get("/api/posts?offset=100")).json
    assert beyond["items"] == [] and beyond["total"] == 7
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"),
                         ("offset=-1", "offset"), ("status=gone", "status")):
        assert (await api.get(f"/api/posts?{query}", expect=400)).field == field


async def test_patch_changes_only_what_it_names_and_publishes_drafts(api: Api) -> None:
    post = await api.create_post(title="First title", content_html="<p>Body stays.</p>",
                                 labels=["keep"], authors=[{"name": "Ann"}])
    changed = (await api.patch(f"/api/posts/{post['id']}", {"title": "Second title"},
                               expect=200)).json
    assert changed["title"] == "Second title"
    for kept in ("content_html", "labels", "authors", "entry_id", "slug", "published"):
        assert changed[kept] == post[kept], kept
    assert changed["version"] == post["version"] + 1
    await until(api.feed_titles, lambda t: t == ["Second title"])

    draft = await api.create_post(title="Work in progress", status="draft")
    api.clock.advance(hours=2)
    published = (await api.patch(f"/api/posts/{draft['id']}", {"status": "published"},
                                 expect=200)).json
    assert published["status"] == "published"
    assert published["published"] == "2026-11-24T14:00:00Z"
    await until(api.feed_titles, lambda t: t == ["Work in progress", "Second title"])
    # Back to draft: out of the feed again.
    await api.patch(f"/api/posts/{draft['id']}", {"status": "draft"}, expect=200)
    await until(api.feed_titles, lambda t: t == ["Second title"])
    reply = await api.patch(f"/api/posts/{post['id']}", {"title": ""}, expect=400)
    assert reply.field == "title"
    await api.patch("/api/posts/424242", {"title": "x"}, expect=404)


async def test_a_draft_given_a_date_keeps_it_when_published_and_one_given_none_is_dated_then(
    api: Api,
) -> None:
    dated = await api.create_post(title="Written in spring", status="draft",
                                  published="2026-04-01T08:00:00Z")
    undated = await api.create_post(title="Written now", status="draft")
    api.clock.advance(hours=3)
    for draft in (dated, undated):  # edited meanwhile: still its date, or still none
        await api.patch(f"/api/posts/{draft['id']}", {"title": draft["title"] + "!"}, expect=200)
    api.clock.advance(hours=1)

    went_out = [(await api.patch(f"/api/posts/{d['id']}", {"status": "published"},
                                 expect=200)).json for d in (dated, undated)]
    assert went_out[0]["published"] == "2026-04-01T08:00:00Z"  # the author's date
    assert went_out[1]["published"] == "2026-11-24T16:00:00Z"  # when it went out
    assert went_out[0]["url"].endswith("/2026/04/written-in-spring.html")


async def moved_to(api: Api, path: str) -> tuple[int, str | None]:
    async with api.client.get(path, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location")


async def test_a_post_whose_date_or_slug_changes_answers_its_old_urls_with_a_301(api: Api) -> None:
    post = await api.create_post(title="Compost notes", published="2026-11-03T10:00:00Z")
    first = "/2026/11/compost-notes.html"
    assert await moved_to(api, first) == (200, None)

    await api.patch(f"/api/posts/{post['id']}", {"published": "2026-10-15T12:00:00Z"},
                    expect=200)
    assert await moved_to(api, first) == (301, "http://blog.test/2026/10/compost-notes.html")
    await api.patch(f"/api/posts/{post['id']}", {"slug": "compost"}, expect=200)
    await api.patch(f"/api/posts/{post['id']}", {"slug": "compost-heap"}, expect=200)
    now_at = "http://blog.test/2026/10/compost-heap.html"
    for old in (first, "/2026/10/compost-notes.html", "/2026/10/compost.html"):
        assert await moved_to(api, old) == (301, now_at), old
    assert await moved_to(api, "/2026/10/compost-heap.html") == (200, None)

    # A new post may take a slug back: its own URL is its own.
    await api.create_post(title="Compost", slug="compost", published="2026-10-20T10:00:00Z")
    assert await moved_to(api, "/2026/10/compost.html") == (200, None)
    # A draft has no URL, old or new; a deleted post neither.
    await api.patch(f"/api/posts/{post['id']}", {"status": "draft"}, expect=200)
    assert (await moved_to(api, first))[0] == 404
    assert (await moved_to(api, "/2026/10/compost-heap.html"))[0] == 404


async def test_a_deleted_post_leaves_the_feed_and_the_api(api: Api) -> None:
    keep = await api.create_post(title="Stays")
    gone = await api.create_post(title="Goes away", labels=["doomed"])
    await until(api.feed_titles, lambda t: t == ["Goes away", "Stays"])
    reply = await api.delete(f"/api/posts/{gone['id']}", expect=204)
    assert reply.text == ""
    await until(api.feed_titles, lambda t: t == ["Stays"])
    await until(lambda: api.feed_titles("/feeds/posts/default/-/doomed"), lambda t: t is None)
    for ref in (str(gone["id"]), gone["slug"]):
        # What `?status=deleted` lists can be read, as it is: not changed.
        shown = (await api.get(f"/api/posts/{ref}", expect=200)).json
        assert shown["id"] == gone["id"] and shown["status"] == "deleted"
        refused = await api.patch(f"/api/posts/{ref}", {"title": "Back?"}, expect=404)
        assert "is deleted" in refused.json["detail"]
        await api.delete(f"/api/posts/{ref}", expect=404)
        await api.post(f"/api/posts/{ref}/comments", {"author": "a", "content_html": "hi"},
                       expect=404)
    assert (await api.get("/api/posts")).json["total"] == 1
    tombstones = (await api.get("/api/posts?status=deleted")).json
    assert [p["id"] for p in tombstones["items"]] == [gone["id"]]
    # Its entry id and slug stay its own, and a create is told whose they are.
    for field, body in (("entry_id", {"title": "Other", "entry_id": gone["entry_id"]}),
                        ("slug", {"title": "Other", "slug": gone["slug"]})):
        refused = await api.post("/api/posts", body, expect=400)
        assert refused.field == field and "a deleted post has it" in refused.json["detail"]
    assert (await api.get(f"/api/posts/{keep['id']}", expect=200)).json["title"] == "Stays"


async def test_an_idempotency_key_makes_a_retried_create_return_the_same_post(
    api: Api,
) -> None:
    body = {"title": "Exactly once", "content_html": "<p>x</p>"}
    key = {"Idempotency-Key": "create-42"}
    first = await api.post("/api/posts", body, headers=key, expect=201)
    assert "Idempotent-Replayed" not in first.headers
    again = await api.post("/api/posts", body, headers=key, expect=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert (await api.get("/api/posts")).json["total"] == 1
    other = await api.post("/api/posts", {**body, "title": "Something else"}, headers=key,
                           expect=400)
    assert other.field == "Idempotency-Key"
    # The same key on another site is another request, not a replay.
    elsewhere = await api.post("/api/posts?site=localhost", body, headers=key, expect=400)
    assert elsewhere.field == "Idempotency-Key"
    # Without a key, the same body is a second post (with the next free slug).
    plain = await api.post("/api/posts", body, expect=201)
    assert plain.json["slug"] == "exactly-once-2"
    for bad in ("", "k" * 256):
        reply = await api.post("/api/posts", body, headers={"Idempotency-Key": bad},
                               expect=400)
        assert reply.field == "Idempotency-Key"


async def test_concurrent_requests_with_the_same_key_make_one_post(api: Api) -> None:
    body = {"title": "Raced", "content_html": "<p>x</p>"}
    replies = await asyncio.gather(*[
        api.post("/api/posts", body, headers={"Idempotency-Key": "race"}) for _ in range(6)])
    assert {r.status for r in replies} == {201}
    assert len({r.json["id"] for r in replies}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in replies) == 5
    assert (await api.get("/api/posts")).json["total"] == 1


async def test_a_writer_names_a_posts_authors_by_name_alone_on_create_patch_and_bulk(
    api: Api,
) -> None:
    """docs/publishing.md: authors are `{name, uri, email}`, or names. "Marco Rossi" is
    {"name": "Marco Rossi"}: the same author, the same feed."""
    post = await api.create_post(title="Risotto", authors=["Marco Rossi"])
    feed = "http://blog.test/feeds/authors/marco-rossi/default"
    assert post["authors"] == [{"name": "Marco Rossi", "uri": None, "email": None,
                                "feed": feed}]

    changed = (await api.patch(f"/api/posts/{post['id']}", {"authors": [
        "Marco Rossi", {"name": "Giulia Bianchi", "uri": "https://giulia.example/"}]},
        expect=200)).json
    assert [(a["name"], a["uri"], a["feed"]) for a in changed["authors"]] == [
        ("Marco Rossi", None, feed),
        ("Giulia Bianchi", "https://giulia.example/",
         "http://blog.test/feeds/authors/giulia-bianchi/default")]

    bulk = (await api.post("/api/posts/bulk", [
        {"title": "Polenta", "authors": ["Marco Rossi"]},
        {"title": "Nameless", "authors": [""]},
    ], expect=200)).json
    assert [r["outcome"] for r in bulk["results"]] == ["added", "error"]
    assert bulk["results"][1]["field"] == "[1].authors[0]"
    polenta = (await api.get(f"/api/posts/{bulk['results'][0]['id']}", expect=200)).json
    assert [a["feed"] for a in polenta["authors"]] == [feed]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x", "colour": "red"}, "colour"),
    ({"title": "x", "Title": "y"}, "Title"),
    ({"title": 5}, "title"),
    ({"title": "x", "labels": "news"}, "labels"),
    ({"title": "x", "labels": ["ok", 3]}, "labels[1]"),
    ({"title": "x", "authors": [{"name": 3}]}, "authors[0].name"),
    ({"title": "x", "authors": [{"name": "A", "url": "u"}]}, "authors[0].url"),
    ({"title": "x", "authors": [""]}, "authors[0]"),
    ({"title": "x", "authors": [7]}, "authors[0]"),
    ({"title": "x", "enclosures": [{"length": 3}]}, "enclosures[0].url"),
    ({"title": "x", "status": "deleted"}, "status"),
    ({"content_html": "<p>no title</p>"}, "title"),
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x", "published": "not a date"}, "published"),
    ({"title": "x", "published": "2026-13-45T00:00:00Z"}, "published"),
    ({"title": "x", "publish_at": "tomorrow-ish"}, "publish_at"),
    ({"title": "x", "updated": 20261124}, "updated"),
    ({"title": "x", "published": "0001-01-01T00:00:00+01:00"}, "published"),
    ({"title": "x", "entry_id": ""}, "entry_id"),
    ([{"title": "x"}], "body"),
    ("title", "body"),
    (None, "body"),
])
async def test_bad_input_is_a_400_naming_the_field(api: Api, body: object, field: str) -> None:
    reply = await api.post("/api/posts", body, expect=400)
    assert reply.field == field, reply.json
    assert field.split("[")[0].split(".")[0] in reply.json["detail"]
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_bodies_that_are_not_json_or_too_big_are_refused(
    make_api: Callable[..., Awaitable[Api]],
) -> None:
    api = await make_api(api={"max_body_bytes": 2048})
    for raw in (b"{", b'{"title": "x",}', b"\xff\xfe{}", b"", b"NaN"):
        reply = await api.post("/api/posts", data=raw,
                               headers={"Content-Type": "application/json"}, expect=400)
        assert reply.field == "body", raw
    big = {"title": "Too big", "content_html": "x" * 4000}
    reply = await api.post("/api/posts", big, expect=413)
    assert reply.json["status"] == 413
    # Just under the limit is fine.
    fits = await api.create_post(title="Fits", content_html="x" * 1800)
    await api.patch(f"/api/posts/{fits['id']}", big, expect=413)
    await api.post("/api/posts/bulk", [big], expect=413)
    assert (await api.get("/api/posts")).json["items"] == [fits]


async def test_a_slug_another_post_has_is_a_400_naming_slug(api: Api) -> None:
    await api.create_post(title="One", slug="taken")
    reply = await api.post("/api/posts", {"title": "Two", "slug": "taken"}, expect=400)
    assert reply.field == "slug"
    two = await api.create_post(title="Two")
    reply = await api.patch(f"/api/posts/{two['id']}", {"slug": "taken"}, expect=400)
    assert reply.field == "slug"
    entry = await api.post("/api/posts", {"title": "Three", "entry_id": "urn:x:1"},
                           expect=201)
    reply = await api.post("/api/posts", {"title": "Four", "entry_id": "urn:x:1"},
                           expect=400)
    assert reply.field == "entry_id" and entry.json["entry_id"] == "urn:x:1"


async def test_patch_keeps_a_written_summary_and_reschedules(api: Api) -> None:
    own = await api.create_post(title="Own words", content_html="<p>Long body.</p>",
                                summary="Written by hand")
    retitled = (await api.patch(f"/api/posts/{own['id']}", {"title": "New words"})).json
    assert retitled["summary"] == "Written by hand"
    derived = await api.create_post(title="Derived", content_html="<p>First body.</p>")
    assert derived["summary"] == "First body."
    edited = (await api.patch(f"/api/posts/{derived['id']}",
                              {"content_html": "<p>Second body.</p>"})).json
    assert edited["summary"] == "Second body."

    later = await api.create_post(title="Later", publish_at="2026-12-01T00:00:00Z")
    moved = (await api.patch(f"/api/posts/{later['id']}",
                             {"published": "2026-12-02T00:00:00Z"})).json
    assert moved["status"] == "scheduled" and moved["publish_at"] == "2026-12-02T00:00:00Z"
    now = (await api.patch(f"/api/posts/{later['id']}", {"status": "published"})).json
    assert now["status"] == "published" and now["published"] == "2026-11-24T12:00:00Z"
    await until(api.feed_titles, lambda t: t is not None and "Later" in t)


async def test_unknown_query_parameters_are_400s_naming_them(api: Api) -> None:
    await api.create_post(title="Published")
    reply = await api.get("/api/posts?stauts=draft", expect=400)
    assert reply.field == "stauts" and "unknown query parameter" in reply.json["detail"]
    assert (await api.get("/api/comments?post=1", expect=400)).field == "post"
    assert (await api.post("/api/posts?draft=1", {"title": "x"}, expect=400)).field == "draft"
    assert (await api.get("/api/posts?site=localhost&status=published&label=x&limit=1"
                          "&offset=0", expect=200)).json["total"] == 0
    assert (await api.get("/api/posts")).json["total"] == 1


async def test_a_create_while_another_process_holds_the_store_is_a_503_to_retry(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another syndic process (the command line, a worker) stopped while it holds the
    # SQLite file's write lock: the create is refused as a retryable 503, nothing stored.
    monkeypatch.setattr(engine, "WRITE_LOCK_WAIT", 0.3)
    database = make_url(str(api.store.engine.url)).database
    other = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        # In a thread: the server's own jobs may hold it a moment, and need the loop to let go.
        await asyncio.to_thread(fcntl.flock, other, fcntl.LOCK_EX)
        reply = await api.post("/api/posts", {"title": "Blocked", "content_html": "<p>x</p>"},
                               expect=503)
        assert reply.headers["Retry-After"] == "5"
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert "another process has held its write lock" in reply.json["detail"]
    finally:
        os.close(other)
    again = await api.post("/api/posts", {"title": "Blocked", "content_html": "<p>x</p>"},
                           expect=201)
    assert again.json["slug"] == "blocked"  # the first attempt stored nothing


async def test_a_reader_of_a_query_variant_sees_an_edit_of_an_old_post(api: Api) -> None:
    # ?max-results=40 is rendered on request and kept; an edit of a post too old for any
    # stored feed (the newest 25) changes no stored feed, and used to leave it stale.
    old = await api.create_post(title="Old one", published="2020-01-01T10:00:00Z",
                                content_html="<p>First words.</p>")
    for n in range(26):
        await api.create_post(title=f"New {n}", published=f"2026-10-{n + 1:02d}T10:00:00Z")
    variant = "/feeds/posts/default?max-results=40&alt=json"
    await until(lambda: api.feed(variant), lambda r: "First words." in r.text)

    for words in ("Second words.", "Third words."):  # the second edit changed nothing stored
        await api.patch(f"/api/posts/{old['id']}", {"content_html": f"<p>{words}</p>"},
                        expect=200)
        await until(lambda: api.feed(variant), lambda r, w=words: w in r.text)
