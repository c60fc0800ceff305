"""A post's comments as threads: each reply after the comment it answers, one level deeper,
replies oldest first; a reply whose comment is not shown answers the post; deep chains are
capped at the last level and never blow the stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.models import Author, Comment
from feeds.threads import MAX_DEPTH, threaded

START = datetime(2019, 12, 15, 14, 30, tzinfo=UTC)


def comment(cid: int, parent: int | None = None) -> Comment:
    at = START + timedelta(minutes=cid)
    return Comment(id=cid, post_id=1, site_id=1, entry_id=f"c{cid}", author=Author(f"R{cid}"),
                   content_html=f"<p>{cid}</p>", published=at, updated=at, parent_id=parent)


def shape(comments: list[Comment], max_depth: int = MAX_DEPTH) -> list[tuple[int, int]]:
    return [(t.comment.id, t.depth) for t in threaded(comments, max_depth)]


def test_each_reply_comes_after_the_comment_it_answers_oldest_first() -> None:
    comments = [comment(1), comment(2), comment(3, 1), comment(4, 3), comment(5, 1),
                comment(6)]
    assert shape(comments) == [(1, 0), (3, 1), (4, 2), (5, 1), (2, 0), (6, 0)]


def test_a_reply_to_a_comment_not_shown_answers_the_post() -> None:
    # 7 is pending, deleted, or older than the page holds.
    assert shape([comment(1), comment(2, 7), comment(3, 2)]) == [(1, 0), (2, 0), (3, 1)]


def test_deep_replies_stay_at_the_last_level() -> None:
    chain = [comment(1)] + [comment(i, i - 1) for i in range(2, 9)]
    assert [d for _, d in shape(chain)] == [0, 1, 2, 3, 4, 4, 4, 4]
    assert [d for _, d in shape(chain, max_depth=1)] == [0] * 8
    with pytest.raises(ValueError):
        threaded(chain, max_depth=0)


def test_a_chain_ten_thousand_deep_is_no_recursion() -> None:
    chain = [comment(1)] + [comment(i, i - 1) for i in range(2, 10_001)]
    out = shape(chain)
    assert [cid for cid, _ in out] == list(range(1, 10_001))
    assert max(d for _, d in out) == MAX_DEPTH - 1


def test_a_cycle_shows_each_comment_once() -> None:
    """The store never holds one; a page must not loop or lose comments if it did."""
    comments = [comment(1), comment(2, 3), comment(3, 2), comment(4, 4)]
    assert sorted(cid for cid, _ in shape(comments)) == [1, 2, 3, 4]
    assert shape(comments)[:2] == [(1, 0), (4, 0)]
