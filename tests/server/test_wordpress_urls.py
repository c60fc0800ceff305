"""After a WordPress import the old blog's feed URLs keep working: a running syndic (real
HTTP on loopback) answers each with a 301 to the syndic feed that shows the same thing, and
following it gives that feed. Its posts' old links (permalinks, ?p=ID) lead to the post's
page here, while the post is shown. A site that never had a WordPress import answers 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from yarl import URL

from feeds.posts import link_of
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import open_store
from server.app import create_app, ensure_sites, make_publisher
from server.clock import FakeClock
from server.importing import ImportKind, file_source, run_import
from server.keys import CLOCK, PUBLISHER, SITES, STORE
from tests.server.api_conftest import Api, until
from tests.server.conftest import Client, FastTestServer

FIXTURES = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures"
WXR = FIXTURES / "wordpress" / "export-1.2.xml"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://blog.test"
P = "https://ledger.example.org/?p="
FROST, SOURDOUGH, BREAD = f"{P}101", f"{P}102", f"{P}103"
FROST_COMMENTS = {f"{FROST}#comment-{n}" for n in (11, 12, 15)}  # approved ones only
Serve = Callable[..., Awaitable[Client]]


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


def serving_imports(request: pytest.FixtureRequest,
                    aiohttp_client: Callable[..., Awaitable[Client]],
                    make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str
                    ) -> Serve:
    """syndic serving a store an export was imported into (as `syndic import` does it), by
    aiohttp alone or behind the fast path (request.param); `sections`: settings over the
    tests' (site={"timezone": ...})."""

    async def start(kind: ImportKind, export: Path, include_pages: bool = False,
                    **sections: dict[str, object]) -> Client:
        settings = make_settings(**sections)
        store = await open_store(sqlite_url)
        try:
            site = (await ensure_sites(store, settings, clock))[0]
            ctx = make_publisher(store, settings, InlineRenderer(FeedRenderer(1))).ctx
            source = file_source(kind, export.read_bytes(), export.name, include_pages)
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
    ("/?cat=3&feed=atom", "/feeds/posts/default/-/Vegetables%20%26%20Herbs", "atom", {FROST}),
    ("/?tag_id=8&feed=rss2", "/feeds/posts/default/-/sourdough?alt=rss", "rss", {SOURDOUGH}),
    ("/?author=2&feed=atom", "/feeds/authors/kofi-mensah/default", "atom", {SOURDOUGH, BREAD}),
    # The same behind /index.php (PATHINFO permalinks; every WordPress answers them).
    ("/index.php/feed/", "/feeds/posts/default?alt=rss", "rss", {FROST, SOURDOUGH, BREAD}),
    ("/index.php?feed=atom", "/feeds/posts/default", "atom", {FROST, SOURDOUGH, BREAD}),
    ("/index.php/comments/feed/", "/feeds/comments/default?alt=rss", "rss",
     FROST_COMMENTS | {f"{BREAD}#comment-19"}),
    ("/index.php/category/garden/feed/", "/feeds/posts/default/-/Garden?alt=rss", "rss", {FROST}),
    ("/index.php?cat=4&feed=rss2", "/feeds/posts/default/-/Baking?alt=rss", "rss",
     {SOURDOUGH, BREAD}),
    ("/index.php/author/marta/feed/", "/feeds/authors/marta-quinones/default?alt=rss", "rss",
     {FROST}),
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
                                 "/2023/11/14/first-frost/feed/atom/", "/?p=101&feed=atom",
                                 "/index.php/2023/11/14/first-frost/feed/",
                                 "/index.php?p=101&feed=atom"])
