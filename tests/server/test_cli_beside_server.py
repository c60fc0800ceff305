"""An operator using the command line beside a running server, and the command line's
mistakes that used to change the wrong thing: a site changed, made or removed with `syndic
site` is served as it is now; a post file whose slug is a number is not that post; a
token is revoked by its id or its name, never both; ids past 64 bits are "no such"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.server.api_conftest import Api, until
from tests.server.test_api_sites_labels import feed_title
from tests.server.test_cli import syndic
from tests.server.test_cli_publishing import as_json, ok, refused


async def cli(tmp_path: Path, *args: str) -> str:
    result = await asyncio.to_thread(syndic, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_a_site_changed_from_the_command_line_is_served_changed(
    api: Api, tmp_path: Path,
) -> None:
    await cli(tmp_path, "site", "set", "1", "title=Changed on the command line")
    await until(lambda: feed_title(api, "localhost"),
                lambda title: title == "Changed on the command line")
    assert (await api.get("/api/sites/1")).json["title"] == "Changed on the command line"


async def test_a_site_made_and_removed_from_the_command_line_comes_and_goes(
    api: Api, tmp_path: Path,
) -> None:
    await cli(tmp_path, "site", "create", "cli.test", "--title", "Made on the command line")
    await until(lambda: feed_title(api, "cli.test"),
                lambda title: title == "Made on the command line")
    await cli(tmp_path, "site", "rm", "cli.test")
    await until(lambda: feed_title(api, "cli.test"), lambda title: title == "syndic")


async def test_a_host_another_site_has_in_other_case_is_refused_everywhere(
    api: Api, tmp_path: Path,
) -> None:
    other = (await api.post("/api/sites", {"host": "second.test", "title": "Second"},
                            expect=201)).json
    default_host = (await api.get("/api/sites/1")).json["host"]
    reply = await api.patch(f"/api/sites/{other['id']}", {"host": default_host.upper()},
                            expect=400)
    assert reply.field == "host" and "another site" in reply.json["detail"]
    assert "another site" in (await asyncio.to_thread(
        refused, tmp_path, "site", "set", "second.test", f"host={default_host.title()}"))
    assert await feed_title(api, default_host) == "syndic"
    await api.patch(f"/api/sites/{other['id']}", {"host": "SECOND.test"}, expect=200)


def test_a_post_file_whose_slug_is_a_number_adds_a_post(tmp_path: Path) -> None:
    first = _add(tmp_path, "first.md", "title: First post\nslug: first")
    numbered = _add(tmp_path, "n.md", f'title: Totally new post\nslug: "{first["id"]}"')
    assert numbered["id"] != first["id"]
    [kept] = as_json(tmp_path, "post", "show", str(first["id"]))
    assert kept["title"] == "First post"


def test_adding_the_file_of_a_deleted_post_again_does_not_bring_it_back(
    tmp_path: Path,
) -> None:
    post = _add(tmp_path, "gone.md", "title: Gone for good")
    ok(tmp_path, "post", "rm", str(post["id"]))
    line = refused(tmp_path, "post", "add", "gone.md")
    assert "gone.md" in line and "deleted" in line
    assert [p["status"] for p in as_json(tmp_path, "post", "list", "--status", "deleted")] == [
        "deleted"]


def _add(tmp_path: Path, name: str, front: str) -> dict[str, object]:
    (tmp_path / name).write_text(f"---\n{front}\n---\n<p>Body.</p>\n", encoding="utf-8")
    [post] = as_json(tmp_path, "post", "add", name)
    return post  # type: ignore[no-any-return]


def test_a_token_is_revoked_by_its_id_or_its_name_never_both(tmp_path: Path) -> None:
    [first] = as_json(tmp_path, "token", "create", "laptop")
    [second] = as_json(tmp_path, "token", "create", "ci")
    ok(tmp_path, "token", "revoke", str(first["id"]))
    assert [t["name"] for t in as_json(tmp_path, "token", "list")] == ["ci"]
    assert "revoked 1" in ok(tmp_path, "token", "revoke", "ci")
    assert second["id"] != first["id"]


def test_a_token_name_is_one_line_not_a_number_and_nobody_elses(tmp_path: Path) -> None:
    ok(tmp_path, "token", "create", "ci")
    assert "another token" in refused(tmp_path, "token", "create", "ci")
    assert "number" in refused(tmp_path, "token", "create", "6")
    assert "name" in refused(tmp_path, "token", "create", "")
    assert "name" in refused(tmp_path, "token", "create", "x\x01y")
    assert [t["name"] for t in as_json(tmp_path, "token", "list")] == ["ci"]


def test_an_id_past_64_bits_is_no_such_comment(tmp_path: Path) -> None:
    post = _add(tmp_path, "p.md", "title: Commented")
    huge = "99999999999999999999999"
    for verb in ("show", "approve", "rm"):
        assert "no comment" in refused(tmp_path, "comment", verb, huge)
    assert "parent_id" in refused(tmp_path, "comment", "add", str(post["id"]), "--author", "A",
                                  "--content", "x", "--parent", huge)


def test_a_comment_from_the_command_line_follows_the_apis_rules(tmp_path: Path) -> None:
    post = _add(tmp_path, "c.md", "title: To comment on")
    ref = str(post["id"])
    assert "content_html" in refused(tmp_path, "comment", "add", ref, "--author", "A",
                                     "--content", "")
    assert "content_html" in refused(tmp_path, "comment", "add", ref, "--author", "A",
                                     "--content", "<script>x()</script>")
    assert "author.uri" in refused(tmp_path, "comment", "add", ref, "--author", "A",
                                   "--uri", "javascript:alert(1)", "--content", "Hi")
    assert "one of the two" in refused(tmp_path, "comment", "add", ref, "--author", "A",
                                       "--content", "x", "--file", "c.md")
    [made] = as_json(tmp_path, "comment", "add", ref, "--author", "A", "--email",
                     "a@example.com", "--uri", "https://a.example/", "--content", "<p>Hi</p>")
    assert made["author"]["email"] == "a@example.com"
