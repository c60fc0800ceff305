"""Preparing an import's posts: each on its own, whatever one of them raises; and the date
range every post and comment is held to (prepare_post, whichever path a post comes by:
command line, API, import), so that no time zone a site may switch to overflows on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.errors import InvalidPostError
from feeds.imports.prepare import prepare_many
from feeds.models import Author, CommentDraft, FeedMode, Post, PostDraft, Site
from feeds.posts import EARLIEST, LATEST, PreparedPost, post_url, prepare_comment, prepare_post

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def site(timezone: str = "America/New_York") -> Site:
    return Site(1, "blog.test", "Blog", "", "http://blog.test", timezone, "en", FeedMode.FULL,
                200, NOW)


def draft(title: str, published: datetime, updated: datetime | None = None,
          content: object = "<p>Text.</p>") -> PostDraft:
    return PostDraft(title=title, content_html=content, published=published,  # type: ignore[arg-type]
                     updated=updated)


@pytest.mark.parametrize(("published", "updated", "field"), [
    (datetime(1, 1, 1, tzinfo=UTC), None, "published"),  # year 0 in New York
    (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), None, "published"),  # year 10000 in Tokyo
    (EARLIEST - timedelta(seconds=1), None, "published"),
    (NOW, datetime(9999, 12, 31, tzinfo=UTC), "updated"),
    (NOW, LATEST + timedelta(seconds=1), "updated"),
])
def test_a_post_dated_outside_years_2_to_9998_is_refused_naming_the_field(
    published: datetime, updated: datetime | None, field: str,
) -> None:
    with pytest.raises(InvalidPostError) as refused:
        prepare_post(site(), draft("Out of range", published, updated), NOW)
    assert refused.value.field == field and "date out of range" in refused.value.problem


@pytest.mark.parametrize("moment", [EARLIEST, LATEST])
def test_a_post_at_either_end_of_the_range_shows_in_every_time_zone(moment: datetime) -> None:
    post = prepare_post(site("UTC"), draft("Edge", moment), NOW)
    assert post.published == moment
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "America/New_York", "Asia/Kathmandu"):
        # What a site moved to that zone computes for every entry of its feeds.
        assert post_url(site(zone), post.slug, post.published).endswith("/edge.html")


def test_a_comment_dated_outside_the_range_is_refused() -> None:
    early = CommentDraft(Author("Old"), "<p>Hi</p>", datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidPostError) as refused:
        prepare_comment(site(), 1, early, "tag:blog.test,2026:c-1", NOW)
    assert refused.value.field == "published"


def test_one_bad_item_whatever_it_raises_is_a_reason_and_the_others_are_prepared() -> None:
    jobs = [
        (draft("Good", NOW - timedelta(days=1)), None),
        (draft("Year one", datetime(1, 1, 1, tzinfo=UTC)), None),
        (draft("Not text", NOW, content=12345), None),  # no check of ours foresaw this one
        (draft("Good too", NOW - timedelta(days=2)), None),
    ]
    good, year_one, not_text, good_too = prepare_many(site(), NOW, jobs)
    assert isinstance(good, PreparedPost) and isinstance(good_too, PreparedPost)
    assert isinstance(good.post, Post) and good.links == ()
    assert isinstance(year_one, str) and year_one.startswith("published: date out of range")
    assert isinstance(not_text, str) and not_text.startswith("TypeError: ")
