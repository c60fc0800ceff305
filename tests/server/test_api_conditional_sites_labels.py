"""Two admins, one site or label: a site and a label carry their ETag as posts do; a change
sent with If-Match lands only on the version the admin saw (else 412 naming If-Match, nothing
changed); a reader with the current ETag gets a 304."""

from __future__ import annotations

import asyncio

import pytest

from feeds.errors import StaleWriteError
from tests.server.api_conftest import Api


async def _site(api: Api, host: str = "shared.test") -> str:
    created = await api.post("/api/sites", {"host": host, "title": "Shared blog"}, expect=201)
    assert created.headers["ETag"]
    return str(created.headers["Location"])


async def test_an_admin_who_read_the_site_changes_it_with_if_match(api: Api) -> None:
    path = await _site(api)
    read = await api.get(path, expect=200)

    changed = await api.patch(path, {"title": "Renamed"},
                              headers={"If-Match": read.headers["ETag"]}, expect=200)

    assert changed.json["title"] == "Renamed"
    assert changed.headers["ETag"] != read.headers["ETag"]
    assert (await api.get(path)).headers["ETag"] == changed.headers["ETag"]


async def test_a_second_admin_with_the_old_etag_gets_412_and_undoes_nothing(api: Api) -> None:
    path = await _site(api)
    seen = (await api.get(path)).headers["ETag"]
    await api.patch(path, {"title": "First admin's title"}, headers={"If-Match": seen},
                    expect=200)

    late = await api.patch(path, {"title": "Second admin's title", "language": "fr"},
                           headers={"If-Match": seen}, expect=412)

    assert late.field == "If-Match" and "changed since" in late.json["detail"]
    site = (await api.get(path)).json
    assert (site["title"], site["language"]) == ("First admin's title", "en")


async def test_a_site_is_deleted_only_as_it_was_seen(api: Api) -> None:
    path = await _site(api)
    stale = (await api.get(path)).headers["ETag"]
    current = (await api.patch(path, {"subtitle": "now with a subtitle"})).headers["ETag"]

    assert (await api.delete(path, headers={"If-Match": stale}, expect=412)).field == "If-Match"
    await api.get(path, expect=200)
    await api.delete(path, headers={"If-Match": current}, expect=204)
    await api.get(path, expect=404)
    await api.delete(path, headers={"If-Match": "*"}, expect=404)


async def test_a_reader_with_the_sites_etag_gets_304_until_it_changes(api: Api) -> None:
    path = await _site(api)
    etag = (await api.get(path)).headers["ETag"]

    again = await api.get(path, headers={"If-None-Match": etag}, expect=304)
    assert again.headers["ETag"] == etag and again.text == ""

    await api.patch(path, {"summary_length": 120})
    assert (await api.get(path, headers={"If-None-Match": etag}, expect=200)).json[
        "summary_length"] == 120


async def test_changes_of_different_site_fields_at_the_same_moment_all_land(api: Api) -> None:
    path = await _site(api)
    for round_ in range(4):
        title, subtitle = f"title {round_}", f"subtitle {round_}"
        await asyncio.gather(api.patch(path, {"title": title}, expect=200),
                             api.patch(path, {"subtitle": subtitle}, expect=200))
        site = (await api.get(path)).json
        assert (site["title"], site["subtitle"]) == (title, subtitle)


async def test_a_replayed_site_create_carries_the_etag_it_had(api: Api) -> None:
    key = {"Idempotency-Key": "site-etag-replay"}
    body = {"host": "once.test", "title": "Once"}
    first = await api.post("/api/sites", body, headers=key, expect=201)
    again = await api.post("/api/sites", body, headers=key, expect=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"] == \
        (await api.get(first.headers["Location"])).headers["ETag"]


async def test_the_store_changes_no_site_it_was_not_given_as_it_is(api: Api) -> None:
    path = await _site(api)
    site_id = int(path.rsplit("/", 1)[1])
    read = await api.store.get_site(site_id)
    await api.patch(path, {"title": "Changed meanwhile"})

    with pytest.raises(StaleWriteError):
        await api.store.update_site(site_id, {"language": "de"}, replaces=read)
    with pytest.raises(StaleWriteError):
        await api.store.delete_site(site_id, replaces=read)
    site = await api.store.get_site(site_id)
    assert (site.title, site.language) == ("Changed meanwhile", "en")


# -- labels ----------------------------------------------------------------------------


async def _labelled(api: Api, *titles: str, label: str = "news") -> list[int]:
    return [int((await api.create_post(title=t, labels=[label]))["id"]) for t in titles]


async def test_a_label_renamed_with_the_etag_it_was_read_with(api: Api) -> None:
    await _labelled(api, "One", "Two")
    read = await api.get("/api/labels/news", expect=200)
    assert read.json["count"] == 2

    renamed = await api.patch("/api/labels/news", {"name": "headlines"},
                              headers={"If-Match": read.headers["ETag"]}, expect=200)

    assert renamed.json["name"] == "headlines" and renamed.headers["ETag"]
    assert (await api.get("/api/labels/headlines")).headers["ETag"] == renamed.headers["ETag"]
    await api.get("/api/labels/news", expect=404)


async def test_a_label_put_on_another_post_since_it_was_read_is_not_renamed(api: Api) -> None:
    """The count is part of what the admin saw: a rename meant for two posts is not made
    to three."""
    await _labelled(api, "One", "Two")
    seen = (await api.get("/api/labels/news")).headers["ETag"]
    await _labelled(api, "Three")

    late = await api.patch("/api/labels/news", {"name": "headlines"},
                           headers={"If-Match": seen}, expect=412)
    assert late.field == "If-Match"
    assert (await api.get("/api/labels/news")).json["count"] == 3
    await api.get("/api/labels/headlines", expect=404)

    assert (await api.delete("/api/labels/news", headers={"If-Match": seen},
                             expect=412)).field == "If-Match"
    current = (await api.get("/api/labels/news")).headers["ETag"]
    await api.delete("/api/labels/news", headers={"If-Match": current}, expect=204)
    await api.get("/api/labels/news", expect=404)


async def test_a_reader_with_the_labels_etag_gets_304_until_its_count_changes(
    api: Api,
) -> None:
    await _labelled(api, "One")
    etag = (await api.get("/api/labels/news")).headers["ETag"]
    assert (await api.get("/api/labels/news", headers={"If-None-Match": etag})).status == 304

    await _labelled(api, "Two")
    assert (await api.get("/api/labels/news", headers={"If-None-Match": etag},
                          expect=200)).json["count"] == 2


async def test_a_label_put_on_posts_answers_with_its_etag(api: Api) -> None:
    ids = await _labelled(api, "One", label="other")
    created = await api.post("/api/labels", {"name": "picked", "posts": ids}, expect=201)
    assert created.headers["ETag"] == (await api.get("/api/labels/picked")).headers["ETag"]


@pytest.mark.parametrize("path", ["/api/sites/1", "/api/labels/news"])
async def test_an_if_match_that_is_no_entity_tag_is_a_400_naming_it(api: Api, path: str) -> None:
    await _labelled(api, "One")
    body = {"title": "x"} if "sites" in path else {"name": "x"}
    reply = await api.patch(path, body, headers={"If-Match": "not quoted"}, expect=400)
    assert reply.field == "If-Match"
