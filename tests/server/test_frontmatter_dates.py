"""A post file's dates and odd YAML: a day no calendar has (2026-02-30, 2026-13-45) is the
same one-line error as any other bad date, naming the file and the field (exit 2, never the
internal error, exit 70); a date written in any form YAML reads as a timestamp still means
the instant it meant; YAML that PyYAML cannot construct (`!!bool maybe`, nesting a few
thousand deep) is one line naming the front matter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from feeds.imports.items import ImportedPost, Skipped
from feeds.models import FeedMode, Site
from server.api_dates import date_field
from server.frontmatter import read_post_file
from server.sources import folder_items
from tests.server.conftest import Cli
from tests.server.test_cli import GOOD
from tests.server.test_cli_errors import one_line, process

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def post_file(tmp_path: Path, name: str, *front_matter: str, slug: str = "a-post") -> Path:
    path = tmp_path / name
    lines = ["---", "title: A post", f"slug: {slug}", *front_matter, "---", "<p>Words.</p>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- a day no calendar has ------------------------------------------------------------------


@pytest.mark.parametrize(("front_matter", "expected"), [
    ("published: 2026-13-45", "published: not a date: '2026-13-45'"),
    ("published: 2026-02-30", "published: not a date: '2026-02-30'"),
    ("updated: 2026-02-30", "updated: not a date: '2026-02-30'"),
    ("published: 2026-02-29 09:00:00", "published: not a date: '2026-02-29 09:00:00'"),
    ("updated: 2026-04-31T10:00:00Z", "updated: not a date: '2026-04-31T10:00:00Z'"),
    ("published: 2026-12-31T25:00:00+01:00",
     "published: not a date: '2026-12-31T25:00:00+01:00'"),
    ("published: !!timestamp 2026-02-30", "published: not a date: '2026-02-30'"),
    ("published: notadate", "published: not a date: 'notadate'; give the day, year first,"
     " then the time if any: 2026-12-25, 2026-12-25T10:00 (in the site's time zone) or"
     " 2026-12-25T10:00:00+01:00"),
])
def test_an_impossible_date_in_a_new_post_file_is_one_line_naming_the_field(
    syndic: Cli, tmp_path: Path, front_matter: str, expected: str,
) -> None:
    post_file(tmp_path, "bad.md", front_matter)
    assert one_line(syndic("post", "add", "bad.md")) == f"syndic: bad.md: {expected}"
    assert syndic("post", "list").out == ""  # nothing was stored


def test_an_impossible_date_in_the_file_of_an_edit_is_one_line_and_the_post_is_kept(
    syndic: Cli, tmp_path: Path,
) -> None:
    post_file(tmp_path, "good.md", "published: 2026-03-04")
    assert syndic("post", "add", "good.md").code == 0
    before = syndic("post", "show", "a-post", "--json").out
    post_file(tmp_path, "bad.md", "updated: 2026-02-30")
    assert one_line(syndic("post", "edit", "a-post", "--file", "bad.md")) == (
        "syndic: bad.md: updated: not a date: '2026-02-30'")
    assert syndic("post", "show", "a-post", "--json").out == before


def test_an_impossible_date_is_exit_2_in_a_real_process(tmp_path: Path) -> None:
    post_file(tmp_path, "bad.md", "published: 2026-13-45")
    assert one_line(process(tmp_path, "post", "add", "bad.md")) == (
        "syndic: bad.md: published: not a date: '2026-13-45'")


def test_a_folder_import_skips_the_file_with_an_impossible_date_and_takes_the_rest(
    tmp_path: Path,
) -> None:
    post_file(tmp_path, "a.md", "published: 2026-03-04", slug="fine")
    post_file(tmp_path, "b.md", "published: 2026-02-30", slug="impossible")
    site = Site(1, "blog.test", "A blog", "", "http://blog.test", "Europe/Lisbon", "en",
                FeedMode.FULL, 200, NOW)
    items = list(folder_items(tmp_path, site))
    assert [type(i) for i in items] == [ImportedPost, Skipped]
    assert isinstance(items[1], Skipped) and "published: not a date" in items[1].reason


# -- every date YAML reads still means what it meant ----------------------------------------


@pytest.mark.parametrize(("written", "instant"), [
    # A bare date is midnight in the site's time zone; a time without a zone is in it too.
    ("2026-03-04", datetime(2026, 3, 4, 5, 0, tzinfo=UTC)),
    ("'2026-03-04'", datetime(2026, 3, 4, 5, 0, tzinfo=UTC)),
    ("2026-03-04 09:15:00", datetime(2026, 3, 4, 14, 15, tzinfo=UTC)),
    ("2026-03-04T09:15:00", datetime(2026, 3, 4, 14, 15, tzinfo=UTC)),
    ("2026-3-4 9:15:00", datetime(2026, 3, 4, 14, 15, tzinfo=UTC)),
    ("2026-07-04t09:15:00", datetime(2026, 7, 4, 13, 15, tzinfo=UTC)),  # summer time
    ("2026-11-23T23:00:00+01:00", datetime(2026, 11, 23, 22, 0, tzinfo=UTC)),
    ('"2026-11-23T23:00:00+01:00"', datetime(2026, 11, 23, 22, 0, tzinfo=UTC)),
    ("2026-03-05T10:00:00Z", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    ("2026-03-05 10:00:00 Z", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    ("2026-03-04T09:15:00-00:00", datetime(2026, 3, 4, 9, 15, tzinfo=UTC)),
    # YAML 1.1's own examples (yaml.org/type/timestamp.html): a short zone, spaces.
    ("2001-12-14t21:59:43.10-05:00", datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=UTC)),
    ("2001-12-14 21:59:43.10 -5", datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=UTC)),
    ("2026-03-04T09:15:00+01", datetime(2026, 3, 4, 8, 15, tzinfo=UTC)),
    # Past microseconds the digits are dropped, as PyYAML dropped them.
    ("2026-11-24T12:10:00.123456789Z", datetime(2026, 11, 24, 12, 10, 0, 123456, tzinfo=UTC)),
    ("!!timestamp 2026-03-04", datetime(2026, 3, 4, 5, 0, tzinfo=UTC)),
])
def test_a_date_written_in_any_form_yaml_reads_means_the_same_instant_as_before(
    tmp_path: Path, written: str, instant: datetime,
) -> None:
    draft = read_post_file(post_file(tmp_path, "p.md", f"published: {written}",
                                     f"updated: {written}"), NEW_YORK, NOW)
    assert draft.published == draft.updated == instant
    # What PyYAML's own date/datetime gave (by isoformat()) before dates were kept as text.
    was = yaml.safe_load(f"published: {written}")["published"]
    text = was.isoformat() if isinstance(was, date) else was
    assert date_field(text, "published", NEW_YORK) == instant


def test_a_post_file_without_dates_is_dated_now(tmp_path: Path) -> None:
    draft = read_post_file(post_file(tmp_path, "p.md"), LISBON, NOW)
    assert draft.published == NOW and draft.updated is None


def test_a_title_or_slug_that_looks_like_a_date_is_taken_as_text(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text("---\ntitle: 2026-02-30\nslug: 2026-03-04\nlabels: [2026-03-04]\n---\n")
    draft = read_post_file(path, LISBON, NOW)
    assert (draft.title, draft.slug, draft.labels) == ("2026-02-30", "2026-03-04",
                                                       ("2026-03-04",))


# -- YAML that PyYAML cannot construct ------------------------------------------------------


@pytest.mark.parametrize(("front_matter", "expected"), [
    ("labels: !!bool maybe", "not valid YAML at line 4, column 9: cannot read 'maybe' as bool"),
    ("summary: 0b_", "not valid YAML at line 4, column 10: cannot read '0b_' as int "
                     "(invalid literal for int() with base 2: '')"),
    ("summary: !!float x", "not valid YAML at line 4, column 10: cannot read 'x' as float "
                           "(could not convert string to float: 'x')"),
    ("labels: " + "[" * 3000 + "]" * 3000, "not valid YAML: nested too deeply"),
    ("labels: " + "{a: " * 3000 + "}" * 3000, "not valid YAML: nested too deeply"),
])
def test_yaml_pyyaml_cannot_construct_is_one_line_naming_the_front_matter(
    syndic: Cli, tmp_path: Path, front_matter: str, expected: str,
) -> None:
    post_file(tmp_path, "odd.md", front_matter)
    assert one_line(syndic("post", "add", "odd.md")) == (
        f"syndic: odd.md: front matter: {expected}")


def test_nesting_thousands_deep_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    post_file(tmp_path, "deep.md", "labels: " + "[" * 3000 + "]" * 3000)
    assert one_line(process(tmp_path, "post", "add", "deep.md")) == (
        "syndic: deep.md: front matter: not valid YAML: nested too deeply")


def test_a_few_levels_of_nesting_are_still_a_field_error(syndic: Cli, tmp_path: Path) -> None:
    post_file(tmp_path, "nested.md", "labels: " + "[" * 50 + "]" * 50)
    assert one_line(syndic("post", "add", "nested.md")) == (
        "syndic: nested.md: labels: must be a list of names")


def test_a_good_post_file_is_still_added(syndic: Cli, tmp_path: Path) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    ran = syndic("post", "add", "fresh.html", "--json")
    assert ran.code == 0, ran.err
    assert '"published": "2026-11-23T22:00:00Z"' in ran.out
