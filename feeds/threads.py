"""Comments as threads, as a post's page shows them (WordPress's and Blogger's threaded
comments): each reply after the comment it answers, one level deeper, replies to one comment
oldest first.

Iterative, never recursive: an import can bring a chain of replies 10,000 deep (each one
answering the one before), which Python's recursion limit (1,000) would not survive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feeds.models import Comment

MAX_DEPTH = 5
"""The levels a page shows (WordPress's default `thread_comments_depth`): a reply deeper
than that is shown at the last level, after the comment it answers."""


@dataclass(frozen=True, slots=True)
class Threaded:
    comment: Comment
    depth: int
    """0 for a comment on the post (or one whose parent is not shown), at most max_depth - 1."""


def threaded(comments: Sequence[Comment], max_depth: int = MAX_DEPTH) -> list[Threaded]:
    """`comments` (oldest first) in reading order: each comment followed by its replies,
    depth-first. A reply whose parent is not among `comments` (not approved, deleted, or
    older than the page holds) is a comment on the post. Each comment comes out once, even
    from parents that form a cycle (which the store should never hold): a cycle's oldest
    comment is taken for a comment on the post."""
    if max_depth < 1:
        raise ValueError(f"max_depth must be at least 1, not {max_depth}")
    shown = {c.id for c in comments}
    replies: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id is not None and c.parent_id in shown and c.parent_id != c.id:
            replies.setdefault(c.parent_id, []).append(c)
    roots = [c for c in comments
             if c.parent_id is None or c.parent_id not in shown or c.parent_id == c.id]
    out: list[Threaded] = []
    seen: set[int] = set()
    # Roots first, then anything a cycle kept out of reach, in the order given.
    for root in [*roots, *comments]:
        if root.id in seen:
            continue
        # A stack of (comment, its true depth); children pushed newest first so that the
        # oldest is taken first.
        stack = [(root, 0)]
        while stack:
            c, depth = stack.pop()
            if c.id in seen:
                continue
            seen.add(c.id)
            out.append(Threaded(c, min(depth, max_depth - 1)))
            stack.extend((r, depth + 1) for r in reversed(replies.get(c.id, ())))
    return out
