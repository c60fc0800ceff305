"""A blog's life in a deployment of several: deleted, nothing of it is served any more, by
this server or by another one on the same database, and the next blog made starts empty
(ids are never given twice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from server.keys import FEEDS, SITES
from tests.server.api_conftest import Api, until

ApiMaker = Callable[..., Awaitable[Api]]


def held_sites(api: Api) -> set[int]:
    """The sites this server holds feeds of in memory, standard or variant."""
    cache = api.app[FEEDS].cache
    return {k[0] for k in cache.standard_keys()} | {k[0] for k in cache._variants}


async def blog_a(api: Api, reader: Api | None = None) -> tuple[dict[str, object], list[str]]:
    """Site A with a labelled post by Bob Smith and a comment on it, every feed showing
    them read once from `reader` (`api` itself by default), so held in its memory: the
    site and the paths of those feeds."""
    site = (await api.post("/api/sites", {"host": "a.test", "title": "Site A"},
                           expect=201)).json
    post = (await api.post("/api/posts?site=a.test", {
        "title": "Private to A", "content_html": "<p>secret A</p>", "labels": ["alabel"],
        "authors": [{"name": "Bob Smith"}]}, expect=201)).json
    await api.post(f"/api/posts/{post['id']}/comments?site=a.test",
                   {"author": "Carol", "content_html": "<p>Comment on A</p>"}, expect=201)
    paths = ["/feeds/posts/default/-/alabel", "/feeds/posts/default/-/alabel?alt=json",
             "/feeds/authors/bob-smith/default", f"/feeds/{post['id']}/comments/default",
             f"/feeds/{post['id']}/comments/default?alt=rss", "/feeds/comments/default",
             "/feeds/posts/default?max-results=1"]
    for path in paths:
        await until(partial((reader or api).feed, path, "a.test"),
                    lambda r: r.status == 200 and ("Private to A" in r.text
                                                   or "Comment on A" in r.text))
    return site, paths


async def test_a_deleted_blogs_feeds_go_with_it_and_the_next_blog_starts_empty(
        api: Api) -> None:
    a, paths = await blog_a(api)
    assert a["id"] in held_sites(api)
    await api.delete(f"/api/sites/{a['id']}", expect=204)
    assert a["id"] not in held_sites(api)

    b = (await api.post("/api/sites", {"host": "b.test", "title": "Site B"}, expect=201)).json
    assert b["id"] != a["id"]
    await until(lambda: api.feed_titles(host="b.test"), lambda titles: titles == [])
    for host in ("b.test", "a.test"):  # a.test is the default site's now
        for path in paths:
            reply = await api.feed(path, host)
            assert "Private to A" not in reply.text and "Comment on A" not in reply.text, (
                host, path, reply.status)
            assert "Site A" not in reply.text, (host, path)
    assert (await api.get("/api/posts?site=b.test")).json["total"] == 0


async def test_ids_of_deleted_blogs_posts_and_comments_are_never_given_again(
        api: Api) -> None:
    a = (await api.post("/api/sites", {"host": "a.test", "title": "Site A"},
                        expect=201)).json
    last_post = (await api.post("/api/posts?site=a.test", {"title": "Last of A"},
                                expect=201)).json
    comment = (await api.post(f"/api/posts/{last_post['id']}/comments?site=a.test",
                              {"author": "Carol", "content_html": "<p>last</p>"},
                              expect=201)).json
    await api.delete(f"/api/sites/{a['id']}", expect=204)

    b = (await api.post("/api/sites", {"host": "b.test", "title": "Site B"}, expect=201)).json
    post = (await api.post("/api/posts?site=b.test", {"title": "First of B"},
                           expect=201)).json
    own = (await api.post(f"/api/posts/{post['id']}/comments?site=b.test",
                          {"author": "Dan", "content_html": "<p>first</p>"},
                          expect=201)).json
    assert b["id"] > a["id"] and post["id"] > last_post["id"] and own["id"] > comment["id"]
    # A comment deleted is not a new comment's #comment-ID either.
    await api.delete(f"/api/comments/{own['id']}?site=b.test", expect=204)
    again = (await api.post(f"/api/posts/{post['id']}/comments?site=b.test",
                            {"author": "Dan", "content_html": "<p>again</p>"},
                            expect=201)).json
    assert again["id"] > own["id"]


async def test_another_server_on_the_database_drops_a_deleted_blogs_feeds(
        make_api: ApiMaker) -> None:
    first = await make_api()
    second = await make_api()  # the same SQLite file: another server beside the first
    # Made through the first, read from the second (which renders what it is asked for
    # and has not rendered itself, as query variants).
    a, paths = await blog_a(first, second)
    assert a["id"] in held_sites(second)
    await first.delete(f"/api/sites/{a['id']}", expect=204)
    # The second server reads the sites again at its next regeneration run.
    async def held() -> set[int]:
        return held_sites(second)

    await until(held, lambda ids: a["id"] not in ids)
    assert a["id"] not in second.app[SITES].by_id
    for path in paths:
        assert "Private to A" not in (await second.feed(path, "a.test")).text
