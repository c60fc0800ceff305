"""A blogger moving in keeps their pages as pages: after `syndic import ... --pages`, the
"About" page is at /p/about.html (Blogger's URL, on every site), in /feeds/pages/default in
every format (valid Atom, feedparser reads each with bozo 0), and in no posts feed; its old
WordPress URL leads there. A page made through the API stays out of the site feed too, and
the API lists pages apart from posts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest

from server.clock import FakeClock
from tests.atom_rules import assert_atom_valid
from tests.server.api_conftest import Api, until
from tests.server.conftest import Client
from tests.server.test_wordpress_urls import (
    BASE,
    FIXTURES,
    WXR,
    Serve,
    follow,
    redirect,
    serving_imports,
)

TAKEOUT = FIXTURES / "blogger" / "takeout.atom"


@pytest.fixture(params=["aiohttp", "fast-path"])
def serve(request: pytest.FixtureRequest, aiohttp_client: Callable[..., Awaitable[Client]],
          make_settings: Callable[..., Any], clock: FakeClock, sqlite_url: str) -> Serve:
    return serving_imports(request, aiohttp_client, make_settings, clock, sqlite_url)


async def read(client: Client, path: str) -> bytes:
    resp = await client.get(path)
    assert resp.status == 200, f"{path}: {resp.status}"
    return await resp.read()


async def test_a_blogger_page_is_at_its_blogger_url_and_in_the_pages_feed_only(
    serve: Serve,
) -> None:
    client = await serve("blogger", TAKEOUT, include_pages=True)

    page = (await read(client, "/p/about.html")).decode()
    assert "About the Ledger" in page and "Two cooks, one ledger." in page
    assert 'class="byline"' not in page  # a page is not dated, as on Blogger
    site = await read(client, "/feeds/posts/default")
    assert b"About the Ledger" not in site and b"Dal bhat" in site
    assert b"About the Ledger" not in await read(client, "/feeds/authors/zoe-olafsdottir/default")

    atom = await read(client, "/feeds/pages/default")
    assert_atom_valid(atom)
    for fmt in ("", "?alt=rss", "?alt=json"):
        body = await read(client, f"/feeds/pages/default{fmt}")
        if fmt == "?alt=json":
            doc = json.loads(body)
            assert [i["url"] for i in doc["items"]] == [f"{BASE}/p/about.html"]
            continue
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [e.link for e in parsed.entries] == [f"{BASE}/p/about.html"]
    # Blogger's query parameters, as on every feed; the discovery page lists it.
    assert b"About the Ledger" in await read(client, "/feeds/pages/summary?max-results=1")
    assert b"/feeds/pages/default" in await read(client, "/")
    # A URL the page never had here, with its date: 301 to where it is.
    assert await redirect(client, "/2019/01/about.html") == f"{BASE}/p/about.html"
    # The page alone by its id, as Blogger answers /feeds/pages/default/PAGEID.
    page_id = json.loads(await read(client, "/feeds/pages/default?alt=json"))["items"][0]["id"]
    numeric = page_id.rsplit("-", 1)[-1]
    alone = await read(client, f"/feeds/pages/default/{numeric}")
    assert alone.startswith(b"<?xml") and b"<entry " in alone and b"About the Ledger" in alone
    assert (await client.get("/p/no-such-page.html")).status == 404


async def test_a_site_with_no_pages_answers_an_empty_pages_feed(serve: Serve) -> None:
    client = await serve("blogger", TAKEOUT)  # without --pages

    parsed = feedparser.parse(await read(client, "/feeds/pages/default"))
    assert parsed.bozo == 0 and parsed.entries == []
    assert (await client.get("/p/about.html")).status == 404


async def test_a_wordpress_pages_old_url_leads_to_its_page(serve: Serve) -> None:
    client = await serve("wordpress", WXR, include_pages=True)

    for old in ("/about/", "/?page_id=107"):
        assert await redirect(client, old) == f"{BASE}/p/about.html", old
    _, body = await follow(client, f"{BASE}/p/about.html")
    assert b"About the allotment" in body
    assert b"About the allotment" not in await read(client, "/feeds/posts/default")
    assert b"About the allotment" in await read(client, "/feeds/pages/default")


# --- the admin API ------------------------------------------------------------------------


async def test_a_page_made_through_the_api_stays_out_of_the_site_feed(api: Api) -> None:
    page = await api.create_post(title="Contact", kind="page", labels=["about"])
    post = await api.create_post(title="Hello")
    assert (page["kind"], page["url"]) == ("page", "http://blog.test/p/contact.html")
    assert post["kind"] == "post"

    await until(lambda: api.feed_titles("/feeds/pages/default"), lambda t: t == ["Contact"])
    await until(lambda: api.feed_titles(), lambda t: t == ["Hello"])
    assert await api.feed_titles("/feeds/posts/default/-/about") is None  # no post has it
    listed = (await api.get("/api/posts?kind=page")).json
    assert [p["title"] for p in listed["items"]] == ["Contact"] and listed["total"] == 1
    assert [p["title"] for p in (await api.get("/api/posts?kind=post")).json["items"]] == [
        "Hello"]
    bad = await api.get("/api/posts?kind=article")
    assert (bad.status, bad.field) == (400, "kind")
    refused = await api.post("/api/posts", {"title": "X", "kind": "note"})
    assert (refused.status, refused.field) == (400, "kind")

    # A PATCH without `kind` keeps it; one with it moves the post between the feeds.
    kept = await api.patch(f"/api/posts/{page['id']}", {"title": "Contact us"})
    assert kept.json["kind"] == "page"
    moved = await api.patch(f"/api/posts/{page['id']}", {"kind": "post"})
    assert (moved.json["kind"], moved.json["url"]) == ("post", post["url"].replace(
        "hello", "contact"))
    await until(lambda: api.feed_titles(), lambda t: t == ["Contact us", "Hello"]
                or t == ["Hello", "Contact us"])
    await until(lambda: api.feed_titles("/feeds/pages/default"), lambda t: t == [])


async def test_a_bulk_update_that_names_no_kind_keeps_a_page_a_page(api: Api) -> None:
    """A bulk request sent again (its items update the posts by entry id) without `kind`
    leaves each post what it is, as it leaves a post's date."""
    first = await api.post("/api/posts/bulk", [
        {"title": "About", "kind": "page", "entry_id": "tag:blog.test,2026:about"},
        {"title": "Hello", "entry_id": "tag:blog.test,2026:hello"}], expect=200)
    again = await api.post("/api/posts/bulk", [
        {"title": "About us", "entry_id": "tag:blog.test,2026:about"},
        {"title": "Hello again", "entry_id": "tag:blog.test,2026:hello"}], expect=200)
    assert [r["outcome"] for r in again.json["results"]] == ["updated", "updated"]
    page_id, post_id = (r["id"] for r in first.json["results"])
    assert (await api.get(f"/api/posts/{page_id}")).json["kind"] == "page"
    assert (await api.get(f"/api/posts/{post_id}")).json["kind"] == "post"
    await until(lambda: api.feed_titles("/feeds/pages/default"), lambda t: t == ["About us"])


