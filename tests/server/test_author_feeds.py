"""Two authors whose names make one slug ("José Núñez" and "Jose Nunez"), or two of one name
with other addresses, or two WordPress users of one display name, each have a feed of their
own: a reader of one sees that author's posts only. The first keeps the plain URL (so a URL
readers already hold never changes), the next gets "-2", and a URL once given never moves:
not when the first author's posts are deleted, not on a restart, not on a re-import. The API,
the command line, the site's page and its OPML give each author's own URL."""

from __future__ import annotations

import json
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
from server.importing import file_source, run_import
from tests.server.api_conftest import ATOM, TOKEN, Api, until
from tests.server.conftest import Cli, Client, FastTestServer
from tests.server.test_wordpress_urls import follow, ids_in, redirect

BASE = "http://blog.test"
JOSE, JOSE_2 = "/feeds/authors/jose-nunez/default", "/feeds/authors/jose-nunez-2/default"
MakeApi = Callable[..., Awaitable[Api]]


async def shows(api: Api, path: str, titles: list[str] | None) -> None:
    """The feed at `path` comes to show `titles` (None: it answers 404)."""
    await until(lambda: api.feed_titles(path), lambda found: found == titles)


async def test_two_authors_whose_names_make_one_slug_each_have_their_own_feed(
    api: Api,
) -> None:
    tapas = await api.create_post(title="Tapas", authors=[{"name": "José Núñez"}])
    paella = await api.create_post(title="Paella", authors=[{"name": "Jose Nunez"}])

    assert tapas["authors"] == [{"name": "José Núñez", "uri": None, "email": None,
                                 "feed": BASE + JOSE}]
    assert paella["authors"][0]["feed"] == BASE + JOSE_2
    await shows(api, JOSE_2, ["Paella"])
    await shows(api, JOSE, ["Tapas"])
    title = etree.fromstring((await api.feed(JOSE_2)).text.encode()).findtext(f"{ATOM}title")
    assert title is not None and title.endswith(": posts by Jose Nunez")
    listed = (await api.get("/api/posts", expect=200)).json["items"]
    assert [p["authors"][0]["feed"] for p in listed] == [BASE + JOSE_2, BASE + JOSE]


async def test_one_name_with_two_addresses_is_two_authors(api: Api) -> None:
    await api.create_post(title="Roots", authors=[{"name": "Sam Lee",
                                                   "email": "sam@example.org"}])
    await api.create_post(title="Shoots", authors=[{"name": "Sam Lee",
                                                    "email": "samuel@example.net"}])
    # No address: the first Sam Lee met.
    leaves = await api.create_post(title="Leaves", authors=[{"name": "Sam Lee"}])

    assert leaves["authors"][0]["feed"] == f"{BASE}/feeds/authors/sam-lee/default"
    await shows(api, "/feeds/authors/sam-lee/default", ["Leaves", "Roots"])
    await shows(api, "/feeds/authors/sam-lee-2/default", ["Shoots"])


async def test_the_site_page_and_the_opml_list_each_authors_own_feed(api: Api) -> None:
    await api.create_post(title="Tapas", authors=[{"name": "José Núñez"}])
    await api.create_post(title="Paella", authors=[{"name": "Jose Nunez"}])
    await shows(api, JOSE_2, ["Paella"])

    page = (await api.feed("/")).text
    for name, path in (("José Núñez", JOSE), ("Jose Nunez", JOSE_2)):
        assert (f'<link rel="alternate" type="application/atom+xml" title="syndic: posts by '
                f'{name} (atom)" href="{BASE}{path}">') in page
    outlines = {o.get("xmlUrl"): o.get("title") for o in etree.fromstring(
        (await api.feed("/feeds.opml")).text.encode()).iter("outline")}
    assert outlines[BASE + JOSE].endswith(": posts by José Núñez")
    assert outlines[BASE + JOSE_2].endswith(": posts by Jose Nunez")


async def test_a_url_once_given_stays_with_its_author_when_the_first_authors_posts_go(
    api: Api,
) -> None:
    tapas = await api.create_post(title="Tapas", authors=[{"name": "José Núñez"}])
    await api.create_post(title="Paella", authors=[{"name": "Jose Nunez"}])
    await shows(api, JOSE, ["Tapas"])

    await api.delete(f"/api/posts/{tapas['id']}", expect=204)
    flan = await api.create_post(title="Flan", authors=[{"name": "Jose Nunez"}])
    other = await api.create_post(title="Gazpacho", authors=[{"name": "José Nuñez"}])

    # The first author's URL shows nothing now (404): never the other Jose's posts.
    await shows(api, JOSE, None)
    assert flan["authors"][0]["feed"] == BASE + JOSE_2
    assert other["authors"][0]["feed"] == f"{BASE}/feeds/authors/jose-nunez-3/default"
    await shows(api, JOSE_2, ["Flan", "Paella"])


