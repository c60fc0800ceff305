"""A label's feed has subscribers: renamed or merged, its old feed URL leads to the new one
(301, every format and variant), until posts carry the old name again; and a label is one
label however it was typed (NFC and NFD spellings of "été")."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from tests.server.api_conftest import Api, until

NFC = unicodedata.normalize("NFC", "été")
NFD = unicodedata.normalize("NFD", "été")


async def moved_to(api: Api, path: str) -> tuple[int, str | None]:
    async with api.client.get(path, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location")


def feed_path(label: str, rest: str = "default") -> str:
    return f"/feeds/posts/{rest}/-/{quote(label, safe='')}"


async def test_a_renamed_labels_feed_leads_to_the_new_one(api: Api) -> None:
    # QA: /feeds/posts/default/-/paged2 was a 404 for its subscribers after the rename.
    await api.create_post(title="Tagged", labels=["old"])
    await until(lambda: api.feed_titles(feed_path("old")), lambda t: t == ["Tagged"])
    await api.patch("/api/labels/old", {"name": "new name"}, expect=200)
    await until(lambda: moved_to(api, feed_path("old")), lambda r: r[0] == 301)
    for old, new in [
        (feed_path("old"), feed_path("new name")),
        (feed_path("old", "full"), feed_path("new name", "full")),
        (feed_path("old", "summary"), feed_path("new name", "summary")),
        (feed_path("old") + "?alt=rss&max-results=5", feed_path("new name") + "?alt=rss&max-results=5"),
        (feed_path("old") + "/other", feed_path("new name") + "/other"),
    ]:
        status, location = await moved_to(api, old)
        assert status == 301 and location is not None
        assert location == f"http://blog.test{new}", (old, location)
    assert await api.feed_titles(feed_path("new name")) == ["Tagged"]


async def test_renamed_twice_or_merged_the_first_name_leads_to_the_last(api: Api) -> None:
    await api.create_post(title="One", labels=["first"])
    await api.create_post(title="Two", labels=["target"])
    await api.patch("/api/labels/first", {"name": "second"}, expect=200)
    await api.patch("/api/labels/second", {"name": "target"}, expect=200)  # a merge
    for old in ("first", "second"):
        status, location = await until(lambda: moved_to(api, feed_path(old)),  # noqa: B023
                                       lambda r: r[0] != 200)
        assert status == 301 and location is not None
        assert location.endswith(feed_path("target"))


async def test_posts_under_the_old_name_again_win_over_the_move(api: Api) -> None:
    await api.create_post(title="Before", labels=["reused"])
    await api.patch("/api/labels/reused", {"name": "renamed"}, expect=200)
    await until(lambda: moved_to(api, feed_path("reused")), lambda r: r[0] == 301)
    await api.create_post(title="After", labels=["reused"])
    await until(lambda: api.feed_titles(feed_path("reused")), lambda t: t == ["After"])
    assert (await moved_to(api, feed_path("reused")))[0] == 200


async def test_a_deleted_labels_feed_and_the_names_it_had_are_404s(api: Api) -> None:
    await api.create_post(title="Short-lived", labels=["was"])
    await api.patch("/api/labels/was", {"name": "doomed"}, expect=200)
    await api.delete("/api/labels/doomed", expect=204)
    await until(lambda: moved_to(api, feed_path("doomed")), lambda r: r[0] == 404)
    await until(lambda: moved_to(api, feed_path("was")), lambda r: r[0] == 404)


async def test_nfc_and_nfd_spellings_are_one_label(api: Api) -> None:
    # QA: text pasted from macOS (NFD) and from the web (NFC) made two labels.
    await api.create_post(title="Mac", labels=[NFD])
    await api.create_post(title="Web", labels=[NFC])
    labels = (await api.get("/api/labels")).json["items"]
    assert [(lb["name"], lb["count"]) for lb in labels] == [(NFC, 2)]
    for spelling in (NFC, NFD):
        shown = (await api.get(f"/api/labels/{quote(spelling)}", expect=200)).json
        assert shown["name"] == NFC and shown["count"] == 2
        listed = (await api.get(f"/api/posts?label={quote(spelling)}")).json
        assert listed["total"] == 2, spelling  # the post list's filter too
    await until(lambda: api.feed_titles(feed_path(NFC)), lambda t: t == ["Web", "Mac"])
    status, location = await moved_to(api, feed_path(NFD))
    assert status == 301 and location is not None and location.endswith(feed_path(NFC))
    # Labels put on, renamed to and looked up by either spelling are the same one.
    third = await api.create_post(title="Third")
    await api.post("/api/labels", {"name": NFD, "posts": [third["id"]]}, expect=201)
    assert (await api.get(f"/api/labels/{quote(NFC)}")).json["count"] == 3
    await api.patch(f"/api/labels/{quote(NFD)}", {"name": NFD + "s"}, expect=200)
    assert [lb["name"] for lb in (await api.get("/api/labels")).json["items"]] == [NFC + "s"]
