"""A blog's life in a deployment of several: deleted, nothing of it is served any more, by
this server or by another one on the same database, and the next blog made starts empty
(ids are never given twice); changed, every feed it has stored shows it as it is now,
across restarts too; renamed, its links move with it, never onto another blog's host.
The default blog's base URL is a setting, and the API says so."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from feeds.errors import InvalidInputError
from feeds.models import FeedMode, Site
from feeds.sites import base_url_clash
from server.keys import FEEDS, SITES
from tests.conftest import NOW
from tests.server.api_conftest import Api, Reply, until
from tests.server.test_cli import syndic

ApiMaker = Callable[..., Awaitable[Api]]


def held_sites(api: Api) -> set[int]:
    """The sites this server holds feeds of in memory, standard or variant."""
    cache = api.app[FEEDS].cache
    return {k[0] for k in cache.standard_keys()} | {k[0] for k in cache._variants}


async def stored_keys(api: Api) -> set[str]:
    """The feeds of the store's artifacts table."""
    return {a.key for a in await api.store.load_artifacts(with_bodies=False)}


def self_link(reply: Reply) -> str:
    found = re.search(r'<link href="([^"]*)" rel="self"', reply.text)
    assert found, reply.text[:300]
    return found.group(1)


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


async def test_a_blog_change_reaches_every_feed_it_has_stored(api: Api, tmp_path: Path
                                                             ) -> None:
    post = await api.create_post(title="Three", labels=["l3"])
    # A rename edits the post: its comment feed (no comments) is stored, not only rendered
    # when asked for.
    await api.patch("/api/labels/l3", {"name": "l4"}, expect=200)
    comment_feed = f"/feeds/{post['id']}/comments/default"
    await until(lambda: stored_keys(api), lambda keys: comment_feed in keys)

    await api.patch("/api/sites/1", {"title": "Third Title", "language": "fr-CA"},
                    expect=200)
    for path in (comment_feed, "/feeds/posts/default", "/feeds/posts/default/-/l4"):
        await until(partial(api.feed, path),
                    lambda r: "<name>Third Title</name>" in r.text
                    and 'xml:lang="fr-CA"' in r.text)
    rss = await api.feed(comment_feed + "?alt=rss")
    assert "<language>fr-CA</language>" in rss.text

    # The same from the command line beside the server.
    done = await asyncio.to_thread(syndic, tmp_path, "site", "set", "1", "title=Fourth Title")
    assert done.returncode == 0, done.stderr
    await until(partial(api.feed, comment_feed),
                lambda r: "<name>Fourth Title</name>" in r.text)


async def serves_every_stored_feed_under(api: Api, base: str) -> None:
    """Every feed in the artifacts table is served with its links under `base`, and
    stored so (the rest of the start's rendering runs in the background)."""
    for key in await stored_keys(api):
        await until(partial(api.feed, key), lambda r: self_link(r).startswith(base + "/"))
    await until(partial(api.store.load_artifacts, with_bodies=False),
                lambda stored: all(a.self_url.startswith(base + "/") for a in stored))


async def test_a_restart_with_another_base_url_renders_every_stored_feed_for_it(
        make_api: ApiMaker) -> None:
    api = await make_api(server={"public_url": "http://old.test"})
    post = await api.create_post(title="Three", labels=["l3"])
    await api.patch("/api/labels/l3", {"name": "l4"}, expect=200)
    comment_feed = f"/feeds/{post['id']}/comments/default"
    await until(lambda: stored_keys(api), lambda keys: comment_feed in keys)
    await serves_every_stored_feed_under(api, "http://old.test")
    assert await stored_keys(api) == {
        comment_feed, "/feeds/comments/default", "/feeds/posts/default/-/l4",
        "/feeds/posts/default", "/feeds/posts/full", "/feeds/posts/summary"}
    await api.client.close()

    # The comment feed is the first artifact a start reads (its key sorts first): it must
    # not decide alone whether the site's feeds were rendered for the current base URL,
    # and a start with another one renders it too.
    for base in ("http://new.test", "http://old.test"):
        api = await make_api(server={"public_url": base})
        await serves_every_stored_feed_under(api, base)
        assert self_link(await api.feed(comment_feed)) == f"{base}{comment_feed}"
        await api.client.close()


