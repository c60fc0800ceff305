"""Two editors, one post: every answer carrying a post carries its ETag; a change sent with
If-Match lands only on the version the editor saw (else 412 naming If-Match, nothing
changed); a change sent without it is made to the post as it is at the write, so edits of
different fields made at the same moment all land. A GET with If-None-Match is a 304."""

from __future__ import annotations

import asyncio

import pytest

from feeds.errors import StaleWriteError
from server.keys import SITES
from tests.server.api_conftest import Api


async def test_an_editor_who_read_the_post_changes_it_with_if_match(api: Api) -> None:
    created = await api.post("/api/posts", {"title": "Draft one", "content_html": "<p>x</p>"},
                             expect=201)
    path = created.headers["Location"]
    read = await api.get(path, expect=200)
    assert read.headers["ETag"] == created.headers["ETag"]

    changed = await api.patch(path, {"title": "Draft two"},
                              headers={"If-Match": read.headers["ETag"]}, expect=200)

    assert changed.json["title"] == "Draft two"
    assert changed.headers["ETag"] not in (read.headers["ETag"], "")
    assert (await api.get(path)).headers["ETag"] == changed.headers["ETag"]


async def test_a_second_editor_with_the_old_etag_gets_412_and_undoes_nothing(api: Api) -> None:
    path = f"/api/posts/{(await api.create_post(title='Shared'))['id']}"
    seen = (await api.get(path)).headers["ETag"]
    await api.patch(path, {"title": "First editor's title"}, headers={"If-Match": seen},
                    expect=200)

    late = await api.patch(path, {"title": "Second editor's title"},
                           headers={"If-Match": seen}, expect=412)

    assert late.field == "If-Match" and "changed since" in late.json["detail"]
    assert (await api.get(path)).json["title"] == "First editor's title"


async def test_a_delete_with_a_stale_etag_is_refused_and_with_the_current_one_done(
    api: Api,
) -> None:
    path = f"/api/posts/{(await api.create_post(title='Doomed'))['id']}"
    stale = (await api.get(path)).headers["ETag"]
    current = (await api.patch(path, {"summary": "kept a while"})).headers["ETag"]

    assert (await api.delete(path, headers={"If-Match": stale}, expect=412)).field == "If-Match"
    await api.get(path, expect=200)
    await api.delete(path, headers={"If-Match": current}, expect=204)
    assert (await api.get(path, expect=200)).json["status"] == "deleted"
    await api.patch(path, {"title": "Back?"}, expect=404)


async def test_if_match_star_changes_any_post_that_exists(api: Api) -> None:
    path = f"/api/posts/{(await api.create_post())['id']}"
    await api.patch(path, {"title": "Any version"}, headers={"If-Match": "*"}, expect=200)
    await api.patch("/api/posts/999999", {"title": "x"}, headers={"If-Match": "*"}, expect=404)


@pytest.mark.parametrize("header", ["W/{etag}", '"not-the-tag"', '"a", "b"'])
async def test_if_match_compares_strongly_and_a_tag_it_lacks_is_412(
    api: Api, header: str,
) -> None:
    path = f"/api/posts/{(await api.create_post())['id']}"
    etag = (await api.get(path)).headers["ETag"]
    await api.patch(path, {"title": "No"}, headers={"If-Match": header.format(etag=etag)},
                    expect=412)
    assert (await api.get(path)).headers["ETag"] == etag


async def test_one_of_several_tags_is_enough(api: Api) -> None:
    path = f"/api/posts/{(await api.create_post())['id']}"
    etag = (await api.get(path)).headers["ETag"]
    await api.patch(path, {"title": "Yes"}, headers={"If-Match": f'"old", {etag}'}, expect=200)


@pytest.mark.parametrize("header", ["", "not quoted", "W/"])
async def test_an_if_match_that_is_no_entity_tag_is_a_400_naming_it(
    api: Api, header: str,
) -> None:
    path = f"/api/posts/{(await api.create_post())['id']}"
    reply = await api.patch(path, {"title": "x"}, headers={"If-Match": header}, expect=400)
    assert reply.field == "If-Match"


async def test_a_reader_with_the_current_etag_gets_304_until_the_post_changes(
    api: Api,
) -> None:
    path = f"/api/posts/{(await api.create_post())['id']}"
    etag = (await api.get(path)).headers["ETag"]

    again = await api.get(path, headers={"If-None-Match": etag}, expect=304)
    assert again.headers["ETag"] == etag and again.text == ""
    assert (await api.get(path, headers={"If-None-Match": f"W/{etag}"})).status == 304

    await api.patch(path, {"title": "Changed"})
    assert (await api.get(path, headers={"If-None-Match": etag}, expect=200)).json[
        "title"] == "Changed"


