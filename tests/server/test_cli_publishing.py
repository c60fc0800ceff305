"""The command line for writers and operators: posts edited and shown, comments moderated,
sites and API tokens managed; --json for scripts; errors are one line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.server.test_cli import GOOD, syndic


def ok(tmp_path: Path, *args: str) -> str:
    result = syndic(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json(tmp_path: Path, *args: str) -> Any:
    lines = ok(tmp_path, *args, "--json").splitlines()
    return [json.loads(line) for line in lines]


def refused(tmp_path: Path, *args: str) -> str:
    result = syndic(tmp_path, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_a_writer_adds_edits_shows_lists_and_removes_a_post(tmp_path: Path) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    [added] = as_json(tmp_path, "post", "add", "fresh.html")
    assert added["slug"] == "fresh-from-the-cli" and added["status"] == "published"
    [edited] = as_json(tmp_path, "post", "edit", "fresh-from-the-cli", "--title", "Renamed",
                       "--labels", "cli, renamed", "--status", "draft")
    assert (edited["title"], edited["labels"], edited["status"]) == (
        "Renamed", ["cli", "renamed"], "draft")
    assert edited["entry_id"] == added["entry_id"] and edited["version"] == 2
    [shown] = as_json(tmp_path, "post", "show", str(added["id"]))
    assert shown["content_html"] == added["content_html"]
    assert [p["id"] for p in as_json(tmp_path, "post", "list", "--status", "draft")] == [
        added["id"]]
    assert as_json(tmp_path, "post", "list", "--status", "published") == []
    [scheduled] = as_json(tmp_path, "post", "edit", str(added["id"]), "--publish-at",
                          "2031-01-01T09:00:00Z")
    assert scheduled["status"] == "scheduled" and scheduled["publish_at"] == "2031-01-01T09:00:00Z"
    assert "deleted" in ok(tmp_path, "post", "rm", str(added["id"]))
    assert as_json(tmp_path, "post", "list") == []
    assert [p["id"] for p in as_json(tmp_path, "post", "list", "--status", "deleted")] == [
        added["id"]]


def test_an_edit_from_a_file_takes_what_its_front_matter_says_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    [added] = as_json(tmp_path, "post", "add", "fresh.html")
    (tmp_path / "edit.md").write_text(
        '---\ntitle: "From the file"\nlabels: [filelabel]\n---\nNew **body**\n',
        encoding="utf-8")
    [edited] = as_json(tmp_path, "post", "edit", "fresh-from-the-cli", "--file", "edit.md")
    assert (edited["title"], edited["labels"], edited["content_html"]) == (
        "From the file", ["filelabel"], "<p>New <strong>body</strong></p>")
    for kept in ("slug", "published", "authors", "status", "entry_id"):
        assert edited[kept] == added[kept], kept

    # The options win over the file; a file that only has a body changes only the body.
    (tmp_path / "body.md").write_text("---\n---\nOnly this\n", encoding="utf-8")
    [again] = as_json(tmp_path, "post", "edit", "fresh-from-the-cli", "--file", "edit.md",
                      "--title", "From the option")
    assert again["title"] == "From the option"
    [body_only] = as_json(tmp_path, "post", "edit", "fresh-from-the-cli", "--file", "body.md")
    assert (body_only["title"], body_only["content_html"]) == ("From the option",
                                                               "<p>Only this</p>")
    (tmp_path / "dated.md").write_text("---\npublished: 2021-05-05T10:00\nstatus: published\n"
                                       "---\nbody\n", encoding="utf-8")
    [later] = as_json(tmp_path, "post", "edit", "fresh-from-the-cli", "--file", "dated.md",
                      "--publish-at", "2031-02-02T10:00:00Z")
    assert (later["status"], later["publish_at"]) == ("scheduled", "2031-02-02T10:00:00Z")
    (tmp_path / "other.md").write_text("---\nid: urn:x:other\n---\nx\n", encoding="utf-8")
    assert "id: is the post's entry id" in refused(tmp_path, "post", "edit",
                                                   "fresh-from-the-cli", "--file", "other.md")


def test_comments_are_added_held_approved_marked_as_spam_and_removed(tmp_path: Path) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    ok(tmp_path, "post", "add", "fresh.html")
    [held] = as_json(tmp_path, "comment", "add", "fresh-from-the-cli", "--author", "Zoë",
                     "--content", "<p>First!<script>x()</script></p>", "--status", "pending")
    assert held["status"] == "pending" and "script" not in held["content_html"]
    [reply] = as_json(tmp_path, "comment", "add", "fresh-from-the-cli", "--author", "Kenji",
                      "--content", "<p>Agreed</p>", "--parent", str(held["id"]))
    assert reply["parent_id"] == held["id"]
    assert [c["id"] for c in as_json(tmp_path, "comment", "list", "--status", "pending")] == [
        held["id"]]
    [approved] = as_json(tmp_path, "comment", "approve", str(held["id"]))
    assert approved["status"] == "approved"
    [spam] = as_json(tmp_path, "comment", "spam", str(reply["id"]))
    assert spam["status"] == "spam"
    ok(tmp_path, "comment", "rm", str(reply["id"]))
    assert [c["id"] for c in as_json(tmp_path, "comment", "list", "--post",
                                     "fresh-from-the-cli")] == [held["id"]]


def test_post_and_comment_show_are_lines_for_a_person_and_json_for_a_script(
    tmp_path: Path,
) -> None:
    """Without --json, `show` says `key: value` a line, a post's labels as words (not a
    Python list), and a comment the same way as a post (it printed indented JSON)."""
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    ok(tmp_path, "post", "add", "fresh.html")
    ok(tmp_path, "post", "edit", "fresh-from-the-cli", "--labels", "Été 2014,voyages")
    [made] = as_json(tmp_path, "comment", "add", "fresh-from-the-cli", "--author", "Zoë",
                     "--content", "<p>Bravo</p>")

    post = ok(tmp_path, "post", "show", "fresh-from-the-cli").splitlines()
    assert "labels: Été 2014, voyages" in post
    comment = ok(tmp_path, "comment", "show", str(made["id"])).splitlines()
    assert comment == [
        f"id: {made['id']}", f"post_id: {made['post_id']}", f"entry_id: {made['entry_id']}",
        "author: Zoë", "status: approved", f"published: {made['published']}",
        "parent_id: ", "content_html: <p>Bravo</p>"]
    [shown] = as_json(tmp_path, "comment", "show", str(made["id"]))
    assert shown == made


def test_an_operator_creates_changes_and_removes_a_second_site(tmp_path: Path) -> None:
    [made] = as_json(tmp_path, "site", "create", "notes.test", "--title", "Notes", "--set",
                     "timezone=Asia/Tokyo")
    assert (made["host"], made["timezone"], made["is_default"]) == ("notes.test", "Asia/Tokyo",
                                                                    False)
    [changed] = as_json(tmp_path, "site", "set", "notes.test", "title=Field notes",
                        "wordpress_urls=on")
    assert (changed["title"], changed["wordpress_urls"]) == ("Field notes", True)
    assert [s["host"] for s in as_json(tmp_path, "site", "list")] == ["localhost", "notes.test"]
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    [post] = as_json(tmp_path, "post", "add", "fresh.html", "--site", "notes.test")
    assert post["url"].startswith("http://notes.test/")
    ok(tmp_path, "site", "rm", "notes.test")
    assert [s["host"] for s in as_json(tmp_path, "site", "list")] == ["localhost"]


def test_tokens_are_shown_once_listed_without_the_secret_and_revoked(tmp_path: Path) -> None:
    [made] = as_json(tmp_path, "token", "create", "ci")
    assert made["token"].startswith("sy_") and len(made["token"]) > 30
    listed = as_json(tmp_path, "token", "list")
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    assert made["token"] not in (tmp_path / "syndic.db").read_bytes().decode("latin-1")
    ok(tmp_path, "token", "revoke", "ci")
    assert as_json(tmp_path, "token", "list") == []


def test_mistakes_are_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    assert "no post 'nope'" in refused(tmp_path, "post", "show", "nope")
    assert "bogus" in refused(tmp_path, "site", "set", "localhost", "bogus=1")
    assert "timezone" in refused(tmp_path, "site", "set", "localhost", "timezone=Mars/Base")
    assert "--content" in refused(tmp_path, "comment", "add", "x", "--author", "A")
    assert "--site" in refused(tmp_path, "post", "list", "--site", "elsewhere.test")
    assert "token" in refused(tmp_path, "token", "revoke", "never-made")
    assert "default site" in refused(tmp_path, "site", "rm", "localhost")
    assert "nothing to change" in refused(tmp_path, "post", "edit", "nope-either")\
        or "no post" in refused(tmp_path, "post", "edit", "nope-either")


def test_post_list_shows_times_in_the_sites_zone_with_their_offset(tmp_path: Path) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    ok(tmp_path, "post", "add", "fresh.html")
    ok(tmp_path, "site", "set", "1", "timezone=Asia/Tokyo")
    # published: 2026-11-23T23:00:00+01:00, which is 07:00 the next day in Tokyo
    assert "\t2026-11-24 07:00 +0900\tfresh-from-the-cli\t" in ok(tmp_path, "post", "list")


def test_a_post_file_published_with_a_date_ahead_is_scheduled_for_it(tmp_path: Path) -> None:
    """As through the API: listed with what is scheduled, and out at its date."""
    (tmp_path / "ahead.md").write_text(
        "---\ntitle: Ahead\nstatus: published\npublished: 2031-02-01T10:00:00Z\n---\nSoon.\n",
        encoding="utf-8")
    [added] = as_json(tmp_path, "post", "add", "ahead.md")
    assert added["status"] == "scheduled" and added["publish_at"] == "2031-02-01T10:00:00Z"
    assert [p["id"] for p in as_json(tmp_path, "post", "list", "--status", "scheduled")] == [
        added["id"]]
