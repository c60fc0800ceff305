"""Every `syndic` error is one line on stderr and a non-zero exit, never a traceback: post
files of the wrong shape, site values the API would refuse, a database in a directory that
is not there, a comment on a deleted post, an import source that is neither URL nor file,
and, as a last resort, an unexpected exception (exit 70), Ctrl-C (130, quietly) and a
closed stdout (141, quietly).

Most cases run main() in this process (the same code path as the `syndic` script, without
starting Python each time); a few run `python -m server` as a real process."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings
from feeds.store import Store
from server import cli
from tests.server.conftest import Cli, Ran
from tests.server.test_cli import GOOD


def process(tmp_path: Path, *args: str, **env: str) -> Ran:
    """`python -m server ARGS...` as a real process."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SYNDIC_")}
    result = subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, cwd=tmp_path,
        env={**clean, "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}", **env},
        timeout=60)
    return Ran(result.returncode, result.stdout, result.stderr)


def one_line(ran: Ran, code: int = cli.EXIT_ERROR) -> str:
    """The one line on stderr of a refused command."""
    assert ran.code == code, ran
    assert "Traceback" not in ran.err
    lines = ran.err.splitlines()
    assert len(lines) == 1 and ran.err.endswith("\n"), ran.err
    assert lines[0].startswith("syndic: ")
    return lines[0]


# -- 1. post files -------------------------------------------------------------------------


@pytest.mark.parametrize(("front_matter", "expected"), [
    ("authors: 5", "authors: must be a list of names or {name, uri, email}, got the number 5"),
    ("authors: [{name: Zoë, uri: [1]}]", "authors[0].uri: must be text, got a list"),
    ("authors: [{name: Zoë, 7: x}]", "authors[0].7: unknown key"),
    ("authors: [true]", "authors[0]: must be a name or {name, uri, email}"),
    ("title: [a, b]", "title: must be text, got a list"),
    ("slug: {a: 1}", "slug: must be text, got a mapping"),
    ("summary: true", "summary: must be text, got true/false"),
    ("id: [x]", "id: must be text, got a list"),
    ("labels: {a: 1}", "labels: must be a list of names"),
    ("labels: [[a]]", "labels: must be a list of names"),
    ("status: [draft]", "status: must be published, draft or scheduled"),
    ("status: deleted", "status: must be published, draft or scheduled"),
    ("published: [2026]", "published: not a date: [2026]"),
    ("updated: 9999-12-31T23:00:00-05:00", "updated: date out of range"),
    ("published: 0001-01-01T00:00:00+05:00", "published: date out of range"),
    ("3: x", "3: unknown key"),
])
def test_a_front_matter_field_of_the_wrong_type_is_one_line_naming_it(
    syndic: Cli, tmp_path: Path, front_matter: str, expected: str,
) -> None:
    text = GOOD.replace("slug: fresh-from-the-cli\n", "")
    key = front_matter.split(":", 1)[0]
    text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key}:"))
    (tmp_path / "bad.html").write_text(
        text.replace("---\n", f"---\n{front_matter}\n", 1), encoding="utf-8")
    line = one_line(syndic("post", "add", "bad.html"))
    assert line.startswith("syndic: bad.html: ") and expected in line, line
    assert one_line(syndic("post", "show", "fresh-from-the-cli")).endswith(
        "no post 'fresh-from-the-cli'")


def test_a_number_where_text_is_expected_is_taken_as_text(syndic: Cli, tmp_path: Path) -> None:
    (tmp_path / "year.md").write_text("---\ntitle: 2024\nslug: 2024\nlabels: 7\n---\nYes.\n")
    ran = syndic("post", "add", "year.md", "--json")
    assert ran.code == 0, ran.err
    assert '"title": "2024"' in ran.out and '"labels": ["7"]' in ran.out


def test_a_yaml_syntax_error_is_one_line_naming_the_files_line_and_column(
    tmp_path: Path,
) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\nslug: x\n---\nbody\n")
    line = one_line(process(tmp_path, "post", "add", "bad.md"))
    assert line == ("syndic: bad.md: front matter: not valid YAML at line 3, column 5: "
                    "expected ',' or ']', but got ':'")


