"""What a change of a site's base URL or summary length does to what is stored already.

A post is stored as it will be served (design.md: render work is done once, at the write):
its links made absolute against its own URL (content.py), its summary cut to the site's
`summary_length`. Neither is worked out again at render time, so a change of either
setting is carried into the stored posts, in the transaction that changes the site
(store/admin.py): otherwise old posts would go on linking to the host the site left, and
keep summaries of the old length while new posts get the new one.

Links: after the save, a relative link (`img.png`, `/about`) cannot be told from one the
author wrote absolute (`https://old.example/about`). Every URL under the old base moves to
the same place under the new one: the blog's pages, images and files moved with it, and a
link written absolute to them is as stale as a relative one. This is what WordPress's own
move tooling does (a search and replace of the old address). URLs outside the old base are
left alone, the old host's other pages included (a blog at a path of a larger site moves
without them). The prefixes end at a path boundary (`https://blog.example/`, never
`https://blog.example` alone, which would also match `https://blog.example.com`).
"""

from __future__ import annotations

from feeds.content import summary_from_html


def link_moves(old_base: str, new_base: str) -> tuple[tuple[str, str], ...]:
    """(old prefix, new prefix) pairs to replace, in this order, in stored HTML and URLs
    when a site's base URL goes from `old_base` to `new_base`; () when nothing moves:
    `old_base/` (anything under the base) and `old_base"` (the base itself as an attribute
    value: nh3 writes every attribute in double quotes)."""
    old_base, new_base = old_base.rstrip("/"), new_base.rstrip("/")
    if old_base == new_base:
        return ()
    return ((old_base + "/", new_base + "/"), (old_base + '"', new_base + '"'))


def moved(text: str, moves: tuple[tuple[str, str], ...]) -> str:
    """`text` with `moves` applied, as the store applies them in SQL (replace())."""
    for old, new in moves:
        text = text.replace(old, new)
    return text


def rederived_summary(content_html: str, summary: str, old_length: int,
                      new_length: int) -> str | None:
    """The summary of a post when the site's summary length goes from `old_length` to
    `new_length`: None (keep it) unless the stored summary is the one the old length made
    of the content, i.e. the author gave none. A summary the author wrote stays theirs."""
    if summary != summary_from_html(content_html, old_length):
        return None
    fresh = summary_from_html(content_html, new_length)
    return fresh if fresh != summary else None
