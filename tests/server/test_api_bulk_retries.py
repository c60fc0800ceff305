"""A migration script's bulk create, retried after a timeout, and the slugs it keeps from the
old CMS: an identical retry changes nothing (not even the date of a post sent without
one), and a slug the script gives is the post's or the item's error, never quietly
another."""

from __future__ import annotations

from tests.server.api_conftest import Api


async def test_an_identical_retry_keeps_the_first_date_of_posts_sent_without_one(
        api: Api) -> None:
    # QA: the retry came back "updated", dated at the retry: the post moved in every feed.
    items = [{"title": "Retry Q", "entry_id": "urn:retry:q", "content_html": "<p>q</p>"},
             {"title": "Retry no entry id", "content_html": "<p>n</p>"},
             {"title": "Retry draft", "status": "draft"}]
    first = (await api.post("/api/posts/bulk", items, expect=200)).json
    assert [r["outcome"] for r in first["results"]] == ["added"] * 3
    before = [(await api.get(f"/api/posts/{r['id']}")).json for r in first["results"]]
    api.clock.advance(minutes=3)
    again = (await api.post("/api/posts/bulk", items, expect=200)).json
    assert [r["outcome"] for r in again["results"]] == ["unchanged"] * 3
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    after = [(await api.get(f"/api/posts/{r['id']}")).json for r in again["results"]]
    assert after == before
    # A real change is still an update, and the post still keeps its date.
    changed = (await api.post("/api/posts/bulk", [{**items[0], "content_html": "<p>q2</p>"}],
                              expect=200)).json
    assert changed["results"][0]["outcome"] == "updated"
    post = (await api.get(f"/api/posts/{first['results'][0]['id']}")).json
    assert post["published"] == before[0]["published"]
    assert post["content_html"] == "<p>q2</p>"


async def test_a_slug_the_item_gives_that_another_post_has_is_that_items_error(
        api: Api) -> None:
    # QA: dup-slug became dup-slug-2, reported "added": the links the script kept broke.
    await api.create_post(title="Dup", slug="dup-slug", published="2026-10-01T00:00:00Z")
    reply = (await api.post("/api/posts/bulk", [
        {"title": "Bulk C", "entry_id": "urn:bulk:c", "slug": "dup-slug"},
        {"title": "Bulk E", "slug": "bulk-e"},
        {"title": "Bulk F", "slug": "bulk-e"},
        {"title": "Dup"},
        {"title": "Dup"},
    ], expect=200)).json
    results = reply["results"]
    assert [r["outcome"] for r in results] == ["error", "added", "error", "added", "added"]
    assert results[0]["error"] == "[0].slug: another post already has it"
    assert results[2]["error"] == "[2].slug: another post already has it"
    slugs = [(await api.get(f"/api/posts/{results[i]['id']}")).json["slug"] for i in (1, 3, 4)]
    # A slug made from the title takes the first free "-N", as a single create's does.
    single = await api.create_post(title="Dup")
    assert slugs == ["bulk-e", "dup", "dup-2"] and single["slug"] == "dup-3"
    # The refused item can be sent again with a slug of its own.
    retry = (await api.post("/api/posts/bulk", [
        {"title": "Bulk C", "entry_id": "urn:bulk:c", "slug": "bulk-c"}], expect=200)).json
    assert retry["results"][0]["outcome"] == "added"
