"""A post's dates as a writer's client sets them (docs/publishing.md, "A post's dates"): a
date ahead is kept and the post goes out then, whatever route it takes (published, a
draft published, scheduled without publish_at); a schedule taken back is a draft without a
date again; `null` says what it does or is a 400 naming the field; and an `updated`
before `published` is refused, not quietly changed."""

from __future__ import annotations

from datetime import datetime

from tests.server.api_conftest import Api

AHEAD = "2027-06-01T10:00:00Z"
PAST = "2025-01-01T10:00:00Z"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_publishing_a_draft_dated_ahead_schedules_it_for_its_date(api: Api) -> None:
    # QA: "Publish" sent it out at once and dropped the date the author gave for next year.
    draft = await api.create_post(title="Next summer", status="draft", published=AHEAD)
    out = (await api.patch(f"/api/posts/{draft['id']}", {"status": "published"},
                           expect=200)).json
    assert out["status"] == "scheduled"
    assert out["published"] == out["publish_at"] == AHEAD
    assert out["url"].endswith("/2027/06/next-summer.html")
    # A back-dated draft keeps its date too, and goes out at once.
    old = await api.create_post(title="Long ago", status="draft", published=PAST)
    out = (await api.patch(f"/api/posts/{old['id']}", {"status": "published"},
                           expect=200)).json
    assert out["status"] == "published" and out["published"] == PAST


async def test_a_draft_dated_ahead_can_be_scheduled_without_repeating_its_date(
        api: Api) -> None:
    draft = await api.create_post(title="Planned", status="draft", published=AHEAD)
    out = (await api.patch(f"/api/posts/{draft['id']}", {"status": "scheduled"},
                           expect=200)).json
    assert out["status"] == "scheduled" and out["publish_at"] == AHEAD
    # One never given a date has none to be scheduled for.
    undated = await api.create_post(title="Someday", status="draft")
    refused = await api.patch(f"/api/posts/{undated['id']}", {"status": "scheduled"},
                              expect=400)
    assert refused.field == "publish_at"


async def test_scheduled_with_a_published_date_is_scheduled_for_it(api: Api) -> None:
    # QA: a 400 "needs publish_at", while status published with the same date scheduled it.
    post = await api.create_post(title="Either way", status="scheduled", published=AHEAD)
    assert post["status"] == "scheduled" and post["publish_at"] == AHEAD
    draft = await api.create_post(title="Later", status="draft")
    out = (await api.patch(f"/api/posts/{draft['id']}",
                           {"status": "scheduled", "published": AHEAD}, expect=200)).json
    assert out["status"] == "scheduled" and out["publish_at"] == AHEAD


async def test_publish_at_null_takes_a_post_off_its_schedule(api: Api) -> None:
    # QA: a 200 that changed nothing; the post still went out at the old time.
    written = iso(api.clock.now())
    post = await api.create_post(title="Maybe", publish_at=AHEAD)
    path = f"/api/posts/{post['id']}"
    api.clock.advance(days=1)
    off = (await api.patch(path, {"publish_at": None}, expect=200)).json
    assert off["status"] == "draft" and off["publish_at"] is None
    # A draft without a date again: its date is when it was written, and publishing it
    # later dates it then, as for a schedule taken back with status draft.
    assert off["published"] == written
    api.clock.advance(days=3)
    out = (await api.patch(path, {"status": "published"}, expect=200)).json
    assert out["status"] == "published" and out["published"] == iso(api.clock.now())


async def test_publish_at_null_with_status_scheduled_is_a_400_and_elsewhere_a_no_op(
        api: Api) -> None:
    post = await api.create_post(title="Stays", publish_at=AHEAD)
    refused = await api.patch(f"/api/posts/{post['id']}",
                              {"status": "scheduled", "publish_at": None}, expect=400)
    assert refused.field == "publish_at"
    assert (await api.get(f"/api/posts/{post['id']}")).json["publish_at"] == AHEAD
    # With a status of its own, the status says what becomes of the post: out now.
    out = (await api.patch(f"/api/posts/{post['id']}",
                           {"status": "published", "publish_at": None}, expect=200)).json
    assert out["status"] == "published" and out["published"] == iso(api.clock.now())
    # A post with no schedule has none to take off.
    plain = await api.create_post(title="Plain", published=PAST)
    same = await api.patch(f"/api/posts/{plain['id']}", {"publish_at": None}, expect=200)
    assert same.json == plain


async def test_a_post_always_has_its_dates_so_null_is_a_400_naming_the_field(
        api: Api) -> None:
    post = await api.create_post(title="Dated", published=PAST)
    for field in ("published", "updated"):
        refused = await api.patch(f"/api/posts/{post['id']}", {field: None}, expect=400)
        assert refused.field == field
    assert (await api.get(f"/api/posts/{post['id']}")).json == post


async def test_null_or_empty_slug_and_summary_are_made_again(api: Api) -> None:
    post = await api.create_post(title="Made again", slug="custom", summary="Mine.",
                                 content_html="<p>The body says this.</p>")
    path = f"/api/posts/{post['id']}"
    for empty in (None, ""):
        await api.patch(path, {"slug": "custom", "summary": "Mine."}, expect=200)
        out = (await api.patch(path, {"slug": empty, "summary": empty}, expect=200)).json
        assert out["slug"] == "made-again" and out["summary"] == "The body says this."


async def test_updated_before_published_is_a_400_naming_updated(api: Api) -> None:
    # QA: it was quietly moved to `published` (or to now, when no `published` was sent).
    refused = await api.post("/api/posts", {"title": "Odd", "published": "2026-06-01T00:00:00Z",
                                            "updated": "2020-01-01T00:00:00Z"}, expect=400)
    assert refused.field == "updated" and "2026-06-01T00:00:00Z" in refused.json["detail"]
    refused = await api.post("/api/posts", {"title": "Odd", "updated": "2020-01-01T00:00:00Z"},
                             expect=400)
    assert refused.field == "updated"
    post = await api.create_post(title="Fine", published=PAST, updated="2025-02-01T00:00:00Z")
    assert post["updated"] == "2025-02-01T00:00:00Z"
    refused = await api.patch(f"/api/posts/{post['id']}", {"updated": "2024-01-01T00:00:00Z"},
                              expect=400)
    assert refused.field == "updated"
    bulk = (await api.post("/api/posts/bulk", [
        {"title": "Odd", "published": PAST, "updated": "2024-01-01T00:00:00Z"}],
        expect=200)).json
    assert bulk["results"][0]["outcome"] == "error"
    assert "[0].updated" in bulk["results"][0]["error"]
    assert (await api.get("/api/posts")).json["total"] == 1
