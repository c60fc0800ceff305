"""`syndic import blogger|wordpress|feed` run as a real process on the fixture exports, a feed
fetched from a real server on loopback, and `POST /api/imports` on a running syndic: a
summary line, every skipped item with its reason, JSON that parses, a second run that
changes nothing, and one line on stderr (no traceback) for a file that cannot be read."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from feeds.imports.items import PAGE_LEFT_OUT
from tests.feeds.imports.test_wordpress_parser import item, wxr
from tests.server.api_conftest import Api

FIXTURES = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures"
SUMMARY = re.compile(
    r"import \d+: posts: (\d+) added, (\d+) updated, (\d+) unchanged; comments: (\d+) added, "
    r"(\d+) updated, (\d+) unchanged; (\d+) skipped in [\d.]+ s \(\d+ posts/s\)")


def syndic(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNDIC_")},
        "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}",
        "SYNDIC_SERVER__PUBLIC_URL": "http://blog.test",
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120,
    )


def note_line(item: dict[str, str]) -> str:
    title = f" {item['title']!r}" if item["title"] else ""
    return f"note on {item['where']}{title}: {item['note']}"


def skipped_line(item: dict[str, str]) -> str:
    title = f" {item['title']!r}" if item["title"] else ""
    return f"skipped {item['where']}{title}: {item['reason']}"


@pytest.mark.parametrize(("kind", "name", "posts", "comments"), [
    ("blogger", "blogger/takeout.atom", 8, 6),
    ("blogger", "blogger/legacy.xml", 8, 4),
    ("wordpress", "wordpress/export-1.2.xml", 6, 6),
    ("feed", "feed/feed.json", 3, 0),
])
def test_an_import_prints_a_summary_and_each_skipped_item_and_a_second_changes_nothing(
    tmp_path: Path, kind: str, name: str, posts: int, comments: int,
) -> None:
    export = str(FIXTURES / name)
    first = syndic(tmp_path, "import", kind, export)

    assert first.returncode == 0, first.stderr
    summary = SUMMARY.fullmatch(first.stdout.strip())
    assert summary is not None, first.stdout
    added, updated, unchanged, c_added, c_updated, c_unchanged, skipped = map(
        int, summary.groups())
    assert (added, updated, unchanged) == (posts, 0, 0)
    assert (c_added, c_updated, c_unchanged) == (comments, 0, 0)

    second = syndic(tmp_path, "import", kind, export, "--json")

    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["posts"] == {"added": 0, "updated": 0, "unchanged": posts}
    assert report["comments"] == {"added": 0, "updated": 0, "unchanged": comments}
    # The first run listed each item it skipped, with the reason, one per line, then the
    # notes (a Blogger post without a date, dated by its path).
    assert skipped == len(report["skipped"]) > 0
    assert first.stderr.splitlines() == [skipped_line(s) for s in report["skipped"]] + [
        note_line(n) for n in report["notes"]]
    assert all(s["reason"] for s in report["skipped"])
    assert second.stderr == ""


def test_pages_are_imported_with_the_pages_option(tmp_path: Path) -> None:
    export = str(FIXTURES / "wordpress" / "export-1.2.xml")
    result = syndic(tmp_path, "import", "wordpress", export, "--pages", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["posts"]["added"] == 7
    assert all("page" not in s["reason"] for s in report["skipped"])


@pytest.mark.parametrize(("kind", "name", "line"), [
    ("wordpress", "wordpress/malformed.xml", "line 28"),
    ("blogger", "blogger/malformed.atom", "line 28"),
    ("feed", "feed/broken.xml", "line 8"),
    ("feed", "feed/broken.json", "line 6"),
    ("wordpress", "blogger/takeout.atom", "line 5"),  # the wrong kind of export
])
def test_a_malformed_file_is_one_line_on_stderr_naming_the_line(
    tmp_path: Path, kind: str, name: str, line: str,
) -> None:
    result = syndic(tmp_path, "import", kind, str(FIXTURES / name))

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert line in lines[0] and lines[0].startswith("syndic: ")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_what_came_before_the_bad_part_of_a_malformed_export_is_stored(tmp_path: Path) -> None:
    assert syndic(tmp_path, "import", "wordpress",
                  str(FIXTURES / "wordpress" / "malformed.xml")).returncode != 0
    listed = syndic(tmp_path, "post", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["title"] for line in listed.stdout.splitlines()] == ["Leeks"]


def test_an_export_cut_off_mid_entry_names_the_entry_and_says_what_came_in_before_it(
    tmp_path: Path,
) -> None:
    """A Takeout download that stopped part-way: the posts and comments before the break are
    stored, and the one line says so, with the entry the break cut off."""
    whole = (FIXTURES / "blogger" / "takeout.atom").read_text()
    start = whole.index("<entry>", whole.index("6633445566778899001") - 400)
    (tmp_path / "feed.atom").write_text(whole[:whole.index("</content>", start)])

    shown = syndic(tmp_path, "import", "blogger", "feed.atom")

    assert shown.returncode == 2 and shown.stdout == ""
    (line,) = shown.stderr.splitlines()
    cut = re.fullmatch(
        r"syndic: feed\.atom: line (\d+): not well-formed XML: the file ends inside <content> "
        r"\(begun on line \d+\); (entry \d+ \(line \d+\)) is cut off: not imported; "
        r"import (\d+) stored what came before: posts: 8 added, 0 updated, 0 unchanged; "
        r"comments: 0 added, 0 updated, 0 unchanged; (\d+) skipped", line)
    assert cut is not None, line
    listed = syndic(tmp_path, "post", "list", "--json")
    assert len(listed.stdout.splitlines()) == 8

    # A script gets the run's report as JSON, with the error, and the same exit.
    again = syndic(tmp_path, "import", "blogger", "feed.atom", "--json")
    assert again.returncode == 2 and len(again.stderr.splitlines()) == 1
    report = json.loads(again.stdout)
    assert report["import"] == int(cut[3]) + 1
    assert report["error"] == line.split(": ", 2)[2].split("; import ")[0]
    assert report["posts"] == {"added": 0, "updated": 0, "unchanged": 8}
    assert {"where": cut[2], "title": "", "reason": "cut off where the file breaks"} in [
        {**s, "title": ""} for s in report["skipped"]]


@pytest.mark.parametrize("kind", ["blogger", "wordpress", "feed"])
def test_a_file_that_is_not_there_is_one_line_naming_it(tmp_path: Path, kind: str) -> None:
    result = syndic(tmp_path, "import", kind, "no-such-export.xml")

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-export.xml" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("source", "problem"), [
    ("no-such-export.xml", "No such file or directory"),
    ("a-folder", "Is a directory"),
])
def test_an_export_that_cannot_be_read_is_named_whole_with_the_systems_words(
    tmp_path: Path, source: str, problem: str,
) -> None:
    (tmp_path / "a-folder").mkdir()
    result = syndic(tmp_path, "import", "blogger", str(tmp_path / source))

    assert result.returncode == 2
    assert result.stderr == f"syndic: {tmp_path / source}: {problem}\n"


# -- a feed on the web, two pages long ----------------------------------------------------


def atom_page(page: int, next_href: str | None) -> str:
    entries = "".join(
        f"<entry><id>tag:old.example,2024:post-{page}-{n}</id><title>Page {page}, post {n}</title>"
        f"<published>2024-0{page}-0{n}T10:00:00Z</published><updated>2024-0{page}-0{n}T10:00:00Z"
        f"</updated><link href='https://old.example/{page}/{n}.html'/>"
        f"<content type='html'>&lt;p&gt;Words {page}.{n}&lt;/p&gt;</content></entry>"
        for n in (1, 2))
    nxt = f"<link rel='next' href='{next_href}'/>" if next_href else ""
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<id>tag:old.example,2024:feed</id><title>Old</title><updated>2024-03-01T00:00:00Z"
            f"</updated><author><name>Old Author</name></author>{nxt}{entries}</feed>")


async def test_a_feed_url_is_imported_with_the_pages_after_it(
    tmp_path: Path, aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    asked: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        page = int(request.query.get("page", "1"))
        body = atom_page(page, "/feed.atom?page=2" if page == 1 else None)
        return web.Response(text=body, content_type="application/atom+xml")

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    server = await aiohttp_server(app)
    url = str(server.make_url("/feed.atom"))

    result = await asyncio.to_thread(syndic, tmp_path, "import", "feed", url, "--json")

    assert result.returncode == 0, result.stderr
    assert asked == ["/feed.atom", "/feed.atom?page=2"]
    report = json.loads(result.stdout)
    assert report["posts"]["added"] == 4 and report["skipped"] == []
    listed = await asyncio.to_thread(syndic, tmp_path, "post", "list", "--json")
    titles = {json.loads(line)["title"] for line in listed.stdout.splitlines()}
    assert titles == {f"Page {p}, post {n}" for p in (1, 2) for n in (1, 2)}
    again = await asyncio.to_thread(syndic, tmp_path, "import", "feed", url, "--json")
    assert json.loads(again.stdout)["posts"] == {"added": 0, "updated": 0, "unchanged": 4}


def test_a_feed_url_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    result = syndic(tmp_path, "import", "feed", "http://127.0.0.1:9/feed.atom")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "127.0.0.1:9" in lines[0], result.stderr


# -- the admin API -------------------------------------------------------------------------


async def test_an_export_posted_to_the_api_is_imported_and_its_report_returned(
    api: Api,
) -> None:
    wxr = (FIXTURES / "wordpress" / "export-1.2.xml").read_bytes()
    assert (await api.post("/api/imports?kind=wordpress", data=wxr, auth=False)).status == 401

    reply = await api.post("/api/imports?kind=wordpress", data=wxr, expect=201)

    run: dict[str, Any] = reply.json
    assert run["state"] == "done" and run["finished"]
    assert run["report"]["posts"] == {"added": 6, "updated": 0, "unchanged": 0}
    assert run["report"]["comments"]["added"] == 6
    reasons = {s["title"]: s["reason"] for s in run["report"]["skipped"]}
    assert reasons["Old seed list"] == "in the trash"
    assert reasons["About the allotment"] == PAGE_LEFT_OUT
    assert reply.headers["Location"] == f"/api/imports/{run['id']}"
    assert (await api.get(reply.headers["Location"], expect=200)).json == run
    again = await api.post("/api/imports?kind=wordpress", data=wxr, expect=201)
    assert again.json["report"]["posts"] == {"added": 0, "updated": 0, "unchanged": 6}


async def test_a_malformed_upload_is_a_400_naming_the_line_and_a_failed_run(api: Api) -> None:
    bad = (FIXTURES / "wordpress" / "malformed.xml").read_bytes()

    reply = await api.post("/api/imports?kind=wordpress", data=bad)

    assert reply.status == 400 and reply.is_problem
    assert "line 28" in reply.json["detail"]
    runs = (await api.get("/api/imports", expect=200)).json["items"]
    assert [r["state"] for r in runs] == ["failed"]
    assert runs[0]["report"]["error"].startswith("line 28:")
    assert runs[0]["report"]["posts"]["added"] == 1  # the post before the bad part


def test_a_date_that_is_no_date_is_noted_on_the_command_line_and_in_the_report(
    tmp_path: Path,
) -> None:
    dates = ("<wp:post_date_gmt>2020-02-30 10:00:00</wp:post_date_gmt>"
             "<wp:post_date>2020-02-28 10:00:00</wp:post_date>")
    (tmp_path / "odd.xml").write_bytes(wxr(item(dates=dates)).getvalue())

    shown = syndic(tmp_path, "import", "wordpress", "odd.xml")
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.splitlines() == [
        "note on item 1 (line 6) 'Post 1': not a date, left out: '2020-02-30 10:00:00' "
        "(published: 2020-02-28T10:00:00+00:00)"]
    report = json.loads(syndic(tmp_path, "import", "wordpress", "odd.xml", "--json").stdout)
    assert [n["note"][:33] for n in report["notes"]] == ["not a date, left out: '2020-02-30"]
    assert report["posts"]["unchanged"] == 1 and report["skipped"] == []


def test_a_wordpress_draft_without_a_date_yet_is_dated_when_it_is_published(
    tmp_path: Path,
) -> None:
    # WordPress's zero post_date_gmt on a draft: "not dated yet" (the local date floats).
    draft = item("7", dates="<wp:post_date>2020-07-01 09:00:00</wp:post_date>"
                 "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>"
                 ).replace("<wp:status>publish</wp:status>", "<wp:status>draft</wp:status>")
    (tmp_path / "export.xml").write_bytes(wxr(draft).getvalue())
    assert syndic(tmp_path, "import", "wordpress", "export.xml").returncode == 0

    done = syndic(tmp_path, "post", "edit", "https://old.example/?p=7", "--status", "published",
                  "--json")

    assert done.returncode == 0, done.stderr
    published = datetime.fromisoformat(json.loads(done.stdout)["published"])
    assert abs(published - datetime.now(UTC)) < timedelta(minutes=5)