@pytest.mark.parametrize("command", [("post", "add"), ("post", "edit", "1", "--file")])
def test_a_post_file_that_is_not_there_is_named_once_with_the_systems_words(
    syndic: Cli, tmp_path: Path, command: tuple[str, ...],
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    assert syndic("post", "add", "fresh.html").code == 0

    line = one_line(syndic(*command, "no-such-post.md"))

    assert line == "syndic: no-such-post.md: file: No such file or directory"


def test_a_front_matter_field_of_the_wrong_type_is_one_line_in_a_real_process(
    tmp_path: Path,
) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: x\nauthors: 5\n---\nbody\n")
    assert "authors" in one_line(process(tmp_path, "post", "add", "bad.md"))


# -- 2. site values ------------------------------------------------------------------------


@pytest.mark.parametrize(("pair", "expected"), [
    ("summary_length=99999999999999999999", "summary_length: must be between 20 and 10000"),
    ("summary_length=5", "summary_length: must be between 20 and 10000, got 5"),
    ("summary_length=10001", "summary_length: must be between 20 and 10000"),
    ("summary_length=-1", "summary_length: must be between 20 and 10000"),
    ("summary_length=²", "summary_length: must be a whole number"),
    ("host=", "host: "),
    ("host=a b", "host: "),
    ("base_url=notaurl", "base_url: "),
    ("base_url=ftp://x.test", "base_url: "),
    ("language=", "language: "),
    ("language=en_US!", "language: "),
    ("title=", "title: "),
    ("title=\x0b", "title: control characters"),
    ("default_feed=teaser", "default_feed: "),
    ("timezone=Mars/Base", "timezone: not an IANA time zone"),
])
def test_site_set_refuses_what_the_api_refuses_in_one_line(
    syndic: Cli, pair: str, expected: str,
) -> None:
    line = one_line(syndic("site", "set", "localhost", pair))
    assert line.startswith(f"syndic: {expected}"), line
    shown = syndic("site", "show", "localhost", "--json")
    assert '"summary_length": 300' in shown.out and '"host": "localhost"' in shown.out


@pytest.mark.parametrize(("args", "expected"), [
    (("", "--title", "T"), "host: "),
    (("a b.test", "--title", "T"), "host: "),
    (("notes.test", "--title", ""), "title: "),
    (("notes.test", "--title", "T", "--set", "summary_length=5"), "summary_length: "),
    (("notes.test", "--title", "T", "--set", "base_url=notaurl"), "base_url: "),
    (("notes.test", "--title", "T", "--set", "language="), "language: "),
    (("notes.test", "--title", "T", "--set", "base_url=http://[87]/"), "base_url: the host in"),
])
def test_site_create_refuses_what_the_api_refuses_in_one_line(
    syndic: Cli, args: tuple[str, ...], expected: str,
) -> None:
    line = one_line(syndic("site", "create", *args))
    assert line.startswith(f"syndic: {expected}"), line
    assert syndic("site", "list").out.count("\n") == 1  # the default site only


def test_site_values_within_the_rules_are_stored(syndic: Cli) -> None:
    ran = syndic("site", "create", "notes.test", "--title", "Notes", "--set",
                 "base_url=https://notes.test/blog/", "--set", "summary_length=20", "--json")
    assert ran.code == 0, ran.err
    assert '"base_url": "https://notes.test/blog"' in ran.out
    ran = syndic("site", "set", "notes.test", "summary_length=10000", "language=pt-BR")
    assert ran.code == 0, ran.err


def test_an_out_of_range_summary_length_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    line = one_line(process(tmp_path, "site", "set", "localhost",
                            "summary_length=99999999999999999999"))
    assert "summary_length" in line


# -- 3. the database -----------------------------------------------------------------------


@pytest.mark.parametrize("command", [("post", "list"), ("migrate",), ("serve",)])
def test_a_sqlite_file_in_a_directory_that_is_not_there_is_one_line(
    syndic: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...],
) -> None:
    missing = tmp_path / "no-such-dir"
    monkeypatch.setenv("SYNDIC_STORAGE__URL", f"sqlite:///{missing / 'syndic.db'}")
    line = one_line(syndic(*command))
    assert line == (f"syndic: storage.url: directory {missing} does not exist "
                    "(for the database file syndic.db)")
    assert not missing.exists()


