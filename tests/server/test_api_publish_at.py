"""The rule for a post's `publish_at`: it schedules the post, so it comes only with status
scheduled (or without a status, which then means scheduled); with draft or published it is
a 400 naming `publish_at`, never dropped or taken for something else. The OpenAPI document
says so."""

from __future__ import annotations

import pytest

from server.openapi import PATHS, SCHEMAS
from tests.server.api_conftest import Api

LATER = "2026-12-01T09:00:00Z"


@pytest.mark.parametrize("status", ["draft", "published"])
async def test_publish_at_with_another_status_is_a_400_naming_it(api: Api, status: str) -> None:
    reply = await api.post("/api/posts", {"title": "When?", "status": status,
                                          "publish_at": LATER}, expect=400)

    assert reply.field == "publish_at"
    assert status in reply.json["detail"]
    assert (await api.get("/api/posts")).json["total"] == 0


async def test_publish_at_with_scheduled_or_no_status_schedules_the_post(api: Api) -> None:
    explicit = await api.create_post(title="Explicit", status="scheduled", publish_at=LATER)
    implied = await api.create_post(title="Implied", publish_at=LATER)
    same = await api.create_post(title="Both", publish_at=LATER, published=LATER)

    for post in (explicit, implied, same):
        assert post["status"] == "scheduled"
        assert post["publish_at"] == post["published"] == LATER


async def test_publish_at_and_published_at_different_instants_is_a_400(api: Api) -> None:
    reply = await api.post("/api/posts", {"title": "Which?", "publish_at": LATER,
                                          "published": "2026-12-02T09:00:00Z"}, expect=400)
    assert reply.field == "published"


async def test_a_null_publish_at_goes_with_any_status(api: Api) -> None:
    draft = await api.create_post(title="Plain draft", status="draft", publish_at=None)
    assert draft["status"] == "draft" and draft["publish_at"] is None


async def test_a_patch_follows_the_same_rule(api: Api) -> None:
    draft = await api.create_post(title="Draft", status="draft")
    path = f"/api/posts/{draft['id']}"

    refused = await api.patch(path, {"status": "published", "publish_at": LATER}, expect=400)
    assert refused.field == "publish_at"
    refused = await api.patch(path, {"status": "draft", "publish_at": LATER}, expect=400)
    assert refused.field == "publish_at"
    assert (await api.get(path)).json["status"] == "draft"

    scheduled = (await api.patch(path, {"publish_at": LATER}, expect=200)).json
    assert scheduled["status"] == "scheduled" and scheduled["publish_at"] == LATER
    # Back to a draft without a publish_at: allowed, and no longer scheduled.
    back = (await api.patch(path, {"status": "draft"}, expect=200)).json
    assert back["status"] == "draft" and back["publish_at"] is None


async def test_a_bulk_item_with_publish_at_and_another_status_is_that_items_error(
    api: Api,
) -> None:
    reply = await api.post("/api/posts/bulk", [
        {"title": "Fine", "publish_at": LATER},
        {"title": "Not fine", "status": "published", "publish_at": LATER},
    ], expect=200)
    results = reply.json["results"]
    assert [r["outcome"] for r in results] == ["added", "error"]
    assert "[1].publish_at" in results[1]["error"]


def test_the_document_states_the_rule() -> None:
    for schema in ("PostCreate", "PostPatch"):
        said = SCHEMAS[schema]["properties"]["publish_at"]["description"]
        assert "scheduled" in said and "400" in said and "publish_at" in said
    assert "publish_at" in PATHS["/api/posts"]["post"]["description"]


@pytest.mark.parametrize("when", ["10:00", "Dec 25", "03/04/2027", "25 December 2026", "2026",
                                  "\uff12\uff10\uff12\uff16-12-25"])
async def test_a_publish_at_without_its_day_year_first_is_a_400_and_nothing_goes_out(
    api: Api, when: str,
) -> None:
    # Read leniently, "10:00" was 10:00 on 1 January 2000: the post went out at once, dated
    # 2000; "03/04/2027" was read month first.
    reply = await api.post("/api/posts", {"title": "At ten", "publish_at": when}, expect=400)
    assert reply.field == "publish_at"
    assert "year first" in reply.json["detail"]
    draft = await api.create_post(title="Draft", status="draft")
    refused = await api.patch(f"/api/posts/{draft['id']}", {"publish_at": when}, expect=400)
    assert refused.field == "publish_at"
    assert (await api.get("/api/posts")).json["total"] == 1
    assert (await api.get(f"/api/posts/{draft['id']}")).json["status"] == "draft"


@pytest.mark.parametrize(("when", "instant"), [
    ("2026-12-25", "2026-12-24T23:00:00Z"),
    ("2026-12-25T10:00", "2026-12-25T09:00:00Z"),
    ("2026-12-25 10:00:00", "2026-12-25T09:00:00Z"),
    ("2026-12-25T10:00:00-05:00", "2026-12-25T15:00:00Z"),
])
async def test_a_publish_at_with_its_day_is_read_in_the_sites_time_zone_unless_it_has_an_offset(
    api: Api, when: str, instant: str,
) -> None:
    await api.patch("/api/sites/1", {"timezone": "Europe/Paris"}, expect=200)
    post = await api.create_post(title="Christmas", publish_at=when)
    assert post["status"] == "scheduled" and post["publish_at"] == instant


async def test_a_local_time_the_clocks_skip_is_a_400_not_an_hour_later(api: Api) -> None:
    await api.patch("/api/sites/1", {"timezone": "Europe/Paris"}, expect=200)
    # 28 March 2027: Paris goes from 02:00 to 03:00; "02:30" would have gone out after "03:00".
    reply = await api.post("/api/posts", {"title": "Gap", "publish_at": "2027-03-28T02:30"},
                           expect=400)
    assert reply.field == "publish_at" and "Europe/Paris" in reply.json["detail"]
    after = await api.create_post(title="After", publish_at="2027-03-28T03:00")
    assert after["publish_at"] == "2027-03-28T01:00:00Z"
    # The hour that happens twice (31 October 2027) is the first of the two.
    twice = await api.create_post(title="Twice", publish_at="2027-10-31T02:30")
    assert twice["publish_at"] == "2027-10-31T00:30:00Z"


async def test_a_post_published_with_a_date_ahead_is_scheduled_for_it(api: Api) -> None:
    # As WordPress makes it "future": in the feeds at that date, and the API says so.
    ahead = await api.create_post(title="Ahead", status="published",
                                  published="2031-05-05T00:00:00Z")
    assert ahead["status"] == "scheduled" and ahead["publish_at"] == "2031-05-05T00:00:00Z"


async def test_a_schedule_taken_back_to_a_draft_goes_out_now_when_published(api: Api) -> None:
    post = await api.create_post(title="Was scheduled", publish_at="2030-01-01T00:00:00Z")
    await api.patch(f"/api/posts/{post['id']}", {"status": "draft"}, expect=200)
    out = (await api.patch(f"/api/posts/{post['id']}", {"status": "published"},
                           expect=200)).json
    assert out["status"] == "published" and out["published"] == api.clock.now().isoformat(
        ).replace("+00:00", "Z")