async def test_the_default_blogs_base_url_is_the_setting_and_the_api_says_so(
        make_api: ApiMaker, tmp_path: Path) -> None:
    api = await make_api(server={"public_url": ""})
    default = (await api.get("/api/sites/1")).json
    assert default["base_url"] == "http://localhost:8080"
    reply = await api.patch("/api/sites/1", {"base_url": "https://blog.example.com"},
                            expect=400)
    assert reply.field == "base_url" and "server.public_url" in reply.json["detail"]
    # Sending back what was read is no change, and fine.
    await api.patch("/api/sites/1", {"base_url": default["base_url"], "title": "Mine"},
                    expect=200)
    refused = await asyncio.to_thread(syndic, tmp_path, "site", "set", "1",
                                      "base_url=https://blog.example.com")
    assert refused.returncode != 0 and "base_url" in refused.stderr
    assert "server.public_url" in refused.stderr and refused.stderr.count("\n") == 1
    await api.client.close()

    # The setting, and a restart: the site and every feed take it.
    api = await make_api(server={"public_url": "https://blog.example.com/"})
    assert (await api.get("/api/sites/1")).json["base_url"] == "https://blog.example.com"
    await until(lambda: api.feed(), lambda r: self_link(r).startswith(
        "https://blog.example.com/feeds/"))
    await api.client.close()
    # Without it, http://HOST:PORT again, from the site's host and the port.
    api = await make_api(server={"public_url": "", "port": 9090})
    assert (await api.get("/api/sites/1")).json["base_url"] == "http://localhost:9090"
    await until(lambda: api.feed(), lambda r: self_link(r).startswith(
        "http://localhost:9090/feeds/"))


async def test_a_renamed_blogs_links_move_to_its_new_host(make_api: ApiMaker) -> None:
    api = await make_api(server={"public_url": ""})
    other = (await api.post("/api/sites", {"host": "other.test", "title": "Other"},
                            expect=201)).json
    assert other["base_url"] == "http://other.test"
    moved = (await api.patch(f"/api/sites/{other['id']}", {"host": "other2.test"},
                             expect=200)).json
    assert moved["base_url"] == "http://other2.test"
    await until(lambda: api.feed(host="other2.test"),
                lambda r: self_link(r) == "http://other2.test/feeds/posts/default")
    assert "Other" not in (await api.feed(host="other.test")).text  # the default blog's

    # A base URL set by hand (behind a proxy) stays when the host changes.
    await api.patch(f"/api/sites/{other['id']}", {"base_url": "https://other.example.com"},
                    expect=200)
    kept = await api.patch(f"/api/sites/{other['id']}", {"host": "other3.test"}, expect=200)
    assert kept.json["base_url"] == "https://other.example.com"

    # Never on another blog's host, whichever way round.
    third = (await api.post("/api/sites", {"host": "third.test", "title": "Third"},
                            expect=201)).json
    for body, field in (({"base_url": "http://other3.test/blog"}, "base_url"),
                        ({"base_url": "http://LOCALHOST:8080"}, "base_url"),
                        ({"host": "other.example.com"}, "host")):
        reply = await api.patch(f"/api/sites/{third['id']}", body, expect=400)
        assert reply.field == field, (body, reply.json)
    reply = await api.post("/api/sites", {"host": "localhost:8080", "title": "X"},
                           expect=400)
    assert reply.field == "host" and "site 1" in reply.json["detail"]

    # The default blog's links follow its host when no public_url is set, at once and
    # after a restart.
    moved = (await api.patch("/api/sites/1", {"host": "main.test"}, expect=200)).json
    assert moved["base_url"] == "http://main.test:8080"
    await api.client.close()
    api = await make_api(server={"public_url": ""})
    assert (await api.get("/api/sites/1")).json["base_url"] == "http://main.test:8080"


def test_the_clash_rule_names_the_field_to_change() -> None:
    one = Site(1, "a.test", "A", "", "http://a.test", "UTC", "en", FeedMode.FULL, 200, NOW)
    assert base_url_clash(2, "b.test", "http://b.test", [one]) is None
    assert base_url_clash(1, "a.test", "http://a.test", [one]) is None
    error = base_url_clash(2, "b.test", "https://user@A.test:8443/x", [one])
    assert isinstance(error, InvalidInputError) and error.field == "base_url"
    error = base_url_clash(None, "a.test:8080", "http://c.test", [
        Site(1, "x.test", "X", "", "http://a.test:8080", "UTC", "en", FeedMode.FULL, 200, NOW)])
    assert isinstance(error, InvalidInputError) and error.field == "host"


async def test_the_command_line_moves_the_default_blogs_links_with_its_host_on_the_servers_port(
        make_api: ApiMaker, tmp_path: Path) -> None:
    """`syndic site set 1 host=...` run from a shell without the server's settings (another
    port, or a public_url of its own) moves the base URL on the port the server gave it."""
    api = await make_api(server={"public_url": "", "port": 18600})
    assert (await api.get("/api/sites/1")).json["base_url"] == "http://localhost:18600"
    await api.client.close()
    for host in ("main.test", "third.test"):
        done = await asyncio.to_thread(syndic, tmp_path, "site", "set", "1", f"host={host}")
        assert done.returncode == 0, done.stderr
        shown = await asyncio.to_thread(syndic, tmp_path, "site", "show", "1", "--json")
        assert json.loads(shown.stdout)["base_url"] == f"http://{host}:18600"