def test_a_sqlite_file_that_is_a_directory_or_no_database_is_one_line(
    syndic: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNDIC_STORAGE__URL", f"sqlite:///{tmp_path}")
    assert "is a directory" in one_line(syndic("post", "list"))
    (tmp_path / "junk.db").write_bytes(b"not a database, but long enough to be read " * 40)
    monkeypatch.setenv("SYNDIC_STORAGE__URL", f"sqlite:///{tmp_path / 'junk.db'}")
    assert one_line(syndic("post", "list")) == (
        "syndic: storage.url: cannot open the database: file is not a database")


def test_a_missing_database_directory_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"
    line = one_line(process(tmp_path, "post", "list", SYNDIC_STORAGE__URL=url))
    assert "storage.url: directory" in line and "does not exist" in line


# -- 4. comments on deleted posts ----------------------------------------------------------


def test_a_comment_on_a_deleted_post_is_refused_like_the_api_does(
    syndic: Cli, tmp_path: Path,
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    assert syndic("post", "add", "fresh.html").code == 0
    assert syndic("comment", "add", "fresh-from-the-cli", "--author", "A",
                  "--content", "<p>Before</p>").code == 0
    assert syndic("post", "rm", "fresh-from-the-cli").code == 0
    for ref in ("fresh-from-the-cli", "1"):
        line = one_line(syndic("comment", "add", ref, "--author", "A", "--content", "<p>x</p>"))
        assert line == f"syndic: no post {ref!r}"
    # Nothing was added; the one comment it had has left the list with its post (it is
    # still found by its id, to be removed).
    assert syndic("comment", "list", "--json").out == ""
    assert syndic("comment", "show", "1").code == 0


def test_a_deleted_post_cannot_be_edited_or_deleted_again_but_can_be_shown(
    syndic: Cli, tmp_path: Path,
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    assert syndic("post", "add", "fresh.html").code == 0
    assert syndic("post", "rm", "fresh-from-the-cli").code == 0
    assert one_line(syndic("post", "edit", "fresh-from-the-cli", "--title", "Back")) == \
        "syndic: no post 'fresh-from-the-cli'"
    assert one_line(syndic("post", "rm", "fresh-from-the-cli")) == \
        "syndic: no post 'fresh-from-the-cli'"
    shown = syndic("post", "show", "fresh-from-the-cli")
    assert shown.code == 0 and "status: deleted" in shown.out


def test_a_batch_naming_one_post_or_comment_not_there_changes_none_of_them(
    syndic: Cli, tmp_path: Path,
) -> None:
    """`syndic post rm 12 1e 14` (a typo in the middle): one line naming it, and nothing
    deleted, rather than 12 deleted and 14 not; the same for moderating comments."""
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    assert syndic("post", "add", "fresh.html").code == 0
    for n in (1, 2):
        assert syndic("comment", "add", "fresh-from-the-cli", "--author", "A", "--content",
                      f"<p>{n}</p>", "--status", "pending").code == 0

    assert one_line(syndic("comment", "approve", "1", "99", "2")) == "syndic: no comment '99'"
    assert one_line(syndic("comment", "rm", "1", "99")) == "syndic: no comment '99'"
    assert one_line(syndic("post", "rm", "fresh-from-the-cli", "1e")) == "syndic: no post '1e'"

    listed = syndic("comment", "list", "--status", "pending", "--json").out.splitlines()
    assert len(listed) == 2
    assert "status: published" in syndic("post", "show", "fresh-from-the-cli").out
    # Named twice, a post is deleted once.
    ran = syndic("post", "rm", "fresh-from-the-cli", "fresh-from-the-cli")
    assert ran.code == 0 and ran.out.count("deleted") == 1, ran


# -- 5. import sources ---------------------------------------------------------------------


@pytest.mark.parametrize("source", ["http://", "https:///feed.xml", "ftp://x.test/feed",
                                    "http://[::1/feed", "http://x.test:99999/feed"])
def test_an_import_source_that_is_neither_url_nor_file_says_so(syndic: Cli, source: str) -> None:
    assert one_line(syndic("import", "feed", source)) == (
        f"syndic: {source}: not a valid http(s) URL or a file")


def test_an_import_source_that_is_no_url_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    line = one_line(process(tmp_path, "import", "feed", "http://"))
    assert line == "syndic: http://: not a valid http(s) URL or a file"


# -- 6. mistakes in the command itself -----------------------------------------------------


@pytest.mark.parametrize(("argv", "expected"), [
    (("post", "list", "--bogus"),
     "syndic: post list: unrecognized arguments: --bogus (see syndic post list --help)"),
    (("post", "edit", "1", "--status", "bogus"),
     "syndic: post edit: argument --status: invalid choice: 'bogus' (choose from 'draft', "
     "'scheduled', 'published') (see syndic post edit --help)"),
    (("comment", "approve", "abc"),
     "syndic: comment approve: argument ids: invalid int value: 'abc' "
     "(see syndic comment approve --help)"),
    (("import", "blogger"),
     "syndic: import: the following arguments are required: source (see syndic import --help)"),
    (("import", "blogr", "feed.atom"),
     "syndic: import: argument kind: invalid choice: 'blogr' (choose from 'blogger', "
     "'wordpress', 'feed') (see syndic import --help)"),
    (("pots", "list"),
     "syndic: argument command: invalid choice: 'pots' (choose from 'serve', 'migrate', "
     "'config', 'regenerate', 'hub', 'post', 'comment', 'site', 'token', 'import') "
     "(see syndic --help)"),
])
def test_a_mistyped_command_or_option_is_one_line_pointing_at_help(
    tmp_path: Path, argv: tuple[str, ...], expected: str,
) -> None:
    """Not argparse's usage block and then the error: a script's log, or a person, gets one
    line saying what was wrong and where the help is."""
    assert one_line(process(tmp_path, *argv)) == expected


def test_help_is_still_the_whole_usage(tmp_path: Path) -> None:
    shown = process(tmp_path, "post", "edit", "--help")
    assert shown.code == 0 and "--publish-at" in shown.out and shown.err == ""


# -- 7. the last resort --------------------------------------------------------------------


async def _a_bug(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    raise RuntimeError("something broke\nover two lines")


async def _interrupted(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    raise KeyboardInterrupt


def test_an_unexpected_exception_is_one_line_and_exit_70(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A command with a bug stands in for whatever bug is left: main() is what is tested.
    monkeypatch.setitem(cli.COMMANDS, ("post", "list"), _a_bug)
    line = one_line(syndic("post", "list"), cli.EXIT_INTERNAL)
    assert line == ("syndic: internal error: RuntimeError: something broke over two lines "
                    "(run with SYNDIC_DEBUG=1 for the traceback)")
    assert syndic("post", "no-such-command").code != cli.EXIT_INTERNAL  # argparse: 2


def test_syndic_debug_adds_the_traceback_and_is_no_setting(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(cli.COMMANDS, ("post", "list"), _a_bug)
    monkeypatch.setenv("SYNDIC_DEBUG", "1")
    ran = syndic("post", "list")
    assert ran.code == cli.EXIT_INTERNAL
    assert ran.err.startswith("Traceback") and "_a_bug" in ran.err
    assert ran.err.splitlines()[-1].startswith("syndic: internal error: RuntimeError")
    assert syndic("config").code == 0  # not refused as an unknown SYNDIC_ setting


def test_ctrl_c_exits_130_quietly(syndic: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, ("post", "list"), _interrupted)
    ran = syndic("post", "list")
    assert (ran.code, ran.err) == (cli.EXIT_INTERRUPTED, "")


def test_a_closed_stdout_ends_the_command_quietly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SYNDIC_")}
    proc = subprocess.Popen([sys.executable, "-m", "server", "config"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before Python has started and printed anything
    err = proc.stderr.read()
    proc.stderr.close()
    assert (proc.wait(timeout=60), err) == (cli.EXIT_BROKEN_PIPE, "")


def test_a_broken_install_is_one_line_and_exit_70_not_an_import_traceback(
    tmp_path: Path,
) -> None:
    # A dependency that fails as it is imported, first on the path: what a half-finished
    # upgrade or a compiled module built for another Python looks like.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "nh3.py").write_text("raise ImportError('nh3 lost its compiled part')\n")
    line = one_line(process(tmp_path, "config", PYTHONPATH=str(shadow)), cli.EXIT_INTERNAL)
    assert line == ("syndic: cannot start, the installation is broken: ImportError: nh3 "
                    "lost its compiled part (reinstall: pip install -e .; run with "
                    "SYNDIC_DEBUG=1 for the traceback)")

    debug = process(tmp_path, "config", PYTHONPATH=str(shadow), SYNDIC_DEBUG="1")
    assert debug.code == cli.EXIT_INTERNAL and debug.err.startswith("Traceback")


def test_regenerate_of_a_feed_url_no_parser_reads_is_one_line(syndic: Cli) -> None:
    line = one_line(syndic("regenerate", "http://[87]/feeds/posts/default"))
    assert line == "syndic: FEED: not a feed path: 'http://[87]/feeds/posts/default'"
