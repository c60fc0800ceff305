"""After a WordPress import the old blog's feed URLs keep working: a running syndic (real
HTTP on loopback) answers each with a 301 to the syndic feed that shows the same thing, and
following it gives that feed. A site that never had a WordPress import answers 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from yarl import URL

from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import open_store
from server.app import create_app, ensure_sites, make_publisher
from server.clock import FakeClock
from server.importing import ImportKind, file_source, run_import
from server.keys import SITES, STORE
from tests.server.api_conftest import Api, until
from tests.server.conftest import Client, FastTestServer

FIXTURES = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures"
WXR = FIXTURES / "wordpress" / "export-1.2.xml"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://blog.test"
P = "https://ledger.example.org/?p="
FROST, SOURDOUGH, BREAD = f"{P}101", f"{P}102", f"{P}103"
FROST_COMMENTS = {f"{FROST}#comment-{n}" for n in (11, 12, 15)}  # approved ones only
Serve = Callable[[ImportKind, Path], Awaitable[Client]]


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


def serving_imports(request: pytest.FixtureRequest,
                    aiohttp_client: Callable[..., Awaitable[Client]],
                    make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str
                    ) -> Serve:
    """syndic serving a store an export was imported into (as `syndic import` does it), by
    aiohttp alone or behind the fast path (request.param)."""

    async def start(kind: ImportKind, export: Path) -> Client:
        settings = make_settings()
        store = await open_store(sqlite_url)
        try:
            site = (await ensure_sites(store, settings, clock))[0]
            ctx = make_publisher(store, settings, InlineRenderer(FeedRenderer(1))).ctx
            source = file_source(kind, export.read_bytes(), export.name)
            await run_import(store, site, ctx, source, clock.now)
        finally:
            await store.close()
        app = create_app(settings, clock=clock)
        return await aiohttp_client(FastTestServer(app) if request.param == "fast-path" else app)

    return start


def ids_in(body: bytes) -> set[str]:
    """The entry ids of an Atom feed, or the guids of an RSS one."""
    root = etree.fromstring(body)
    if root.tag == f"{ATOM}feed":
        return {e.findtext(f"{ATOM}id") or "" for e in root.iter(f"{ATOM}entry")}
    assert root.tag == "rss", root.tag
    return {item.findtext("guid") or "" for item in root.iter("item")}


async def redirect(client: Client, url: str) -> str:
    resp = await client.get(url, allow_redirects=False)
    assert resp.status == 301, f"{url}: {resp.status}"
    return resp.headers["Location"]


async def follow(client: Client, location: str) -> tuple[str, bytes]:
    """GET the redirect's target on this server: (content type, body)."""
    assert location.startswith(BASE + "/"), location
    resp = await client.get(URL(location).path_qs)
    assert resp.status == 200, f"{location}: {resp.status}"
    return resp.headers["Content-Type"], await resp.read()


CASES = [
    # (WordPress URL, where it leads, RSS or Atom, the entries it shows)
    ("/feed/", "/feeds/posts/default?alt=rss", "rss", {FROST, SOURDOUGH, BREAD}),
    ("/feed", "/feeds/posts/default?alt=rss", "rss", {FROST, SOURDOUGH, BREAD}),
    ("/feed/rss2/", "/feeds/posts/default?alt=rss", "rss", {FROST, SOURDOUGH, BREAD}),
    ("/feed/atom/", "/feeds/posts/default", "atom", {FROST, SOURDOUGH, BREAD}),
    ("/?feed=rss2", "/feeds/posts/default?alt=rss", "rss", {FROST, SOURDOUGH, BREAD}),
    ("/?feed=atom", "/feeds/posts/default", "atom", {FROST, SOURDOUGH, BREAD}),
    ("/comments/feed/", "/feeds/comments/default?alt=rss", "rss",
     FROST_COMMENTS | {f"{BREAD}#comment-19"}),
    ("/?feed=comments-rss2", "/feeds/comments/default?alt=rss", "rss",
     FROST_COMMENTS | {f"{BREAD}#comment-19"}),
    ("/category/garden/feed/", "/feeds/posts/default/-/Garden?alt=rss", "rss", {FROST}),
    ("/category/garden/vegetables/feed/",
     "/feeds/posts/default/-/Vegetables%20%26%20Herbs?alt=rss", "rss", {FROST}),
    ("/category/baking/feed/atom/", "/feeds/posts/default/-/Baking", "atom", {SOURDOUGH, BREAD}),
    ("/?cat=4&feed=rss2", "/feeds/posts/default/-/Baking?alt=rss", "rss", {SOURDOUGH, BREAD}),
    ("/tag/frost/feed/", "/feeds/posts/default/-/frost?alt=rss", "rss", {FROST}),
    ("/tag/%E6%97%A5%E6%9C%AC/feed/", "/feeds/posts/default/-/%E6%97%A5%E6%9C%AC?alt=rss", "rss",
     {BREAD}),
    ("/?tag=sourdough&feed=rss2", "/feeds/posts/default/-/sourdough?alt=rss", "rss",
     {SOURDOUGH}),
    ("/author/marta/feed/", "/feeds/authors/marta-quinones/default?alt=rss", "rss", {FROST}),
    ("/author/kofi/feed/atom/", "/feeds/authors/kofi-mensah/default", "atom",
     {SOURDOUGH, BREAD}),
]