async def test_an_approved_comment_changes_the_etag_it_shows_in_comment_count(
    api: Api,
) -> None:
    post = await api.create_post()
    path = f"/api/posts/{post['id']}"
    etag = (await api.get(path)).headers["ETag"]
    await api.post(f"{path}/comments", {"author": {"name": "Bo"}, "content_html": "Hi",
                                        "status": "approved"}, expect=201)
    assert (await api.get(path)).headers["ETag"] != etag


async def test_edits_of_different_fields_at_the_same_moment_all_land(api: Api) -> None:
    """Without If-Match each change is made to the post as it is at its write: a title
    change and a summary change sent together both show in the end (before, the one
    written last carried the other field as it had read it, undoing the other edit)."""
    path = f"/api/posts/{(await api.create_post(title='t0', summary='s0'))['id']}"
    for round_ in range(5):
        title, summary = f"title {round_}", f"summary {round_}"
        await asyncio.gather(*(api.patch(path, body, expect=200) for body in (
            {"title": title}, {"summary": summary}, {"labels": [f"l{round_}"]})))
        post = (await api.get(path)).json
        assert (post["title"], post["summary"], post["labels"]) == (title, summary,
                                                                    [f"l{round_}"])


async def test_the_store_writes_nothing_over_a_version_it_was_not_given(api: Api) -> None:
    created = await api.create_post(title="v1")
    post = await api.store.get_post(api.app[SITES].default.id, str(created["id"]))
    await api.patch(f"/api/posts/{created['id']}", {"title": "v2"})

    with pytest.raises(StaleWriteError):
        await api.store.write_post(post, [], api.clock.now(), is_new=False,
                                   replaces=post.version)
    assert (await api.get(f"/api/posts/{created['id']}")).json["title"] == "v2"


# -- comments --------------------------------------------------------------------------


async def _comment(api: Api) -> str:
    post = await api.create_post()
    reply = await api.post(f"/api/posts/{post['id']}/comments",
                           {"author": {"name": "Bo"}, "content_html": "<p>First!</p>",
                            "status": "pending"}, expect=201)
    assert reply.headers["ETag"]
    return str(reply.headers["Location"])


async def test_a_moderator_with_an_old_etag_gets_412_and_the_edit_stays(api: Api) -> None:
    path = await _comment(api)
    seen = (await api.get(path)).headers["ETag"]
    await api.patch(path, {"content_html": "<p>First! (typo fixed)</p>"},
                    headers={"If-Match": seen}, expect=200)

    late = await api.patch(path, {"status": "spam"}, headers={"If-Match": seen}, expect=412)

    assert late.field == "If-Match"
    comment = (await api.get(path)).json
    assert (comment["status"], comment["content_html"]) == ("pending",
                                                            "<p>First! (typo fixed)</p>")


async def test_a_moderation_and_an_edit_at_the_same_moment_both_land(api: Api) -> None:
    path = await _comment(api)
    for round_ in range(5):
        status = ("approved", "pending")[round_ % 2]
        text = f"<p>edit {round_}</p>"
        await asyncio.gather(api.patch(path, {"status": status}, expect=200),
                             api.patch(path, {"content_html": text}, expect=200))
        comment = (await api.get(path)).json
        assert (comment["status"], comment["content_html"]) == (status, text)


async def test_a_comment_is_deleted_only_as_it_was_seen(api: Api) -> None:
    path = await _comment(api)
    stale = (await api.get(path)).headers["ETag"]
    current = (await api.patch(path, {"status": "approved"})).headers["ETag"]

    await api.delete(path, headers={"If-Match": stale}, expect=412)
    assert (await api.get(path, headers={"If-None-Match": current})).status == 304
    await api.delete(path, headers={"If-Match": current}, expect=204)
    await api.get(path, expect=404)


async def test_a_replayed_create_carries_the_etag_of_what_it_created(api: Api) -> None:
    key = {"Idempotency-Key": "etag-replay-1"}
    first = await api.post("/api/posts", {"title": "Once"}, headers=key, expect=201)
    again = await api.post("/api/posts", {"title": "Once"}, headers=key, expect=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"] == \
        (await api.get(first.headers["Location"])).headers["ETag"]


async def test_a_patch_that_changes_nothing_keeps_the_version_and_the_etag(api: Api) -> None:
    post = await api.create_post(title="Steady", publish_at="2031-01-01T09:00:00Z")
    path = f"/api/posts/{post['id']}"
    read = await api.get(path)
    for body in ({"publish_at": post["publish_at"]}, {"slug": post["slug"]},
                 {"title": "Steady"}, {}):
        same = await api.patch(path, body, expect=200)
        assert same.json["version"] == read.json["version"], body
        assert same.json["updated"] == read.json["updated"], body
        assert same.headers["ETag"] == read.headers["ETag"], body
    assert (await api.patch(path, {"title": "Moved"})).json["version"] == \
        read.json["version"] + 1
