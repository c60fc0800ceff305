"""Imports end to end on both engines, when part of an export is bad: one bad item (a label too
long, an entry twice, a date out of range, a comment twice or refused by the database) is
reported while the rest are stored, and a malformed file fails the run keeping what came
before the bad part."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from feeds.content import clean_text, sanitize_html
from feeds.imports.items import ImportFormatError
from server.importing import file_source, run_import
from server.jobs import IMPORT_HOLD
from tests.feeds.imports.conftest import ATOM, FIXTURES, Blog, entries
from tests.feeds.imports.exports import (
    BLOG,
    HEAD,
    alternate,
    exported,
    takeout_post,
    visible,
    wxr_comment,
    wxr_export,
    wxr_post,
)


async def test_one_bad_item_is_reported_and_the_others_are_stored(blog: Blog) -> None:
    long_label = "x" * 201
    export = HEAD + "".join([
        takeout_post(1, "Good one", "/2023/01/good-one.html", "2023-01-05T10:00:00Z"),
        takeout_post(2, "Too long a label", "/2023/02/long.html", "2023-02-05T10:00:00Z",
                     labels=("fine", long_label)),
        takeout_post(3, "Good two", "/2023/03/good-two.html", "2023-03-05T10:00:00Z",
                     labels=("fine",)),
        # The same entry again (a hand-edited export): its id and slug are stored already.
        takeout_post(4, "Good one, twice", "/2023/01/good-one.html", "2023-04-05T10:00:00Z",
                     post_id=901),
        takeout_post(5, "Good three", "/2023/05/good-three.html", "2023-05-05T10:00:00Z"),
    ]) + "</feed>"

    report = await blog.import_bytes("blogger", export.encode())

    stored = {p.title for p in await blog.store.list_posts(blog.site.id)}
    assert stored == {"Good one", "Good two", "Good three"}
    assert report.posts_added == 3
    skipped = {title: reason for _, title, reason in report.skipped}
    assert set(skipped) == {"Too long a label", "Good one, twice"}
    assert "labels[1]" in skipped["Too long a label"] and "200" in skipped["Too long a label"]
    assert skipped["Good one, twice"].startswith("not stored:")


@pytest.mark.parametrize("workers", [0, 2])
async def test_one_bad_item_a_post_dated_year_1_in_new_york_is_reported_and_the_others_are_stored(
    blog: Blog, workers: int,
) -> None:
    # 0001-01-01 UTC is year 0 in New York: preparing it (its URL) overflowed and took its
    # batch, the good posts included, with it. Five posts: the pool prepares them (two each).
    blog.site = await blog.store.update_site(blog.site.id, {"timezone": "America/New_York"})
    export = wxr_export(
        wxr_post(1, "Good one", "2023-01-05 10:00:00"),
        wxr_post(2, "Year one", "0001-01-01 00:00:00"),
        wxr_post(3, "Good two", "2023-03-05 10:00:00"),
        wxr_post(4, "Updated past the end", "2023-04-05 10:00:00",
                 modified="9999-12-31 23:59:59"),
        wxr_post(5, "Good three", "2023-05-05 10:00:00"),
        wxr_post(6, "Good four", "2023-06-05 10:00:00"),
    )
    source = file_source("wordpress", export, "export.xml")

    _, report = await run_import(blog.store, blog.site, blog.publisher.ctx, source,
                                 blog.clock.now, workers=workers)

    stored = {p.title for p in await blog.store.list_posts(blog.site.id)}
    assert stored == {"Good one", "Good two", "Good three", "Good four"}
    assert report.posts_added == 4
    skipped = {title: reason for _, title, reason in report.skipped}
    assert set(skipped) == {"Year one", "Updated past the end"}
    assert skipped["Year one"].startswith("published: date out of range")
    assert skipped["Updated past the end"].startswith("updated: date out of range")
    await blog.regenerate()
    assert len(entries(await blog.atom("/feeds/posts/default"))) == 4


async def test_one_bad_item_the_same_comment_twice_in_a_batch_is_reported_and_the_others_are_stored(
    blog: Blog,
) -> None:
    # The same comment twice (a hand-merged export) was one entry id twice in one INSERT:
    # the batch failed, and with it the import (a 500 through POST /api/imports).
    twice = wxr_comment(11, "Aoife", "First!")
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        twice, wxr_comment(12, "Marta", "Straw."), twice,
        wxr_comment(13, "Dev", "From the year one?", gmt="0001-01-01 00:00:00"),
        wxr_comment(14, "Kofi", "Fleece."),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.posts_added, report.comments_added) == (1, 3)
    reasons = [reason for _, _, reason in report.skipped]
    assert reasons == ["comment 11: the same comment again (https://old.example/?p=1#comment-11)",
                       "comment 13: published: date out of range: 0001-01-01T00:00:00+00:00"
                       " (years 2 to 9998)"]
    _, comments = await blog.store.page_comments(blog.site.id, 10, 0)
    assert sorted(c.author.name for c in comments) == ["Aoife", "Kofi", "Marta"]
    again = await blog.import_bytes("wordpress", export)
    assert (again.comments_added, again.comments_unchanged) == (0, 3)
    assert again.skipped == report.skipped


REFUSE_SQLITE = ("CREATE TRIGGER refuse_comment BEFORE INSERT ON comments "
                 "WHEN NEW.author_name = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused'); END")
REFUSE_PG = ("CREATE FUNCTION refuse_comment() RETURNS trigger AS $$ BEGIN "
             "IF NEW.author_name = 'Refused' THEN RAISE EXCEPTION 'refused'; END IF; "
             "RETURN NEW; END $$ LANGUAGE plpgsql",
             "CREATE TRIGGER refuse_comment BEFORE INSERT ON comments FOR EACH ROW "
             "EXECUTE FUNCTION refuse_comment()")


async def test_one_bad_item_a_comment_the_database_refuses_is_reported_and_the_others_are_stored(
    blog: Blog,
) -> None:
    # Whatever the database refuses (here a trigger, on either engine) fails the batch of
    # comments; they are written again one by one, as posts are.
    sqlite = blog.store.engine.dialect.name == "sqlite"
    async with blog.store.engine.begin() as conn:
        for statement in (REFUSE_SQLITE,) if sqlite else REFUSE_PG:
            await conn.execute(text(statement))
    export = wxr_export(wxr_post(1, "Frost", "2023-11-14 03:20:00", comments="".join([
        wxr_comment(11, "Aoife", "First!"), wxr_comment(12, "Refused", "Spam."),
        wxr_comment(13, "Kofi", "Fleece."),
    ])))

    report = await blog.import_bytes("wordpress", export)

    assert (report.posts_added, report.comments_added) == (1, 2)
    [(_, _, reason)] = report.skipped
    assert reason.startswith("comment 12: not stored:") and "refused" in reason
    _, comments = await blog.store.page_comments(blog.site.id, 10, 0)
    assert sorted(c.author.name for c in comments) == ["Aoife", "Kofi"]



@pytest.mark.parametrize(("kind", "name", "line"), [
    ("wordpress", "wordpress/malformed.xml", "line 28"),
    ("blogger", "blogger/malformed.atom", "line 28"),
])
async def test_a_malformed_export_fails_the_run_keeping_the_items_before_the_bad_part(
    blog: Blog, kind: str, name: str, line: str,
) -> None:
    data = (FIXTURES / name).read_bytes()
    before = visible(exported(kind, data), blog.clock.now())

    with pytest.raises(ImportFormatError) as caught:
        await blog.import_bytes(kind, data, name)  # type: ignore[arg-type]

    assert caught.value.where == line
    run = (await blog.store.import_runs(blog.site.id))[0]
    assert run.state == "failed" and run.finished is not None
    assert run.report["error"].startswith(f"{line}:")
    assert await blog.store.held_sites(blog.clock.now(), IMPORT_HOLD) == frozenset()
    stored = {p.entry_id: p for p in await blog.store.list_posts(blog.site.id)}
    assert before and set(stored) == set(before)
    await blog.regenerate()
    feed = await blog.atom("/feeds/posts/default")
    for entry in entries(feed):
        item = before[entry.findtext(f"{ATOM}id")]
        assert entry.findtext(f"{ATOM}title") == clean_text(item.title)
        assert entry.findtext(f"{ATOM}content") == sanitize_html(item.content_html,
                                                                  alternate(entry))
    assert len(entries(feed)) == len(before)



async def test_a_comment_on_a_post_trashed_on_blogger_is_reported_as_such(blog: Blog) -> None:
    """Not "its post is not in the export": the post is there, in the trash, skipped."""
    trashed = takeout_post(1, "Oops", "/2015/01/oops.html", "2015-01-01T00:00:00Z").replace(
        "<blogger:status>LIVE", "<blogger:status>SOFT_TRASHED")
    comment = (f"<entry><id>{BLOG}.post-7001</id><blogger:type>COMMENT</blogger:type>"
               "<blogger:status>LIVE</blogger:status><content type='html'>Nice</content>"
               f"<blogger:parent>{BLOG}.post-901</blogger:parent></entry>\n")
    orphan = comment.replace("post-7001", "post-7002").replace("post-901<", "post-999<")

    report = await blog.import_bytes("blogger", (HEAD + trashed + comment + orphan
                                                 + "</feed>").encode())

    assert [(where.split(" (")[0], reason) for where, _, reason in report.skipped] == [
        ("entry 1", "trashed or deleted on Blogger (SOFT_TRASHED)"),
        ("entry 2", "its post is not imported (trashed or deleted on Blogger (SOFT_TRASHED))"),
        ("entry 3", "its post is not in the export"),
    ]
