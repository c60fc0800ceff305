"""POST /api/posts/bulk: many posts in one request (JSON array or NDJSON), each item's outcome
listed, bad items not sinking the others, retries adding nothing, and the feeds rendered once
after the last batch, not once per batch."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.server.api_conftest import Api, entries, until

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
NDJSON = {"Content-Type": "application/x-ndjson"}


def item(i: int, **extra: Any) -> dict[str, Any]:
    return {"title": f"Bulk post {i}", "content_html": f"<p>Number {i}.</p>",
            "published": (START + timedelta(minutes=i)).isoformat(),
            "labels": [f"group-{i % 5}"], **extra}


async def test_each_item_has_its_outcome_and_a_bad_one_sinks_nothing(api: Api) -> None:
    body = [item(0), item(1, entry_id="urn:bulk:1"), {"content_html": "<p>no title</p>"},
            item(3, colour="red"), item(4, published="whenever"), 7, item(6, status="draft"),
            item(7, authors=[{"name": ""}]), item(8, entry_id="urn:bulk:1")]
    reply = await api.post("/api/posts/bulk", body, expect=200)
    answer = reply.json
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(body)))
    assert [r["outcome"] for r in results] == [
        "added", "added", "error", "error", "error", "error", "added", "error", "error"]
    assert answer["added"] == 3 and answer["errors"] == 6
    assert answer["updated"] == answer["unchanged"] == 0
    assert "[2].title" in results[2]["error"]
    assert [r.get("field") for r in results[2:6]] == [
        "[2].title", "[3].colour", "[4].published", "[5]"]  # no text to parse
    assert "[3].colour" in results[3]["error"] and "unknown field" in results[3]["error"]
    assert "[4].published" in results[4]["error"]
    assert results[5]["error"].startswith("[5]:")
    assert "authors[0].name" in results[7]["error"]
    assert "[8].entry_id: another item of this request" in results[8]["error"]
    by_id = {r["id"]: r["index"] for r in results if r["outcome"] == "added"}
    for post_id, index in by_id.items():
        post = (await api.get(f"/api/posts/{post_id}", expect=200)).json
        assert post["title"] == body[index]["title"]
    assert (await api.get("/api/posts/urn%3Abulk%3A1")).json["title"] == "Bulk post 1"
    listed = (await api.get("/api/posts")).json
    assert listed["total"] == 3
    drafts = (await api.get("/api/posts?status=draft")).json["items"]
    assert [p["title"] for p in drafts] == ["Bulk post 6"]
    await until(api.feed_titles, lambda t: t == ["Bulk post 1", "Bulk post 0"])


async def test_ndjson_bodies_are_read_a_line_at_a_time(api: Api) -> None:
    lines = [json.dumps(item(0)), "", json.dumps(item(1)), "{not json", json.dumps({"x": 1}),
             json.dumps(item(2))]
    reply = await api.post("/api/posts/bulk", data="\n".join(lines) + "\n",
                           headers=NDJSON, expect=200)
    results = reply.json["results"]
    assert [r["outcome"] for r in results] == ["added", "added", "error", "error", "added"]
    assert "line 4" in results[2]["error"] and "not JSON" in results[2]["error"]
    assert "[3].x" in results[3]["error"]
    assert reply.json["added"] == 3
    # NDJSON with a charset parameter, and with CRLF line ends, is NDJSON too.
    crlf = "\r\n".join(json.dumps(item(i)) for i in (3, 4))
    reply = await api.post("/api/posts/bulk", data=crlf, expect=200,
                           headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    assert reply.json["added"] == 2


async def test_bodies_that_are_no_list_of_posts_are_refused(api: Api) -> None:
    for body in ({"title": "x"}, "posts", None):
        assert (await api.post("/api/posts/bulk", body, expect=400)).field == "body"
    for raw in (b"[", b"\xff", b""):
        reply = await api.post("/api/posts/bulk", data=raw, expect=400,
                               headers={"Content-Type": "application/json"})
        assert reply.field == "body"
    empty = await api.post("/api/posts/bulk", [], expect=200)
    assert empty.json == {"results": [], "added": 0, "updated": 0, "unchanged": 0,
                          "errors": 0}
    assert (await api.post("/api/posts/bulk", data=b"", headers=NDJSON, expect=200)
            ).json["results"] == []


async def test_more_than_bulk_max_items_is_a_400_and_stores_nothing(
    make_api: Callable[..., Awaitable[Api]],
) -> None:
    api = await make_api(api={"bulk_max_items": 3})
    reply = await api.post("/api/posts/bulk", [item(i) for i in range(4)], expect=400)
    assert reply.field == "body" and "at most 3" in reply.json["detail"]
    ndjson = "\n".join(json.dumps(item(i)) for i in range(4))
    await api.post("/api/posts/bulk", data=ndjson, headers=NDJSON, expect=400)
    assert (await api.get("/api/posts")).json["total"] == 0
    assert (await api.post("/api/posts/bulk", [item(i) for i in range(3)], expect=200)
            ).json["added"] == 3


async def test_a_retried_bulk_adds_nothing_and_changes_update(api: Api) -> None:
    body = [item(0, entry_id="urn:r:0"), item(1, entry_id="urn:r:1"), item(2)]
    first = (await api.post("/api/posts/bulk", body, expect=200)).json
    assert first["added"] == 3
    again = (await api.post("/api/posts/bulk", body, expect=200)).json
    assert [r["outcome"] for r in again["results"]] == ["unchanged"] * 3
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    body[1] = {**body[1], "title": "Bulk post 1, corrected"}
    third = (await api.post("/api/posts/bulk", body, expect=200)).json
    assert [r["outcome"] for r in third["results"]] == ["unchanged", "updated", "unchanged"]
    assert (await api.get("/api/posts")).json["total"] == 3
    assert (await api.get("/api/posts/urn%3Ar%3A1")).json["title"] == "Bulk post 1, corrected"
    # A post deleted through the API is not brought back by a retry.
    await api.delete(f"/api/posts/{first['results'][0]['id']}", expect=204)
    fourth = (await api.post("/api/posts/bulk", body, expect=200)).json
    assert fourth["results"][0]["outcome"] == "error"
    assert "deleted" in fourth["results"][0]["error"]
    assert (await api.get("/api/posts")).json["total"] == 2


async def test_an_idempotency_key_replays_the_bulk_answer(api: Api) -> None:
    body = [item(0), item(1)]
    key = {"Idempotency-Key": "bulk-1"}
    first = await api.post("/api/posts/bulk", body, headers=key, expect=200)
    again = await api.post("/api/posts/bulk", body, headers=key, expect=200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    other = await api.post("/api/posts/bulk", [item(2)], headers=key, expect=400)
    assert other.field == "Idempotency-Key"
    assert (await api.get("/api/posts")).json["total"] == 2


async def test_the_same_title_twice_in_one_bulk_makes_two_posts(api: Api) -> None:
    same = {"title": "Weekly notes", "content_html": "<p>a</p>"}
    reply = (await api.post("/api/posts/bulk", [same, {**same, "content_html": "<p>b</p>"}],
                            expect=200)).json
    assert [r["outcome"] for r in reply["results"]] == ["added", "added"]
    slugs = {p["slug"] for p in (await api.get("/api/posts")).json["items"]}
    assert slugs == {"weekly-notes", "weekly-notes-2"}
    # Retried: still two.
    again = (await api.post("/api/posts/bulk", [same, {**same, "content_html": "<p>b</p>"}],
                            expect=200)).json
    assert [r["outcome"] for r in again["results"]] == ["unchanged", "unchanged"]


async def test_ten_thousand_posts_in_one_request_render_each_feed_once(api: Api) -> None:
    await api.create_post(title="Before the bulk", published="2025-01-01T00:00:00Z")
    await until(api.feed_titles, lambda t: t == ["Before the bulk"])
    rendered_before = api.publisher.documents_rendered
    body = json.dumps([item(i) for i in range(10_000)])
    started = time.monotonic()
    reply = await api.post("/api/posts/bulk", data=body, expect=200,
                           headers={"Content-Type": "application/json"})
    took = time.monotonic() - started
    answer = reply.json
    assert answer["added"] == 10_000 and answer["errors"] == 0
    assert len({r["id"] for r in answer["results"]}) == 10_000
    titles = await until(api.feed_titles,
                         lambda t: t is not None and t[:1] == ["Bulk post 9999"])
    assert titles == [f"Bulk post {i}" for i in range(9999, 9974, -1)]
    label = await until(lambda: api.feed_titles("/feeds/posts/default/-/group-3"),
                        lambda t: t is not None and len(t) == 25)
    assert label is not None and label[0] == "Bulk post 9998"
    listed = (await api.get("/api/posts?limit=1")).json
    assert listed["total"] == 10_001
    # The site feeds (3 projections) and 5 label feeds, in 3 formats: rendered once each,
    # after the last batch, not once per batch of 500 (new posts leave comment feeds be).
    async def renders() -> int:
        return api.publisher.documents_rendered - rendered_before

    await until(renders, lambda n: n >= 3 * 8)
    await asyncio.sleep(0.5)  # time for any second rendering to show
    rendered = api.publisher.documents_rendered - rendered_before
    assert 3 * 8 <= rendered <= 3 * 8 * 2, rendered
    feed = await api.feed("/feeds/posts/default?max-results=500")
    assert len(entries(feed.text)) == 500
    assert took < 60, f"10,000 posts took {took:.1f}s"
