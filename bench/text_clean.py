"""What feeds/content.py's text clean-up costs on the API benchmark's post bodies
(bench/api.py's body_pool: 2-6 KB of HTML): clean_text of a post's whole text, against the
`\\s+` regex form it replaced, summary_from_html, and sanitizing a body (links made absolute
against the post's URL; --urljoin-only: every link through urljoin, as before the
root-relative shortcut).

    .venv/bin/python -m bench.text_clean
"""

from __future__ import annotations

import argparse
import re
import timeit
from collections.abc import Callable

from bench.api import body_pool
from feeds import content
from feeds.content import (
    _text_of,
    clean_text,
    sanitize_with_image,
    strip_xml_illegal,
    summary_from_html,
)

_WHITESPACE = re.compile(r"\s+")


def regex_clean_text(text: str) -> str:
    """clean_text as it was written before it joined split() words."""
    return _WHITESPACE.sub(" ", strip_xml_illegal(_WHITESPACE.sub(" ", text))).strip()


def per_call_us(work: Callable[[str], object], inputs: list[str], rounds: int) -> float:
    seconds = timeit.timeit(lambda: [work(x) for x in inputs], number=rounds)
    return seconds / (rounds * len(inputs)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--urljoin-only", action="store_true",
                        help="no root-relative shortcut: every link resolved by urljoin")
    args = parser.parse_args()
    if args.urljoin_only:
        content._origin = lambda base_url: None
    bodies = body_pool(50)
    texts = [_text_of(b) for b in bodies]
    print(f"{len(texts)} post texts, {sum(map(len, texts)) / len(texts):.0f} characters each")
    print("| work | us a call |\n| --- | ---: |")
    for name, work, inputs in [
        ("clean_text, a post's text", clean_text, texts),
        ("the regex form, a post's text", regex_clean_text, texts),
        ("summary_from_html(body, 300)", lambda b: summary_from_html(b, 300), bodies),
        ("sanitize_with_image(body, post URL)",
         lambda b: sanitize_with_image(b, "https://bench.example/2026/12/a-post.html"), bodies),
    ]:
        print(f"| {name} | {per_call_us(work, inputs, args.rounds):.1f} |")


if __name__ == "__main__":
    main()
