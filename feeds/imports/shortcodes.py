"""WordPress's shortcode grammar (wp-includes/shortcodes.php `get_shortcode_regex`), found in
time linear in the text.

The grammar as one regular expression (SHORTCODE below, as WordPress writes it) is
quadratic on what an export can hold: at every opener that is never closed, `[caption]`
with no `[/caption]` after it or `[gallery` with no `]`, the engine reads on to the end of
the text before it gives up, and a post with 20,000 of them took minutes (docs/benchmarks.md,
"Shortcodes in linear time"). WordPress itself is as slow on such a post.

Here each opener is found with a short expression, and where its match ends is read from
two facts looked up once each: the first `]` after the opener, and the first `[/tag]` after
that (both only move forward as the openers do, so each character is looked at once). The
grammar's expression is then run on that span alone, bounded (`endpos`): its match, groups
and all, is the one WordPress's expression gives on the whole text
(tests/feeds/imports/test_shortcodes.py checks it against that expression).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

__all__ = ["SHORTCODE", "Shortcodes"]

# get_shortcode_regex(): [tag attrs], [tag attrs/], [tag attrs]content[/tag]; [[tag]] is the
# escaped form, shown as [tag]. Groups: 1 "[" escape, 2 tag, 3 attributes, 4 "/", 5 content,
# 6 "]" escape.
SHORTCODE = (
    r"\[(\[?)({tags})(?![\w-])([^\]/]*(?:/(?!\])[^\]/]*)*?)"
    r"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)(\]?)"
)
_SPACE_THEN_P_END = re.compile(r"\s*+</p>")


class _Next:
    """The next `needle` at or after a position, for positions asked in increasing order:
    the text is searched once, not once per question."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle = text, needle
        self.at = -2  # not searched yet; -1: none from `self.at`'s last search on

    def after(self, pos: int) -> int:
        if self.at == -1 or self.at >= pos:
            return self.at
        self.at = self.text.find(self.needle, pos)
        return self.at


class _Scan:
    """Where the shortcodes of one text end: its `]`s and each tag's `[/tag]`s."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.brackets = _Next(text, "]")
        self.closers: dict[str, _Next] = {}

    def ends(self, tag: str, tag_end: int) -> list[int] | None:
        """Where a shortcode whose name ends at `tag_end` may end (before any "]" escape),
        the end the grammar tries first first: after its closing `[/tag]` when it has one,
        else after its `]`. None when no `]` follows: then no shortcode starts here or
        anywhere after."""
        bracket = self.brackets.after(tag_end)
        if bracket < 0:
            return None
        if bracket > tag_end and self.text[bracket - 1] == "/":
            return [bracket + 1]  # [tag attrs/]: it encloses nothing
        closer = self.closers.setdefault(tag, _Next(self.text, f"[/{tag}]"))
        at = closer.after(bracket + 1)
        return [bracket + 1] if at < 0 else [at + len(tag) + 3, bracket + 1]


class Shortcodes:
    """The shortcodes of some tags (names as WordPress matches them: case-sensitive)."""

    def __init__(self, tags: list[str]) -> None:
        names = "|".join(tags)
        self.pattern = re.compile(SHORTCODE.format(tags=names))
        """WordPress's expression: what a match is, run here on one shortcode's span."""
        self._opener = re.compile(rf"\[(\[?)({names})(?![\w-])")
        self._paragraph = re.compile(rf"<p>\s*+\[({names})(?![\w-])")

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `self.pattern.finditer(text)` gives, in linear time."""
        scan, pos = _Scan(text), 0
        while (opener := self._opener.search(text, pos)) is not None:
            ends = scan.ends(opener.group(2), opener.end())
            if ends is None:
                return
            end = ends[0]  # the content's end is never given up: nothing after it can fail
            end += text.startswith("]", end)
            found = self.pattern.match(text, opener.start(), end)
            if found is None or found.end() != end:
                raise AssertionError(f"shortcode span misread at {opener.start()}")
            yield found
            pos = end

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        """`self.pattern.sub(repl, text)`, in linear time."""
        out: list[str] = []
        copied = 0
        for found in self.finditer(text):
            out += (text[copied : found.start()], repl(found))
            copied = found.end()
        return text if not out else "".join(out) + text[copied:]

    def search(self, text: str) -> bool:
        """Whether `self.pattern.search(text)` finds one, in linear time: any opener with a
        `]` after it is a shortcode (enclosing something or not)."""
        opener = self._opener.search(text)
        return opener is not None and text.find("]", opener.end()) >= 0

    def unautop(self, text: str) -> str:
        """shortcode_unautop(): a paragraph that is one shortcode loses its <p>, as
        WordPress's expression `<p>\\s*+(SHORTCODE)\\s*+</p>` -> the shortcode does (there the
        shortcode has no [[ ]] escapes), in linear time."""
        scan, copied, pos = _Scan(text), 0, 0
        out: list[str] = []
        closes: dict[int, int] = {}  # where "\s*</p>" after a shortcode's end ends (-1: no)
        while (opener := self._paragraph.search(text, pos)) is not None:
            tag = opener.group(1)
            ends = scan.ends(tag, opener.end())
            if ends is None:
                break
            for end in ends:  # as the expression backtracks: the content, then without it
                if end not in closes:
                    after = _SPACE_THEN_P_END.match(text, end)
                    closes[end] = -1 if after is None else after.end()
                if closes[end] >= 0:
                    out += (text[copied : opener.start()], text[opener.end() - len(tag) - 1 : end])
                    copied = pos = closes[end]
                    break
            else:
                pos = opener.start() + 1
        return text if not out else "".join(out) + text[copied:]