async def test_a_server_started_again_on_the_store_links_an_author_to_the_same_feed(
    make_api: MakeApi,
) -> None:
    first = await make_api()
    await first.create_post(title="Tapas", authors=[{"name": "José Núñez"}])
    await first.create_post(title="Paella", authors=[{"name": "Jose Nunez"}])
    await shows(first, JOSE_2, ["Paella"])

    again = await make_api(fast=False)  # another server on the same store
    flan = await again.create_post(title="Flan", authors=[{"name": "Jose Nunez"}])

    assert flan["authors"][0]["feed"] == BASE + JOSE_2
    await shows(again, JOSE_2, ["Flan", "Paella"])
    await shows(again, JOSE, ["Tapas"])


def test_the_command_line_shows_each_authors_feed(syndic: Cli, tmp_path: Path) -> None:
    for title, author in (("Tapas", "José Núñez"), ("Paella", "Jose Nunez")):
        (tmp_path / f"{title}.md").write_text(
            f'---\ntitle: "{title}"\nauthors: [{{name: "{author}"}}]\n'
            "published: 2026-11-23T23:00:00+01:00\n---\n<p>Hola.</p>\n", encoding="utf-8")
        assert syndic("post", "add", f"{title}.md").code == 0

    shown = syndic("post", "show", "paella")
    as_json = json.loads(syndic("post", "show", "paella", "--json").out)

    assert shown.code == 0
    assert "author: Jose Nunez (http://localhost:8080/feeds/authors/jose-nunez-2/default)" in (
        shown.out.splitlines())
    assert as_json["authors"][0]["feed"] == "http://localhost:8080" + JOSE_2


# --- WordPress: two users of one display name, imported and imported again --------------------

USERS = {
    "sam": '<wp:author><wp:author_id>7</wp:author_id><wp:author_login><![CDATA[sam]]>'
           '</wp:author_login><wp:author_display_name><![CDATA[Sam Lee]]>'
           '</wp:author_display_name></wp:author>',
    "samuel": '<wp:author><wp:author_id>8</wp:author_id><wp:author_login><![CDATA[samuel]]>'
              '</wp:author_login><wp:author_display_name><![CDATA[Sam Lee]]>'
              '</wp:author_display_name></wp:author>',
}


def export(users: list[str]) -> str:
    items = "".join(f"""
<item><title>By {login}</title><guid isPermaLink="false">https://old.example/?p={n}</guid>
<link>https://old.example/2024/03/0{n}/{login}/</link><dc:creator>{login}</dc:creator>
<content:encoded><![CDATA[<p>{login} writes.</p>]]></content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2024-03-0{n} 09:00:00</wp:post_date_gmt>
<wp:post_name>by-{login}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>""" for n, login in ((1, "sam"), (2, "samuel")))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Old blog</title><wp:wxr_version>1.2</wp:wxr_version>
{"".join(USERS[u] for u in users)}{items}
</channel></rss>
"""


@pytest.fixture
def imported(aiohttp_client: Callable[..., Awaitable[Client]],
             make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str,
             ) -> Callable[..., Awaitable[Api]]:
    """syndic serving a store each export given was imported into, in turn."""

    async def start(*exports: str) -> Api:
        settings = make_settings(api={"tokens": [TOKEN]})
        store = await open_store(sqlite_url)
        try:
            site = (await ensure_sites(store, settings, clock))[0]
            ctx = make_publisher(store, settings, InlineRenderer(FeedRenderer(1))).ctx
            for text in exports:
                await run_import(store, site, ctx,
                                 file_source("wordpress", text.encode(), "blog.xml"), clock.now)
        finally:
            await store.close()
        app = create_app(settings, clock=clock)
        return Api(await aiohttp_client(FastTestServer(app)), clock)

    return start


@pytest.mark.parametrize("again", [
    [],  # imported once
    [export(["sam", "samuel"])],  # the same export again
    [export(["samuel", "sam"])],  # an export listing the users the other way round
])
async def test_two_wordpress_users_of_one_display_name_keep_a_feed_each_through_reimports(
    imported: Callable[..., Awaitable[Api]], again: list[str],
) -> None:
    client = (await imported(export(["sam", "samuel"]), *again)).client

    for old, feed, post in (("/author/sam/feed/", "sam-lee", 1),
                            ("/?author=8&feed=rss2", "sam-lee-2", 2)):
        location = await redirect(client, old)
        assert URL(location) == URL(f"{BASE}/feeds/authors/{feed}/default?alt=rss")
        _, body = await follow(client, location)
        assert ids_in(body) == {f"https://old.example/?p={post}"}


async def test_an_imported_post_edited_through_the_api_stays_with_its_wordpress_user(
    imported: Callable[..., Awaitable[Api]],
) -> None:
    api = await imported(export(["sam", "samuel"]))
    post = (await api.get("/api/posts/by-samuel", expect=200)).json
    assert post["authors"][0]["feed"] == f"{BASE}/feeds/authors/sam-lee-2/default"

    # Its authors sent back as read: still Samuel, not the first Sam Lee.
    edited = (await api.patch(f"/api/posts/{post['id']}", {
        "title": "By samuel, edited",
        "authors": [{k: a[k] for k in ("name", "uri", "email")} for a in post["authors"]],
    }, expect=200)).json

    assert edited["authors"] == post["authors"]
    await shows(api, "/feeds/authors/sam-lee-2/default", ["By samuel, edited"])
    await shows(api, "/feeds/authors/sam-lee/default", ["By sam"])
