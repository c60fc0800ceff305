"""An editor keeps working while something else rewrites the same posts, a bulk update (the
importer's path) or a label rename: every edit answered 200 is what the post says at the
end, whichever moment it landed in (for the bulk: before it read its batch, "changed in
syndic since import"; between that read and the batch's write, the batch writes around it;
after, the edit wins)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.server.api_conftest import Api

POSTS = 200


def _post(n: int, title: str) -> dict[str, object]:
    return {"title": title, "content_html": f"<p>post {n}</p>",
            "entry_id": f"tag:blog.test,2026:bulk-{n}", "published": "2026-11-01T10:00:00Z"}


async def test_no_edit_answered_200_is_undone_by_a_bulk_update_running_beside_it(
    make_api: Callable[..., Awaitable[Api]],
) -> None:
    api = await make_api(api={"bulk_batch_size": 10})
    first = await api.post("/api/posts/bulk", [_post(n, f"v1 {n}") for n in range(POSTS)],
                           expect=200)
    ids = [r["id"] for r in first.json["results"]]

    async def bulk() -> dict[str, object]:
        reply = await api.post("/api/posts/bulk",
                               [_post(n, f"v2 {n}") for n in range(POSTS)], expect=200)
        return reply.json  # type: ignore[no-any-return]

    async def edit(n: int) -> bool:
        await asyncio.sleep(0.001 * (n % 7))
        reply = await api.patch(f"/api/posts/{ids[n]}", {"title": f"edited {n}"})
        return reply.status == 200

    edited = list(range(0, POSTS, 3))
    answer, *oks = await asyncio.gather(bulk(), *(edit(n) for n in edited))

    assert all(oks)
    for n in edited:
        assert (await api.get(f"/api/posts/{ids[n]}")).json["title"] == f"edited {n}", n
    for n in set(range(POSTS)) - set(edited):
        assert (await api.get(f"/api/posts/{ids[n]}")).json["title"] == f"v2 {n}", n
    results = answer["results"]
    assert isinstance(results, list)
    kept = [r for r in results if r["outcome"] == "error"]
    assert all(r["error"] == "changed in syndic since import" for r in kept)
    assert {r["index"] for r in kept} <= set(edited)


async def test_a_label_rename_beside_edits_of_its_posts_keeps_both(api: Api) -> None:
    """Renaming a label rewrites each of its posts; an edit of a post's title landing while
    the rename runs stays, and the post still ends up with the new label."""
    ids = [(await api.create_post(title=f"t{n}", labels=["news"]))["id"]
           for n in range(60)]

    async def edit(n: int) -> None:
        await asyncio.sleep(0.0005 * (n % 5))
        await api.patch(f"/api/posts/{ids[n]}", {"title": f"edited {n}"}, expect=200)

    await asyncio.gather(api.patch("/api/labels/news", {"name": "headlines"}, expect=200),
                         *(edit(n) for n in range(0, 60, 2)))

    for n, post_id in enumerate(ids):
        post = (await api.get(f"/api/posts/{post_id}")).json
        assert post["labels"] == ["headlines"], (n, post["labels"])
        assert post["title"] == (f"edited {n}" if n % 2 == 0 else f"t{n}"), n