async def test_a_posts_feed_url_leads_to_its_comment_feed(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    assert client.app is not None
    frost = await client.app[STORE].get_post(client.app[SITES].default.id, "first-frost")

    location = await redirect(client, old)

    wanted = f"{BASE}/feeds/{frost.id}/comments/default"
    assert location == wanted + ("" if "atom" in old else "?alt=rss")
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

    for old in [c[0] for c in CASES] + ["/2023/11/14/first-frost/", "/?p=101&feed=rss2"]:
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


# --- a subscriber following an old post link --------------------------------------------


async def page_of(client: Client, ref: str) -> str:
    """The URL of a post's page here."""
    assert client.app is not None
    site = client.app[SITES].default
    post = await client.app[STORE].get_post(site.id, ref)
    return link_of(site, post)


@pytest.mark.parametrize("old", [
    "/2023/11/14/first-frost/", "/2023/11/14/first-frost",
    "/2023/11/14/first-frost/?utm_source=x", "/2023/11/14/first-frost/amp/",
    "/?p=101", "/?p=101&utm_source=newsletter",
])
async def test_a_subscriber_following_an_old_wordpress_post_link_lands_on_the_post(
    serve: Serve, old: str,
) -> None:
    client = await serve("wordpress", WXR)

    location = await redirect(client, old)

    assert location == await page_of(client, FROST)
    assert location.startswith(BASE + "/2023/11/")
    content_type, body = await follow(client, location)
    assert content_type.startswith("text/html")
    assert b"First frost &amp; what survived" in body


async def test_a_link_with_the_old_blogs_own_script_in_it_lands_on_the_post(
    serve: Serve,
) -> None:
    client = await serve("wordpress", WXR)
    old = "/2024/03/31/%E3%83%91%E3%83%B3%E3%81%AE%E7%84%BC%E3%81%8D%E6%96%B9/"

    location = await redirect(client, old)

    # Location is ASCII (RFC 9110 §10.2.2, a URI): the slug comes percent-encoded.
    assert URL(location) == URL(await page_of(client, BREAD))
    _, body = await follow(client, location)
    assert "パンの焼き方".encode() in body


async def test_a_link_checker_asking_head_gets_the_same_redirect(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    for old in ("/2023/11/14/first-frost/", "/?p=101"):
        resp = await client.head(old, allow_redirects=False)
        assert resp.status == 301, old
        assert resp.headers["Location"] == await page_of(client, FROST)


async def test_a_post_and_its_feed_each_keep_their_old_url(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    assert client.app is not None
    frost = await client.app[STORE].get_post(client.app[SITES].default.id, FROST)
    comments = f"{BASE}/feeds/{frost.id}/comments/default?alt=rss"

    assert await redirect(client, "/2023/11/14/first-frost/") == await page_of(client, FROST)
    assert await redirect(client, "/2023/11/14/first-frost/feed/") == comments
    assert await redirect(client, "/?p=101") == await page_of(client, FROST)
    assert await redirect(client, "/?p=101&feed=rss2") == comments
    assert await redirect(client, "/feed/") == f"{BASE}/feeds/posts/default?alt=rss"


@pytest.mark.parametrize("old", [
    "/?p=104",  # a draft (its link was the ?p= form)
    "/2031/01/01/planting-plan-2031/", "/?p=105",  # scheduled for 2031
    "/2024/05/05/newsletter-template-notes/", "/?p=110",  # private: a draft here
    "/?p=106", "/2024/01/01/old-seed-list/",  # in the trash: never imported
    "/2099/01/01/never-written/", "/?p=999", "/?p=abc", "/wp-login.php",
    "/2023/11/14/first-frost/extra/", "/2023/11/14/first%00frost/",
    # Its page N, its comment pages, behind /index.php: the same.
    "/index.php?p=104", "/?p=104&cpage=2", "/2031/01/01/planting-plan-2031/2/",
    "/index.php/2031/01/01/planting-plan-2031/", "/index.php?p=105",
    "/2031/01/01/planting-plan-2031/comment-page-1/",
    "/index.php/2024/05/05/newsletter-template-notes/comment-page-1/",
    "/2024/01/01/old-seed-list/2/", "/index.php?p=106", "/2099/01/01/never-written/2/",
    "/2099/01/01/never-written/comment-page-2/", "/index.php/wp-login.php", "/index.php?p=999",
    "/2023/11/14/first-frost/comment-page-x/", "/2023/11/14/first-frost/2/3/",
])
async def test_an_old_link_to_a_post_not_shown_here_is_404(serve: Serve, old: str) -> None:
    client = await serve("wordpress", WXR)
    resp = await client.get(old, allow_redirects=False)
    assert resp.status == 404


async def test_an_old_link_to_a_post_deleted_here_is_404(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    assert client.app is not None
    site = client.app[SITES].default
    frost = await client.app[STORE].get_post(site.id, FROST)
    olds = ("/2023/11/14/first-frost/", "/?p=101", "/index.php/2023/11/14/first-frost/",
            "/index.php?p=101", "/2023/11/14/first-frost/2/",
            "/2023/11/14/first-frost/comment-page-2/", "/?p=101&cpage=2")
    for old in olds:
        await redirect(client, old)

    await client.app[PUBLISHER].delete_post(site, frost, client.app[CLOCK].now())

    for old in olds:
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 404, old


async def test_an_old_link_to_a_page_lands_on_it_when_pages_came_in(serve: Serve) -> None:
    client = await serve("wordpress", WXR, include_pages=True)
    about = await page_of(client, "https://ledger.example.org/?page_id=107")

    for old in ("/about/", "/about", "/?page_id=107", "/?p=107"):
        assert await redirect(client, old) == about, old
    _, body = await follow(client, about)
    assert b"About the allotment" in body


async def test_with_wordpress_urls_off_old_post_links_are_404_and_the_home_page_is_home(
    serve: Serve,
) -> None:
    client = await serve("wordpress", WXR)
    assert client.app is not None
    store, site = client.app[STORE], client.app[SITES].default
    await store.update_site(site.id, {"wordpress_urls": False})
    client.app[SITES].replace(await store.sites())  # as PATCH /api/sites/ID does

    for old in ("/2023/11/14/first-frost/", "/2023/11/14/first-frost", "/feed/",
                "/?p=101&feed=rss2", "/index.php", "/index.php?p=101", "/index.php/feed/",
                "/index.php/2023/11/14/first-frost/", "/2023/11/14/first-frost/2/",
                "/2023/11/14/first-frost/comment-page-2/", "/category/garden/", "/tag/frost/",
                "/author/marta/", "/index.php?cat=4"):
        resp = await client.get(old, allow_redirects=False)
        assert resp.status == 404, old
    for old in ("/?p=101", "/?p=101&cpage=2", "/?cat=4", "/?tag=frost", "/?author=1"):
        home = await client.get(old, allow_redirects=False)
        assert home.status == 200, old
        assert "<h1>" in await home.text()


async def test_syndics_own_post_urls_keep_their_meaning(serve: Serve) -> None:
    client = await serve("wordpress", WXR)
    frost = await page_of(client, FROST)

    resp = await client.get(URL(frost).path, allow_redirects=False)

    assert resp.status == 200


HTML_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old blog</title><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Midnight sowing</title><guid isPermaLink="false">https://old.example/?p=40</guid>
<link>https://old.example/2024/04/midnight-sowing.html</link>
<content:encoded><![CDATA[<p>Sown by torchlight.</p>]]></content:encoded>
<wp:post_id>40</wp:post_id><wp:post_date_gmt>2024-03-31 14:30:00</wp:post_date_gmt>
<wp:post_name>midnight-sowing</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
</channel></rss>
"""


async def test_an_html_permalink_the_old_blog_dated_in_its_own_zone_lands_on_the_post(
    serve: Serve, tmp_path: Path,
) -> None:
    # The blog was at UTC+10: WordPress put 14:30 UTC on 31 March in April's path; this
    # site is in UTC, where the post's own URL is in March. Same shape, different month.
    export = tmp_path / "html-permalinks.xml"
    export.write_text(HTML_EXPORT, encoding="utf-8")
    client = await serve("wordpress", export)

    location = await redirect(client, "/2024/04/midnight-sowing.html")

    assert location == f"{BASE}/2024/03/midnight-sowing.html"
    _, body = await follow(client, location)
    assert b"Sown by torchlight." in body