@pytest.mark.parametrize(("old", "new", "kind", "shows"), CASES)
async def test_each_wordpress_feed_url_leads_to_the_same_feed_here(
    serve: Serve, old: str, new: str, kind: str, shows: set[str],
) -> None:
    client = await serve("wordpress", WXR)

    location = await redirect(client, old)

    assert URL(location) == URL(BASE + new)  # (aiohttp writes %26 as "&": the same path)
    content_type, body = await follow(client, location)
    assert content_type.startswith(f"application/{kind}+xml")
    assert ids_in(body) == shows


@pytest.mark.parametrize("old", ["/2023/11/14/first-frost/feed/", "/?p=101&feed=rss2",
                                 "/2023/11/14/first-frost/feed/atom/"])
async def test_a_posts_feed_url_leads_to_its_comment_feed(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    assert client.app is not None
    frost = await client.app[STORE].get_post(client.app[SITES].default.id, "first-frost")

    location = await redirect(client, old)

    wanted = f"{BASE}/feeds/{frost.id}/comments/default"
    assert location == wanted + ("" if old.endswith("atom/") else "?alt=rss")
    _, body = await follow(client, location)
    assert ids_in(body) == FROST_COMMENTS


@pytest.mark.parametrize("old", ["/category/nope/feed/", "/tag/nope/feed/atom/",
                                 "/author/nobody/feed/", "/?cat=999&feed=rss2",
                                 "/?p=999&feed=rss2", "/2099/01/01/never-written/feed/",
                                 "/2024/01/01/old-seed-list/feed/", "/wp-login.php",
                                 "/category/no%00pe/feed/", "/author/no%00body/feed/"])
async def test_what_the_old_blog_did_not_have_is_404(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    resp = await client.get(old, allow_redirects=False)
    assert resp.status == 404


async def test_bloggers_feed_urls_keep_working_beside_wordpresss(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    for path in ("/feeds/posts/default", "/feeds/posts/default/-/Garden?alt=rss",
                 "/feeds/comments/default", "/feed.atom"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 200, path


async def test_a_site_that_never_had_a_wordpress_import_answers_404_to_them(
    serve: Serve,
) -> None:
    client = await serve("blogger", FIXTURES / "blogger" / "takeout.atom")

    for old, *_ in CASES:
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 404, old
    for path in ("/feeds/posts/default", "/feeds/posts/default/-/Cooking?alt=rss",
                 "/feeds/4411223344556677001/comments/default"):
        resp = await client.get(path)
        assert resp.status == 200, path


async def test_a_wordpress_import_through_the_api_turns_the_old_urls_on_at_once(
    api: Api,
) -> None:
    assert (await api.feed("/feed/")).status == 404

    await api.post("/api/imports?kind=wordpress", data=WXR.read_bytes(), expect=201)

    async def garden() -> tuple[int, str]:
        resp = await api.client.get("/category/garden/feed/", allow_redirects=False)
        return resp.status, resp.headers.get("Location", "")

    _, location = await until(garden, lambda got: got[0] == 301)
    assert URL(location).path_qs == "/feeds/posts/default/-/Garden?alt=rss"
    reply = await until(lambda: api.feed(URL(location).path_qs), lambda r: r.status == 200)
    assert ids_in(reply.text.encode()) == {FROST}