def test_post_add_page_makes_a_page(syndic: Callable[..., Any], tmp_path: Path) -> None:
    about = tmp_path / "about.md"
    about.write_text("---\ntitle: About\n---\nWho we are.\n", encoding="utf-8")

    added = syndic("post", "add", str(about), "--page", "--json")
    assert added.code == 0, added.err
    made = json.loads(added.out)
    assert made["kind"] == "page" and made["url"].endswith("/p/about.html")
    # Added again without --page, it stays a page.
    again = json.loads(syndic("post", "add", str(about), "--json").out)
    assert again["kind"] == "page"


def test_a_post_file_says_it_is_a_page_in_its_front_matter(
    syndic: Callable[..., Any], tmp_path: Path,
) -> None:
    """`kind: page` in a file's front matter, as `--page` on the command line; an edit with
    `kind: post` makes it a post again; another kind is one line naming the field."""
    about = tmp_path / "about.md"
    about.write_text("---\ntitle: About\nkind: page\n---\nWho we are.\n", encoding="utf-8")
    made = json.loads(syndic("post", "add", str(about), "--json").out)
    assert made["kind"] == "page" and made["url"].endswith("/p/about.html")

    about.write_text("---\ntitle: About\nkind: post\n---\nWho we are.\n", encoding="utf-8")
    edited = syndic("post", "edit", str(made["id"]), "--file", str(about), "--json")
    assert edited.code == 0, edited.err
    assert json.loads(edited.out)["kind"] == "post"

    about.write_text("---\ntitle: About\nkind: note\n---\nx\n", encoding="utf-8")
    refused = syndic("post", "add", str(about))
    assert refused.code == 2 and "kind" in refused.err and "post or page" in refused.err
    assert "Traceback" not in refused.err
