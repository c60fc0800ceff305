"""wpautop as WordPress has it (wp-includes/formatting.php): a classic-editor post's
paragraphs and line breaks. The outputs below are what its wpautop makes of each input, read
from its source."""

from __future__ import annotations

import random

import pytest

from bench.wxr_gen import _content, _paragraph
from feeds.imports.wpautop import _full, autop

CASES = [
    ("One\ntwo\n\nThree", "<p>One<br />\ntwo</p>\n<p>Three</p>"),
    ("Intro\n\n<h2>Part</h2>\n\nMore\nlines", "<p>Intro</p>\n<h2>Part</h2>\n<p>More<br />\nlines</p>"),
    ('A\nB\n\n<p style="text-align: center;">C</p>\n\nD',
     '<p>A<br />\nB</p>\n<p style="text-align: center;">C</p>\n<p>D</p>'),
    ("Code:\n\n<pre>a\n\nb</pre>\n\nEnd", "<p>Code:</p>\n<pre>a\n\nb</pre>\n<p>End</p>"),
    ("<blockquote>Quoted\nline</blockquote>", "<blockquote><p>Quoted<br />\nline</p></blockquote>"),
    ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ('A <a\nhref="/x">link</a>\nB', '<p>A <a\nhref="/x">link</a><br />\nB</p>'),
    ("one<br><br>two", "<p>one</p>\n<p>two</p>"),
    ("<p>Already</p>\n<figure><img src=x></figure>\n<p>Done</p>",
     "<p>Already</p>\n<figure><img src=x></figure>\n<p>Done</p>"),
    ("Trailing   \nspaces", "<p>Trailing<br />\nspaces</p>"),
    ("\n\n   \n\n", ""),
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_a_classic_post_gets_wordpresss_paragraphs(text: str, shown: str) -> None:
    assert autop(text) == shown


def test_the_quick_paths_give_what_the_whole_port_gives() -> None:
    rng = random.Random(7)
    pool = [_paragraph(rng) for _ in range(50)]
    texts = [_content(rng, pool, i) for i in range(90)] + [t for t, _ in CASES]
    texts += ["Line <em>x</em>\n<img src=a.jpg />\n\nNext", "<p>a</p><p>b</p>", "<p>x</p> tail"]
    for text in texts:
        if "<!-- wp:" not in text:
            assert autop(text) == _full(text).strip(), text[:200]


def test_a_block_editor_post_is_left_as_it_is() -> None:
    assert autop("<p>One</p>\n\nloose\ntext", blocks=True) == "<p>One</p>\n\nloose\ntext"
