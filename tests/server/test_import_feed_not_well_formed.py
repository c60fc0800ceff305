"""A blogger importing a feed that is not XML (a download cut off, a tag closed by another),
by `syndic import feed FILE` (a real process), as an upload to `POST /api/imports?kind=feed`,
or by URL: one line naming the line (a 400 problem+json from the API), a failed run, and
nothing stored, not even the entries before the break or the pages before the broken one.
A feed that is only messy (HTML entities, a prefix never declared) imports as ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.server.api_conftest import Api

FIXTURES = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures" / "feed"
Serve = Callable[..., Awaitable[TestServer]]
RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>\n'
ATOM_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
             '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>\n')
BROKEN = {
    "truncated rss": (
        RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n"
        "<item><guid>g2</guid><title>Two</tit",
        "line 4: not well-formed XML: unclosed token"),
    "mismatched tag": (
        RSS_HEAD + "<item><guid>g1</guid><title>One</title></item>\n"
        "<item><guid>g4</guid><title>Four</wrong></item>\n</channel></rss>",
        "line 4: not well-formed XML: mismatched tag"),
    "truncated atom": (
        ATOM_HEAD + "<entry><id>a1</id><title>One</title></entry>\n<entry><id>a2</id><title>Tw",
        "line 4: not well-formed XML: no element found"),
}
MESSY = (b"\n" + (FIXTURES / "rss2.xml").read_bytes()
         .replace(b"&#8217;", b"&rsquo;")  # an entity only HTML declares
         .replace(b'\n     xmlns:dc="http://purl.org/dc/elements/1.1/"', b""))  # dc: undeclared


def syndic(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNDIC_")},
        "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}",
        "SYNDIC_SERVER__PUBLIC_URL": "http://blog.test",
    }
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)


def stored_titles(tmp_path: Path) -> list[str]:
    listed = syndic(tmp_path, "post", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line)["title"] for line in listed.stdout.splitlines()]


# --- syndic import feed FILE --------------------------------------------------------------------


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_feed_file_stops_the_import_in_one_line_naming_its_line(
    tmp_path: Path, case: str,
) -> None:
    text, problem = BROKEN[case]
    (tmp_path / "feed.xml").write_text(text, encoding="utf-8")

    result = syndic(tmp_path, "import", "feed", "feed.xml")

    assert result.returncode != 0
    assert result.stderr.splitlines() == [f"syndic: feed.xml: {problem}"]
    assert result.stdout == ""
    assert stored_titles(tmp_path) == []  # not even "One", before the break


def test_a_messy_but_well_formed_feed_file_still_imports(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(MESSY)

    result = syndic(tmp_path, "import", "feed", "feed.xml", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["posts"]["added"] == 4
    assert [s["reason"] for s in report["skipped"]] == ["no id and no link"]
    assert "Fish & chips in St. John’s" in stored_titles(tmp_path)


# --- POST /api/imports --------------------------------------------------------------------------


@pytest.fixture
async def api(make_api: Callable[..., Awaitable[Api]]) -> Api:
    """syndic on an empty store, fetching from loopback allowed (the feeds are served there)."""
    return await make_api(api={"import_fetch_private": True})


async def assert_nothing_stored_and_one_failed_run(api: Api, problem: str) -> None:
    assert (await api.get("/api/posts", expect=200)).json["total"] == 0
    runs = (await api.get("/api/imports", expect=200)).json["items"]
    assert [(r["state"], r["report"]["error"]) for r in runs] == [("failed", problem)]


@pytest.mark.parametrize("case", BROKEN)
async def test_a_broken_feed_upload_is_a_400_naming_its_line(api: Api, case: str) -> None:
    text, problem = BROKEN[case]

    reply = await api.post("/api/imports?kind=feed", data=text.encode(), expect=400)

    # (a feed is read whole before anything is stored: the run, named, stored nothing)
    assert reply.is_problem and reply.field == "body"
    assert reply.json["detail"] == f"{problem}; import 1 stored nothing"
    await assert_nothing_stored_and_one_failed_run(api, problem)


async def test_a_feed_url_whose_second_page_is_broken_stores_not_even_the_first(
    api: Api, aiohttp_server: Serve,
) -> None:
    first = (ATOM_HEAD.replace("<title>T</title>", "<title>T</title>"
                               "<link rel='next' href='/feed.atom?page=2'/>")
             + "<entry><id>tag:p1</id><title>Page one</title>"
               "<updated>2024-03-01T10:00:00Z</updated></entry>\n</feed>")
    second, problem = BROKEN["truncated atom"]
    asked: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        body = second if request.query.get("page") == "2" else first
        return web.Response(text=body, content_type="application/atom+xml")

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    url = str((await aiohttp_server(app)).make_url("/feed.atom"))

    reply = await api.post(f"/api/imports?kind=feed&url={quote(url, safe='')}", expect=400)

    assert asked == ["/feed.atom", "/feed.atom?page=2"]
    assert reply.is_problem and reply.field == "url"
    assert reply.json["detail"] == f"{problem}; import 1 stored nothing"
    await assert_nothing_stored_and_one_failed_run(api, problem)


async def test_a_messy_but_well_formed_feed_upload_still_imports(api: Api) -> None:
    reply = await api.post("/api/imports?kind=feed", data=MESSY, expect=201)

    assert reply.json["state"] == "done"
    assert reply.json["report"]["posts"] == {"added": 4, "updated": 0, "unchanged": 0}
    titles = {p["title"] for p in (await api.get("/api/posts", expect=200)).json["items"]}
    assert "Fish & chips in St. John’s" in titles

